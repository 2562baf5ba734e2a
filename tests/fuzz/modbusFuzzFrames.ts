import fc from 'fast-check';
import type { RegisterTable } from '../../agent/config/schema.js';
import { AgentError, type ErrorCode } from '../../agent/core/errors.js';

/**
 * Shared by the Modbus TCP and RTU fuzz tests: requests, the PDU of a correct answer, mutations of
 * it, and the oracle "these values can only have come from a frame that is correct for this request".
 * The oracle is written independently of drivers/modbus so it does not share their mistakes.
 */

export const FUNCTION: Record<RegisterTable, number> = { coil: 1, discrete: 2, holding: 3, input: 4 };
export const MODBUS_CODES: readonly ErrorCode[] = [
  'MODBUS_TIMEOUT',
  'MODBUS_EXCEPTION',
  'MODBUS_BAD_RESPONSE',
  'MODBUS_DISCONNECTED',
];

export interface ReadSpec {
  unit: number;
  table: RegisterTable;
  address: number;
  count: number;
}

export const isBits = (table: RegisterTable) => table === 'coil' || table === 'discrete';
export const byteCount = (table: RegisterTable, count: number) =>
  isBits(table) ? Math.ceil(count / 8) : 2 * count;

export const readSpecArb: fc.Arbitrary<ReadSpec> = fc.record({
  unit: fc.integer({ min: 1, max: 247 }),
  table: fc.constantFrom<RegisterTable>('coil', 'discrete', 'holding', 'input'),
  address: fc.integer({ min: 0, max: 1000 }),
  count: fc.integer({ min: 1, max: 12 }),
});

/** The values a correct answer carries: registers or bits. */
export function valuesArb(spec: ReadSpec): fc.Arbitrary<number[]> {
  const one = isBits(spec.table) ? fc.integer({ min: 0, max: 1 }) : fc.integer({ min: 0, max: 0xffff });
  return fc.array(one, { minLength: spec.count, maxLength: spec.count });
}

/** Function, byte count and data of a correct answer (the PDU). */
export function answerPdu(spec: ReadSpec, values: readonly number[]): Buffer {
  const n = byteCount(spec.table, spec.count);
  const out = Buffer.alloc(2 + n);
  out[0] = FUNCTION[spec.table];
  out[1] = n;
  values.forEach((v, i) => {
    if (isBits(spec.table)) out[2 + (i >> 3)]! |= (v & 1) << (i & 7);
    else out.writeUInt16BE(v, 2 + 2 * i);
  });
  return out;
}

/** Values of a PDU that is correct for `spec` (function and byte count), or undefined. */
export function valuesOfPdu(spec: ReadSpec, pdu: Buffer): number[] | undefined {
  const n = byteCount(spec.table, spec.count);
  if (pdu.length !== 2 + n || pdu[0] !== FUNCTION[spec.table] || pdu[1] !== n) return undefined;
  const out: number[] = [];
  for (let i = 0; i < spec.count; i++) {
    out.push(isBits(spec.table) ? (pdu[2 + (i >> 3)]! >> (i & 7)) & 1 : pdu.readUInt16BE(2 + 2 * i));
  }
  return out;
}

/** A change to the bytes of an answer. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'prepend'; bytes: Uint8Array }
  | { kind: 'twice' };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  // Header fields (transaction id, length, unit, function, byte count) sit in the first 9 bytes.
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat({ max: 9 }),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('prepend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 3 }) }),
  fc.constant({ kind: 'twice' as const }),
);

/** Often none (the answer must then be taken), otherwise one to three changes. */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Mutation[]>([]) },
  { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) },
);

/** Mostly a normal answer; sometimes an exception answer with any code. */
export const exceptionArb: fc.Arbitrary<number | null> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

/** Applies `m` to a whole frame (header, PDU and, for RTU, CRC). */
export function mutate(frame: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'flip': {
      if (frame.length === 0) return frame;
      const out = Buffer.from(frame);
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return frame.subarray(0, frame.length === 0 ? 0 : m.keep % frame.length);
    case 'set': {
      if (m.at >= frame.length) return frame;
      const out = Buffer.from(frame);
      out[m.at] = m.value;
      return out;
    }
    case 'append':
      return Buffer.concat([frame, m.bytes]);
    case 'prepend':
      return Buffer.concat([m.bytes, frame]);
    case 'twice':
      return Buffer.concat([frame, frame]);
  }
}

/** Fails unless `err` is an AgentError with one of the Modbus codes. */
export function expectModbusError(err: unknown): AgentError {
  if (!(err instanceof AgentError)) {
    throw new Error(`rejected with something other than an AgentError: ${String(err)}`, { cause: err });
  }
  if (!MODBUS_CODES.includes(err.code)) throw new Error(`unexpected error code ${err.code}`);
  return err;
}

/** Outcome of one read, kept for the oracle. */
export type Outcome = { ok: true; values: number[] } | { ok: false; error: AgentError };

export async function outcomeOf(p: Promise<number[]>): Promise<Outcome> {
  try {
    return { ok: true, values: await p };
  } catch (err) {
    return { ok: false, error: expectModbusError(err) };
  }
}

/** CRC-16/MODBUS, bit by bit (independent of the table-driven one in drivers/modbus). */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** `body` followed by its CRC, low byte first. */
export function rtuFrame(body: Buffer): Buffer {
  const crc = crc16Modbus(body);
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >>> 8])]);
}
