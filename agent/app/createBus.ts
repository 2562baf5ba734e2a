import {
  type BusConfigOf,
  type BusType,
  busKindFor,
  type DriverDeps,
  type FieldBus,
} from '../acquisition/driverPlugin.js';
import type { BusConfig } from '../config/schema.js';
import { DRIVER_PLUGINS } from './plugins.js';

export type { FieldBus } from '../acquisition/driverPlugin.js';

/** The bus for a `buses:` entry, built by the driver plugin of its type (agent/app/plugins.ts). */
export function createBus(config: BusConfig, deps: DriverDeps): FieldBus {
  return busKindFor(DRIVER_PLUGINS, config.type).create(config as BusConfigOf<BusType>, deps);
}

/** One line naming a bus for `read` and its messages, as its driver words it. */
export function describeBus(config: BusConfig): string {
  return busKindFor(DRIVER_PLUGINS, config.type).describe(config as BusConfigOf<BusType>);
}
