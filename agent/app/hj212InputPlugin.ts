import type { DriverPlugin } from '../acquisition/driverPlugin.js';
import { Hj212InputBus } from '../acquisition/hj212Input/inputBus.js';

/**
 * The HJ 212 input (issue 16 part 2, docs/hj212-input.md): the agent as one more platform of the
 * station's certified data logger. An `hj212-server` bus is the listening server for all its logger
 * devices; each device (a `logger` block, one per MN) is pushed: its real-time uploads become its
 * results, its silence a lost link. Before Modbus in DRIVER_PLUGINS, which claims every device.
 */
export const hj212InputDriverPlugin = {
  name: 'hj212-input',
  buses: {
    'hj212-server': {
      create: (config, deps) => new Hj212InputBus(config, deps),
      describe: (b) => `HJ 212 input ${b.host}:${b.port}`,
    },
  },
  claims: (device) => device.logger !== undefined,
  createSource(device, bus) {
    // The config check puts logger devices on hj212-server buses only; this guards hand-built configs.
    if (!(bus instanceof Hj212InputBus))
      throw new Error(`device ${device.id}: a logger device needs an hj212-server bus, "${bus.id}" is not`);
    return bus.register(device);
  },
  errorCodes: ['HJ212_INPUT_SILENT'],
  cli: { describeDevice: (device) => `HJ 212 logger ${device.logger?.mn ?? ''}`, scan: false, listen: false },
} as const satisfies DriverPlugin;
