import { createListenDeviceSource } from '../../drivers/modbus/listenBus/listenDevice.js';
import { ListenLine } from '../../drivers/modbus/listenBus/listenLine.js';
import type { DriverPlugin, FieldBus } from '../acquisition/driverPlugin.js';

/**
 * A Modbus RTU line another master polls (issue 16, docs/listen.md): the `serial-listen` bus opens
 * the port for listening only, and every device on it is pushed by what passes, decoded as the
 * poller decodes. Before modbus in DRIVER_PLUGINS: it claims the devices of its own buses.
 */

const PARITY = { none: 'N', even: 'E', odd: 'O' } as const;

export const listenDriverPlugin = {
  name: 'modbus-listen',
  buses: {
    'serial-listen': {
      create: (b, deps): FieldBus =>
        new ListenLine({
          settings: {
            id: b.id,
            path: b.port,
            baudRate: b.baudRate,
            parity: b.parity,
            dataBits: b.dataBits,
            stopBits: b.stopBits,
            reconnect: b.reconnect,
            answerTimeoutMs: b.answerTimeout,
            intervalMs: b.expectedInterval,
            silentAfterIntervals: b.silentAfterIntervals,
          },
          ...deps,
        }),
      describe: (b) =>
        `listening on serial ${b.port} ${b.baudRate} ${b.dataBits}${PARITY[b.parity]}${b.stopBits}`,
    },
  },
  claims: (_device, bus) => bus.type === 'serial-listen',
  createSource(device, bus) {
    if (!(bus instanceof ListenLine))
      throw new Error(`device ${device.id}: bus "${bus.id}" is not a listen bus`);
    return createListenDeviceSource(device, bus);
  },
  errorCodes: ['LISTEN_SILENT', 'LISTEN_PORT_CLOSED'],
  // `read --listen` and `scan --listen` (agent/cli/listenCommands.ts); plain `scan` asks, which a listen bus never does.
  cli: { describeDevice: (device) => `unit ${device.unit} (listened)`, scan: false, listen: true },
} as const satisfies DriverPlugin;
