import { createAsciiDevicePoller } from '../../drivers/ascii/asciiDevicePoller.js';
import type { DriverPlugin } from '../acquisition/driverPlugin.js';

/**
 * Text-protocol analyzers (a device with an `ascii` block): polled on the byte line of a serial bus
 * the Modbus driver builds, which they share with the Modbus RTU devices on it. No buses of its own.
 */
export const asciiDriverPlugin = {
  name: 'ascii',
  buses: {},
  claims: (device) => Boolean(device.ascii),
  createSource(device, bus, deps) {
    // The config check refuses ASCII devices on a Modbus TCP bus; this guards hand-built configs.
    if (!bus.exchange)
      throw new Error(`device ${device.id}: an ASCII device needs a serial bus, "${bus.id}" is not`);
    const poller = createAsciiDevicePoller({ device, line: bus.exchange, ...deps });
    return { kind: 'polled', poll: () => poller.poll() };
  },
  errorCodes: ['ASCII_TIMEOUT', 'ASCII_DISCONNECTED', 'ASCII_BAD_RESPONSE'],
  cli: { describeDevice: () => 'ASCII', scan: false, listen: false },
} as const satisfies DriverPlugin;
