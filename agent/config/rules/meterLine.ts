import { idOf, isRecord, listOf, type RuleFinding } from './ruleFinding.js';

/**
 * Meters and other devices on one serial bus: the bus cannot take the meters' 2400 8E1 defaults
 * (config/meterLineDefaults.ts), so the bus defaults (9600 8N1) apply. Right when the meters were
 * set to the line's speed, which is why this is a warning; it asks to write the speed and parity.
 * A meter cannot be read over Modbus TCP, on a listen bus or an HJ 212 input at all: that is an error.
 */
/** Bus types a meter cannot be read on, and what each is. */
const METERLESS_BUSES: Record<string, string> = {
  tcp: 'Modbus TCP',
  // The listener never writes, and a meter answers only when asked.
  'serial-listen': 'a listen bus (it never sends, and a meter only answers when asked)',
  'hj212-server': 'an HJ 212 input',
};

export function meterLineFindings(cfg: unknown): RuleFinding[] {
  if (!isRecord(cfg)) return [];
  const devices = listOf(cfg.devices);
  const findings: RuleFinding[] = [];
  listOf(cfg.buses).forEach((bus, b) => {
    if (!isRecord(bus)) return;
    const on = devices.filter((d) => isRecord(d) && d.bus === bus.id);
    const meters = on.filter((d) => isRecord(d) && d.meter !== undefined);
    if (meters.length === 0) return;
    const refused = METERLESS_BUSES[String(bus.type)];
    if (refused !== undefined) {
      devices.forEach((d, i) => {
        if (!isRecord(d) || d.bus !== bus.id || d.meter === undefined) return;
        findings.push({
          severity: 'error',
          path: ['devices', i, 'bus'],
          message: `a meter needs a bus of type serial or rtu-over-tcp; "${String(bus.id)}" is ${refused}`,
        });
      });
      return;
    }
    if (bus.type !== 'serial' || meters.length === on.length) return;
    if (bus.baudRate !== undefined && bus.parity !== undefined) return;
    const ids = meters.map(idOf).join(', ');
    findings.push({
      severity: 'warning',
      path: ['buses', b, 'id'],
      message:
        `meters (${ids}) share this bus with other devices, so it runs at ${String(bus.baudRate ?? 9600)} baud ` +
        `parity ${String(bus.parity ?? 'none')}; DL/T 645 meters default to 2400 8E1`,
      hint: 'write baudRate and parity on the bus, matching what the meters were set to',
    });
  });
  return findings;
}
