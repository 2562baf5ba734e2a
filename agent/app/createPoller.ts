import { createAsciiDevicePoller } from '../../drivers/ascii/asciiDevicePoller.js';
import { createDevicePoller, type PollResult } from '../../drivers/modbus/devicePoller.js';
import type { DeviceConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { FieldBus } from './createBus.js';

export interface DevicePollerHandle {
  poll(): Promise<PollResult>;
}

/** The poller for a device: ASCII devices talk on the bus's byte line, all others read Modbus registers. */
export function createPollerFor(
  device: DeviceConfig,
  bus: FieldBus,
  deps: { clock: Clock; log: Logger },
): DevicePollerHandle {
  if (device.ascii) {
    // The config check refuses ASCII devices on a Modbus TCP bus; this guards hand-built configs.
    if (!bus.exchange)
      throw new Error(`device ${device.id}: an ASCII device needs a serial bus, "${bus.id}" is not`);
    return createAsciiDevicePoller({ device, line: bus.exchange, ...deps });
  }
  return createDevicePoller({ device, bus, ...deps });
}
