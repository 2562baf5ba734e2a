/**
 * DL/T 645 meters leave the factory at 2400 baud 8E1, Modbus RTU devices mostly at 9600 8N1 (the
 * serial bus's defaults). A serial bus that carries only meters gets the meters' defaults for the
 * settings it does not write (baudRate 2400, parity even); written settings always win. A bus that
 * mixes meters and other devices keeps the bus defaults: rules/meterLine.ts warns when it does not
 * write its speed and parity. Runs on the raw data after profiles are merged, before validation.
 */

export const METER_LINE_DEFAULTS = { baudRate: 2400, parity: 'even' } as const;

export function applyMeterLineDefaults(data: unknown): unknown {
  if (!isRecord(data) || !Array.isArray(data.buses) || !Array.isArray(data.devices)) return data;
  const devices = data.devices;
  const buses = data.buses.map((bus: unknown) => {
    if (!isRecord(bus) || bus.type !== 'serial' || typeof bus.id !== 'string') return bus;
    const on = devices.filter((d: unknown) => isRecord(d) && d.bus === bus.id);
    const metersOnly = on.length > 0 && on.every((d: unknown) => isRecord(d) && d.meter !== undefined);
    if (!metersOnly) return bus;
    return { ...METER_LINE_DEFAULTS, ...bus };
  });
  return { ...data, buses };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
