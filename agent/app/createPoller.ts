import { type DeviceSource, driverFor } from '../acquisition/driverPlugin.js';
import type { BusConfig, DeviceConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { FieldBus } from './createBus.js';
import { DRIVER_PLUGINS } from './plugins.js';

/** The device's acquisition, from the first driver plugin of the list that claims it (listen and ASCII before Modbus). */
export function createPollerFor(
  device: DeviceConfig,
  bus: FieldBus,
  busConfig: BusConfig,
  deps: { clock: Clock; log: Logger },
): DeviceSource {
  return driverFor(DRIVER_PLUGINS, device, busConfig).createSource(device, bus, deps);
}
