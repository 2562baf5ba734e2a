import type { BcdLayout } from './bcd.js';

/**
 * The data identifiers (DI) this codec knows, with their value layout. 2007 identifiers are 4
 * bytes, 1997 ones 2 bytes; both go out lowest byte first. A block identifier (FF in a position)
 * reads several values of the same layout in one answer, e.g. 0201FF00 = phase A, B, C voltage.
 * Layouts: DL/T 645-2007 appendix A as widely implemented (shared/domain/dlt645.md); the 1997
 * equivalents as mapped by public concentrator code (see the meter profiles' sources).
 */

export type Dlt645Protocol = '2007' | '1997';

export interface DataItem {
  protocol: Dlt645Protocol;
  /** The identifier as a number (0x0201FF00, 0xB611). */
  di: number;
  name: string;
  /** Layout of one value. */
  layout: BcdLayout;
  unit: string;
  /** Values in the answer: 1, or the block's size. */
  count: number;
}

const V2007: BcdLayout = { bytes: 2, decimals: 1, signed: false };
const A2007: BcdLayout = { bytes: 3, decimals: 3, signed: true };
const KW: BcdLayout = { bytes: 3, decimals: 4, signed: true };
const PF: BcdLayout = { bytes: 2, decimals: 3, signed: true };
const KWH: BcdLayout = { bytes: 4, decimals: 2, signed: false };

type Row = [di: number, name: string, layout: BcdLayout, unit: string, count?: number];

const ROWS_2007: Row[] = [
  [0x00000000, 'combined active energy, total', KWH, 'kWh'],
  [0x00010000, 'forward active energy, total', KWH, 'kWh'],
  [0x00020000, 'reverse active energy, total', KWH, 'kWh'],
  [0x02010100, 'voltage, phase A', V2007, 'V'],
  [0x02010200, 'voltage, phase B', V2007, 'V'],
  [0x02010300, 'voltage, phase C', V2007, 'V'],
  [0x0201ff00, 'voltage, phases A B C', V2007, 'V', 3],
  [0x02020100, 'current, phase A', A2007, 'A'],
  [0x02020200, 'current, phase B', A2007, 'A'],
  [0x02020300, 'current, phase C', A2007, 'A'],
  [0x0202ff00, 'current, phases A B C', A2007, 'A', 3],
  [0x02030000, 'active power, total', KW, 'kW'],
  [0x02030100, 'active power, phase A', KW, 'kW'],
  [0x02030200, 'active power, phase B', KW, 'kW'],
  [0x02030300, 'active power, phase C', KW, 'kW'],
  [0x0203ff00, 'active power, total A B C', KW, 'kW', 4],
  [0x02040000, 'reactive power, total', KW, 'kvar'],
  [0x02060000, 'power factor, total', PF, ''],
  [0x02060100, 'power factor, phase A', PF, ''],
  [0x02060200, 'power factor, phase B', PF, ''],
  [0x02060300, 'power factor, phase C', PF, ''],
  [0x0206ff00, 'power factor, total A B C', PF, '', 4],
  [0x02800002, 'grid frequency', { bytes: 2, decimals: 2, signed: false }, 'Hz'],
];

const V1997: BcdLayout = { bytes: 2, decimals: 0, signed: false };
const A1997: BcdLayout = { bytes: 2, decimals: 2, signed: false };
const KW1997: BcdLayout = { bytes: 3, decimals: 4, signed: false };
const PF1997: BcdLayout = { bytes: 2, decimals: 3, signed: false };

const ROWS_1997: Row[] = [
  [0x9010, 'forward active energy, total', KWH, 'kWh'],
  [0x9020, 'reverse active energy, total', KWH, 'kWh'],
  [0xb611, 'voltage, phase A', V1997, 'V'],
  [0xb612, 'voltage, phase B', V1997, 'V'],
  [0xb613, 'voltage, phase C', V1997, 'V'],
  [0xb621, 'current, phase A', A1997, 'A'],
  [0xb622, 'current, phase B', A1997, 'A'],
  [0xb623, 'current, phase C', A1997, 'A'],
  [0xb630, 'active power, total', KW1997, 'kW'],
  [0xb631, 'active power, phase A', KW1997, 'kW'],
  [0xb632, 'active power, phase B', KW1997, 'kW'],
  [0xb633, 'active power, phase C', KW1997, 'kW'],
  [0xb650, 'power factor, total', PF1997, ''],
  [0xb651, 'power factor, phase A', PF1997, ''],
  [0xb652, 'power factor, phase B', PF1997, ''],
  [0xb653, 'power factor, phase C', PF1997, ''],
];

function table(protocol: Dlt645Protocol, rows: Row[]): Map<number, DataItem> {
  return new Map(
    rows.map(([di, name, layout, unit, count]) => [
      di,
      { protocol, di, name, layout, unit, count: count ?? 1 },
    ]),
  );
}

const TABLES: Record<Dlt645Protocol, Map<number, DataItem>> = {
  '2007': table('2007', ROWS_2007),
  '1997': table('1997', ROWS_1997),
};

/** Bytes of a data identifier on the wire. */
export function identifierBytes(protocol: Dlt645Protocol): 2 | 4 {
  return protocol === '2007' ? 4 : 2;
}

export function dataItem(protocol: Dlt645Protocol, di: number): DataItem | undefined {
  return TABLES[protocol].get(di);
}

export function knownDataItems(protocol: Dlt645Protocol): DataItem[] {
  return [...TABLES[protocol].values()];
}

/** "0201FF00" (2007) or "B611" (1997) → number; undefined when the text is not such an identifier. */
export function parseIdentifier(protocol: Dlt645Protocol, text: string): number | undefined {
  const digits = identifierBytes(protocol) * 2;
  if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(text)) return undefined;
  return Number.parseInt(text, 16);
}

export function formatIdentifier(protocol: Dlt645Protocol, di: number): string {
  return di
    .toString(16)
    .toUpperCase()
    .padStart(identifierBytes(protocol) * 2, '0');
}

/** DI → its bytes lowest first (before the 0x33 offset): 0x00010000 → 00 00 01 00. */
export function encodeIdentifier(protocol: Dlt645Protocol, di: number): Uint8Array {
  const n = identifierBytes(protocol);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(di / 256 ** i) & 0xff;
  return out;
}

export function decodeIdentifier(bytes: Uint8Array): number {
  let di = 0;
  for (let i = bytes.length - 1; i >= 0; i--) di = di * 256 + bytes[i]!;
  return di;
}
