import { DLT645_ERROR_CODES } from '../../drivers/dlt645/meterErrors.js';
import { createMeterPoller } from '../../drivers/dlt645/meterPoller.js';
import { createSharedLineClient } from '../../drivers/dlt645/sharedLineClient.js';
import type { DriverPlugin } from '../acquisition/driverPlugin.js';

/**
 * Electricity meters over DL/T 645 (a device with a `meter` block): polled on the byte line of a
 * serial bus the Modbus driver builds, one transaction at a time with every other device on it.
 * Timeout and resends from the bus (`timeout`, `retries`), as for Modbus RTU. No buses of its own.
 */
export const dlt645DriverPlugin = {
  name: 'dlt645',
  buses: {},
  claims: (device) => Boolean(device.meter),
  createSource(device, bus, deps) {
    // The config check refuses meters on a Modbus TCP bus; this guards hand-built configs.
    if (!bus.exchange) throw new Error(`device ${device.id}: a meter needs a serial bus, "${bus.id}" is not`);
    const client = createSharedLineClient(bus.exchange, {
      timeoutMs: bus.timeoutMs,
      retries: bus.retries ?? 1,
      ...(device.meter ? { protocol: device.meter.protocol, preamble: device.meter.preamble } : {}),
    });
    const poller = createMeterPoller({ device, client, ...deps });
    return { kind: 'polled', poll: () => poller.poll() };
  },
  errorCodes: DLT645_ERROR_CODES,
  // scan --meters finds meters on a line (agent/cli/meterScan.ts).
  cli: { describeDevice: (device) => `meter ${device.meter?.address ?? '?'}`, scan: true, listen: false },
} as const satisfies DriverPlugin;
