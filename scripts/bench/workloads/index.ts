import type { Workload } from '../benchTypes.js';
import { backlogDrain } from './backlogDrain.js';
import { bytesOnWire } from './bytesOnWire.js';
import { footprint } from './footprint.js';
import { lineEfficiency } from './lineEfficiency.js';
import { pipelineOverhead } from './pipelineOverhead.js';
import { receiverLoad } from './receiverLoad.js';
import { soak } from './soak.js';
import { storeIngest } from './storeIngest.js';

/** Every workload of issue 9's table, issue 18's receiver load (7) and issue 19's soak (8); the runner sorts them by id. */
export const WORKLOADS: readonly Workload[] = [
  pipelineOverhead,
  lineEfficiency,
  storeIngest,
  backlogDrain,
  bytesOnWire,
  footprint,
  receiverLoad,
  soak,
];
