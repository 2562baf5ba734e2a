import { facilityProblems } from '../facilitySchema.js';
import { scheduleDeviceProblems } from '../qualitySchema.js';
import { idOf, isRecord, listOf, type RelatedPlace } from './ruleFinding.js';

/**
 * Cross-references between sections that the schema checks in its station-level refinement
 * (schema.ts): duplicate ids, devices on unknown buses or on a bus that cannot carry them. Accepts any
 * value: it runs on configs that failed other checks too.
 */

/** A cross-reference problem; `related` is a second place it involves (a duplicate's first definition). */
export interface ReferenceProblem {
  path: (string | number)[];
  message: string;
  related?: RelatedPlace;
}

/** Cross-references between sections: duplicate ids, devices on unknown buses. Accepts any value. */
export function referenceProblems(cfg: unknown): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  if (!isRecord(cfg)) return problems;
  const buses = listOf(cfg.buses);
  const devices = listOf(cfg.devices);
  uniqueIds(buses, ['buses'], 'bus', problems);
  uniqueIds(devices, ['devices'], 'device', problems);
  uniqueIds(listOf(cfg.uplinks), ['uplinks'], 'uplink', problems);
  const busIds = new Set(buses.map(idOf).filter((busId) => busId !== undefined));
  const deviceIds = new Set(devices.map(idOf).filter((deviceId) => deviceId !== undefined));
  problems.push(...scheduleDeviceProblems(cfg.maintenance, deviceIds));
  problems.push(...facilityProblems(cfg));
  // When `buses` is not a list, that section's own problem is the one to fix.
  const busesKnown = cfg.buses === undefined || Array.isArray(cfg.buses);
  devices.forEach((d, i) => {
    const bus = isRecord(d) ? d.bus : undefined;
    if (typeof bus === 'string' && busesKnown && !busIds.has(bus)) {
      const known = [...busIds].join(', ') || 'none defined';
      problems.push({ path: ['devices', i, 'bus'], message: `unknown bus "${bus}" (buses: ${known})` });
    }
    if (isRecord(d)) uniqueIds(listOf(d.channels), ['devices', i, 'channels'], 'channel', problems);
    // Unit 0 is the broadcast address on a serial line: nobody answers a read sent to it.
    const busType = typeOf(buses.find((b) => idOf(b) === bus));
    // ASCII analyzers speak over a byte line; a Modbus TCP connection cannot carry their commands.
    if (isRecord(d) && d.ascii !== undefined && busType === 'tcp') {
      problems.push({
        path: ['devices', i, 'bus'],
        message: `an ASCII device needs a bus of type serial or rtu-over-tcp; "${String(bus)}" is Modbus TCP`,
      });
    }
    if (isRecord(d)) problems.push(...loggerBusProblems(d, i, bus, busType));
    // A listen bus carries Modbus RTU answers only: an ASCII analyzer there speaks to nobody we hear.
    if (isRecord(d) && d.ascii !== undefined && busType === 'serial-listen') {
      problems.push({
        path: ['devices', i, 'bus'],
        message: `"${String(bus)}" is a listen bus (Modbus RTU answers another master asks for): an ASCII device cannot be read on it`,
      });
    }
    if (
      isRecord(d) &&
      d.unit === 0 &&
      (busType === 'serial' || busType === 'rtu-over-tcp' || busType === 'serial-listen')
    ) {
      problems.push({
        path: ['devices', i, 'unit'],
        message: 'unit 0 is the broadcast address on a Modbus RTU line: expected 1..247',
      });
    }
  });
  uniqueMns(devices, problems);
  return problems;
}

/** A logger device lives on an hj212-server bus, and that bus carries logger devices only. */
function loggerBusProblems(
  d: Record<string, unknown>,
  i: number,
  bus: unknown,
  busType: string | undefined,
): ReferenceProblem[] {
  if (busType === undefined) return [];
  const isLogger = d.logger !== undefined;
  if (isLogger && busType !== 'hj212-server')
    return [
      {
        path: ['devices', i, 'bus'],
        message: `a logger device needs a bus of type hj212-server; "${String(bus)}" is ${busType}`,
      },
    ];
  if (!isLogger && busType === 'hj212-server')
    return [
      {
        path: ['devices', i, 'bus'],
        message: `"${String(bus)}" is an HJ 212 input (hj212-server): its devices need a logger block (mn, pw, version)`,
      },
    ];
  return [];
}

/** One device per logger MN: the input could not tell two devices' uploads apart. */
function uniqueMns(devices: readonly unknown[], problems: ReferenceProblem[]): void {
  const first = new Map<string, number>();
  devices.forEach((d, i) => {
    const logger = isRecord(d) && isRecord(d.logger) ? d.logger : undefined;
    if (typeof logger?.mn !== 'string') return;
    // The input compares MNs without blanks and case (tolerance.ts: sameMn).
    const mn = logger.mn.trim().toUpperCase();
    const at = first.get(mn);
    if (at === undefined) first.set(mn, i);
    else
      problems.push({
        path: ['devices', i, 'logger', 'mn'],
        message: `MN ${logger.mn} is already the MN of another logger device: one device per MN`,
        related: { path: ['devices', at, 'logger', 'mn'], note: 'first used at' },
      });
  });
}

function uniqueIds(
  items: readonly unknown[],
  path: (string | number)[],
  what: string,
  problems: ReferenceProblem[],
): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const itemId = idOf(item);
    if (itemId === undefined) return;
    const at = first.get(itemId);
    if (at === undefined) first.set(itemId, i);
    else {
      problems.push({
        path: [...path, i, 'id'],
        message: `duplicate ${what} id "${itemId}"`,
        related: { path: [...path, at, 'id'], note: 'first defined at' },
      });
    }
  });
}

function typeOf(item: unknown): string | undefined {
  return isRecord(item) && typeof item.type === 'string' ? item.type : undefined;
}
