import type { ByteExchange } from '../../drivers/ascii/asciiDevicePoller.js';
import { createDevicePoller } from '../../drivers/modbus/devicePoller.js';
import { RtuBus } from '../../drivers/modbus/rtuBus.js';
import { ModbusTcpBus } from '../../drivers/modbus/tcpBus.js';
import { createLineForBus } from '../../drivers/serial/lineFromConfig.js';
import type { BusKind, DriverPlugin, FieldBus } from '../acquisition/driverPlugin.js';
import type { RtuOverTcpBusConfig, SerialBusConfig } from '../config/schema.js';

/**
 * Modbus TCP and Modbus RTU (on a serial port or through a serial server): it builds the three bus
 * types, and polls every device no other driver claims (the default, last in DRIVER_PLUGINS).
 */

function rtuBus<B extends SerialBusConfig | RtuOverTcpBusConfig>(describe: (b: B) => string): BusKind<B> {
  return {
    create(config, deps): FieldBus {
      // One SerialLine per physical line: Modbus RTU and ASCII devices on it share its one-at-a-time queue.
      const line = createLineForBus(config, deps);
      const bus = new RtuBus({ config, clock: deps.clock, log: deps.log, line });
      return Object.assign(bus, { exchange: line as ByteExchange });
    },
    describe,
  };
}

const PARITY = { none: 'N', even: 'E', odd: 'O' } as const;

export const modbusDriverPlugin = {
  name: 'modbus',
  buses: {
    tcp: {
      create: (config, deps) => new ModbusTcpBus({ config, clock: deps.clock, log: deps.log }),
      describe: (b) => `Modbus TCP ${b.host}:${b.port}`,
    },
    serial: rtuBus<SerialBusConfig>(
      (b) => `serial ${b.port} ${b.baudRate} ${b.dataBits}${PARITY[b.parity]}${b.stopBits}`,
    ),
    'rtu-over-tcp': rtuBus<RtuOverTcpBusConfig>((b) => `RTU over TCP ${b.host}:${b.port}`),
  },
  // The default: a device without another protocol's block reads Modbus registers.
  claims: () => true,
  createSource(device, bus, deps) {
    const poller = createDevicePoller({ device, bus, ...deps });
    return { kind: 'polled', poll: () => poller.poll() };
  },
  errorCodes: ['MODBUS_TIMEOUT', 'MODBUS_EXCEPTION', 'MODBUS_DISCONNECTED', 'MODBUS_BAD_RESPONSE'],
  cli: { describeDevice: (device) => `unit ${device.unit}`, scan: true, listen: true },
} as const satisfies DriverPlugin;
