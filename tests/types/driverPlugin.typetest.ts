/**
 * Type-level checks of the driver plugin seam (issue 15), compiled by `tsc -p tsconfig.json` and by
 * tests/unit/app/driverPluginTypes.test.ts: each `@ts-expect-error` marks code that must NOT
 * compile; tsc fails on a directive whose line compiles (TS2578), so a seam that stops catching the
 * mistake fails the type check. Never imported at run time.
 */
import type { DriverPlugin, PushedSource } from '../../agent/acquisition/driverPlugin.js';
import { asciiDriverPlugin } from '../../agent/app/asciiPlugin.js';
import type { hj212InputDriverPlugin } from '../../agent/app/hj212InputPlugin.js';
import type { listenDriverPlugin } from '../../agent/app/listenPlugin.js';
import { modbusDriverPlugin } from '../../agent/app/modbusPlugin.js';
import type { DriverListCovers } from '../../agent/app/plugins.js';

// A driver that cannot build a device's acquisition.
// @ts-expect-error createSource is required
export const withoutSource: DriverPlugin = {
  name: 'x',
  buses: {},
  claims: () => false,
  errorCodes: [],
  cli: { describeDevice: () => 'x', scan: false, listen: false },
};

// A driver that does not say which errors it raises.
// @ts-expect-error errorCodes is required
export const withoutCodes: DriverPlugin = {
  name: 'x',
  buses: {},
  claims: () => false,
  createSource: asciiDriverPlugin.createSource,
  cli: { describeDevice: () => 'x', scan: false, listen: false },
};

// A driver that does not tell `read` and `scan` what they need.
// @ts-expect-error cli is required
export const withoutCli: DriverPlugin = {
  name: 'x',
  buses: {},
  claims: () => false,
  createSource: asciiDriverPlugin.createSource,
  errorCodes: [],
};

// A bus builder under another bus type than the config it takes (a serial line for a TCP entry).
export const wrongBus: DriverPlugin = {
  ...modbusDriverPlugin,
  // @ts-expect-error the tcp builder must take a tcp bus config
  buses: { tcp: modbusDriverPlugin.buses.serial },
};

// A pushed source the agent could never stop.
// @ts-expect-error stop is required
export const unstoppable: PushedSource = { kind: 'pushed', start: () => undefined };

// A driver list that builds no Modbus buses leaves every bus of the config without a builder.
// @ts-expect-error tcp, serial, rtu-over-tcp, hj212-server and serial-listen are not built
export const uncovered: DriverListCovers<readonly [typeof asciiDriverPlugin]> = true;

// A list without the listen driver leaves serial-listen buses without a builder.
// @ts-expect-error serial-listen is not built
export const noListen: DriverListCovers<readonly [typeof asciiDriverPlugin, typeof modbusDriverPlugin]> =
  true;

// The list the agent is built with compiles.
export const covered: DriverListCovers<
  readonly [
    typeof listenDriverPlugin,
    typeof asciiDriverPlugin,
    typeof hj212InputDriverPlugin,
    typeof modbusDriverPlugin,
  ]
> = true;
