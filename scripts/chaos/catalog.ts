import type { Scenario } from './scenario.js';
import { blackhole } from './scenarios/blackhole.js';
import { brokerRestarts, brokerStop } from './scenarios/broker.js';
import { clockStep } from './scenarios/clockStep.js';
import { corruptDb } from './scenarios/corruptDb.js';
import { diskBudget } from './scenarios/diskBudget.js';
import { sigkill } from './scenarios/kills.js';
import { serialCrc, serialUnplug } from './scenarios/serial.js';

/** Every scenario, in the order of the table. */
export const SCENARIOS: readonly Scenario[] = [
  brokerStop,
  brokerRestarts,
  blackhole,
  sigkill,
  serialUnplug,
  serialCrc,
  clockStep,
  corruptDb,
  diskBudget,
];
