/**
 * The Modbus register vocabulary: the four tables, the value types a channel decodes, the word
 * orders of multi-register values. The config schema (agent/config/schema.ts) builds its enums from
 * these; the protocol code here owns them.
 */

export const REGISTER_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
export const REGISTER_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
] as const;
export const WORD_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;

export type RegisterType = (typeof REGISTER_TYPES)[number];
export type RegisterTable = (typeof REGISTER_TABLES)[number];
export type WordOrder = (typeof WORD_ORDERS)[number];
