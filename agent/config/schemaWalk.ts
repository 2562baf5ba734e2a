import { z } from 'zod';
import type { ConfigPath } from './configErrors.js';

/**
 * Finds the zod schema for a setting path, so messages can say what *this* setting accepts
 * (its bounds, its known keys, whether it is a duration) instead of repeating zod's generic text.
 * Reads zod's public `_zod.def` description of the schema; only the kinds the config uses matter.
 */

type Schema = z.core.$ZodType;

interface LooseDef {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  options?: readonly Schema[];
  discriminator?: string;
  values?: readonly unknown[];
  entries?: Record<string, unknown>;
  getter?: () => Schema;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function def(schema: Schema): LooseDef {
  return schema._zod.def as unknown as LooseDef;
}

/** Strips wrappers (default, optional, ...) and pipes (the input side), leaving the shape-giving schema. */
export function baseOf(schema: Schema): Schema {
  let current = schema;
  for (let guard = 0; guard < 32; guard++) {
    const d = def(current);
    if (WRAPPERS.has(d.type) && d.innerType) current = d.innerType;
    else if (d.type === 'pipe' && d.in) current = d.in;
    else if (d.type === 'lazy' && d.getter) current = d.getter();
    else return current;
  }
  return current;
}

/** The union member that applies to `raw`: by discriminator value when there is one. */
function pickOption(union: LooseDef, raw: unknown, key?: string): Schema | undefined {
  const options = union.options ?? [];
  if (union.discriminator && isRecord(raw)) {
    const wanted = raw[union.discriminator];
    for (const option of options) {
      const shape = def(baseOf(option)).shape;
      const tag = shape?.[union.discriminator];
      if (tag && literalValues(tag).includes(wanted)) return option;
    }
  }
  if (key !== undefined) return options.find((o) => def(baseOf(o)).shape?.[key] !== undefined);
  return options[0];
}

/** The schema at `path`, given the raw (pre-validation) data to choose between union members. */
export function schemaAt(root: Schema, path: ConfigPath, data: unknown): Schema | undefined {
  let current: Schema | undefined = root;
  let raw: unknown = data;
  for (const seg of path) {
    if (!current) return undefined;
    let base = baseOf(current);
    let d = def(base);
    if (d.type === 'union') {
      const option = pickOption(d, raw, String(seg));
      if (!option) return undefined;
      base = baseOf(option);
      d = def(base);
    }
    if (d.type === 'object') current = d.shape?.[String(seg)];
    else if (d.type === 'array') current = d.element;
    else if (d.type === 'record') current = d.valueType;
    else return undefined;
    raw = isRecord(raw) || Array.isArray(raw) ? (raw as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  return current;
}

/** Setting names allowed in the mapping at `path` (for "did you mean"). */
export function knownKeysAt(root: Schema, path: ConfigPath, data: unknown): string[] {
  const schema = schemaAt(root, path, data);
  if (!schema) return [];
  let d = def(baseOf(schema));
  if (d.type === 'union') {
    const option = pickOption(d, valueAt(data, path));
    d = option ? def(baseOf(option)) : d;
  }
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** Literal or enum values a schema accepts; empty when it is not a literal/enum. */
export function literalValues(schema: Schema): unknown[] {
  const d = def(baseOf(schema));
  if (d.type === 'literal') return [...(d.values ?? [])];
  if (d.type === 'enum') return Object.values(d.entries ?? {});
  return [];
}

/** "a whole number from 0 to 255", "a number of at least 1", ... from the schema's own bounds. */
export function numberPhrase(schema: Schema | undefined): string {
  const base = schema ? baseOf(schema) : undefined;
  if (!(base instanceof z.ZodNumber)) return 'a number';
  const noun = base.isInt ? 'a whole number' : 'a number';
  const min =
    Number.isFinite(base.minValue) && base.minValue !== Number.MIN_SAFE_INTEGER ? base.minValue : null;
  const max =
    Number.isFinite(base.maxValue) && base.maxValue !== Number.MAX_SAFE_INTEGER ? base.maxValue : null;
  if (min !== null && max !== null) return `${noun} from ${min} to ${max}`;
  if (min !== null) return `${noun} of at least ${min}`;
  if (max !== null) return `${noun} of at most ${max}`;
  return noun;
}

/** Whether the schema is a duration setting: it turns text with a unit into milliseconds. */
export function isDurationSchema(schema: Schema | undefined): boolean {
  if (!schema) return false;
  return ['1s', '100ms', '1m', '1h'].some((text) => {
    const r = z.safeParse(schema, text);
    return r.success && typeof r.data === 'number';
  });
}

/** Whether `schema` accepts `value` on its own (ignoring checks made by enclosing objects). */
export function accepts(schema: Schema | undefined, value: unknown): boolean {
  return schema !== undefined && z.safeParse(schema, value).success;
}

export function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const seg of path) {
    if (!isRecord(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[seg];
  }
  return current;
}

/** Whether the last key of `path` is absent from its (existing) parent mapping. */
export function isMissing(data: unknown, path: ConfigPath): boolean {
  if (path.length === 0) return data === undefined;
  const parent = valueAt(data, path.slice(0, -1));
  const key = path[path.length - 1]!;
  return isRecord(parent) && !Object.hasOwn(parent, key);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
