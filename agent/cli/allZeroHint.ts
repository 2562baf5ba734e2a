import type { DeviceConfig } from '../config/schema.js';

/**
 * `read`'s hint for a device whose every register word read 0. Many analyzers answer 0 for
 * addresses they do not have instead of an exception, so a config pointing at the wrong register
 * table (holding for input) or at another unit gets a poll that is "ok", with zeros flagged like
 * measurements. All zeros across every channel is rarely a real reading; a wiring mistake it often
 * is. Coils and discrete inputs are left out: 0 is the usual state of a status bit.
 */

/** The hint line, or undefined when any register word read is not 0 (or none was read). */
export function allZeroHint(
  device: DeviceConfig,
  raw: ReadonlyMap<string, readonly number[]>,
): string | undefined {
  if (device.ascii !== undefined) return undefined; // raw holds answer bytes there, not registers
  const spans = new Map<string, { from: number; to: number }>();
  for (const ch of device.channels) {
    const reg = ch.register;
    const words = raw.get(ch.id);
    if (!reg || !words || words.length === 0 || (reg.table !== 'holding' && reg.table !== 'input')) continue;
    if (words.some((w) => w !== 0)) return undefined;
    const span = spans.get(reg.table);
    const to = reg.address + words.length - 1;
    if (span) spans.set(reg.table, { from: Math.min(span.from, reg.address), to: Math.max(span.to, to) });
    else spans.set(reg.table, { from: reg.address, to });
  }
  if (spans.size === 0) return undefined;
  const read = [...spans].map(([table, s]) => `${table} ${s.from === s.to ? s.from : `${s.from}-${s.to}`}`);
  return (
    `hint: every register of ${device.id} read 0 (${read.join(', ')} of unit ${device.unit}): ` +
    'is the register table right (holding vs input)? is this the right unit? ' +
    'Analyzers that answer 0 for addresses they do not have look like this.'
  );
}
