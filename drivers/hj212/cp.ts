import { type Result, reject } from './rejection.js';

/**
 * The CP (command parameters) of a data segment, structured: `DataTime` (sampling instant, or the
 * start of the period for minute/hour/day data), the other plain keys (BeginTime, QnRtn, SystemTime…)
 * and the factor groups (`w01018-Rtd=25.5,w01018-Flag=N` → w01018 → {Rtd: 25.5, Flag: N}).
 * Values stay text: `25.50` and `25.5` are different on the wire, and the codec must not reformat.
 */
export interface Cp {
  /** `yyyyMMddHHmmss` as sent. */
  dataTime?: string;
  /** Keys without a `-`, in the order received (DataTime excepted). */
  fields: Map<string, string>;
  /** Factor or device code → field (`Rtd`, `Flag`, `Avg`…) → value, in the order received. */
  factors: Map<string, Map<string, string>>;
}

export function emptyCp(): Cp {
  return { fields: new Map(), factors: new Map() };
}

/** A CP from plain objects, for builders and tests: numbers are written with String(n). */
export function cpFrom(input: {
  dataTime?: string;
  fields?: Record<string, string | number>;
  factors?: Record<string, Record<string, string | number>>;
}): Cp {
  const cp = emptyCp();
  if (input.dataTime !== undefined) cp.dataTime = input.dataTime;
  for (const [k, v] of Object.entries(input.fields ?? {})) cp.fields.set(k, String(v));
  for (const [code, group] of Object.entries(input.factors ?? {})) {
    cp.factors.set(code, new Map(Object.entries(group).map(([f, v]) => [f, String(v)])));
  }
  return cp;
}

const BLANK = /^[ \t]+|[ \t]+$/g;

/**
 * Parses the text between `CP=&&` and the closing `&&`. Lenient as the field requires: `;` and `,`
 * are both taken as item separators (public examples mix them up), blanks around keys and values are
 * dropped, empty items are skipped, a repeated key keeps its last value. An item without `=` is refused:
 * guessing its meaning could store a value under the wrong factor.
 */
export function parseCp(text: string): Result<Cp> {
  const cp = emptyCp();
  for (const rawItem of text.split(/[;,]/)) {
    const item = rawItem.replace(BLANK, '');
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return reject('bad-cp', `CP item '${clip(item)}' is not Key=Value`);
    const key = item.slice(0, eq).replace(BLANK, '');
    const value = item.slice(eq + 1).replace(BLANK, '');
    if (key.toLowerCase() === 'datatime') {
      cp.dataTime = value;
      continue;
    }
    const dash = key.indexOf('-');
    if (dash === -1) {
      cp.fields.set(key, value);
      continue;
    }
    const code = key.slice(0, dash);
    const field = key.slice(dash + 1);
    if (code === '' || field === '') return reject('bad-cp', `CP key '${clip(key)}' is not <code>-<field>`);
    let group = cp.factors.get(code);
    if (group === undefined) {
      group = new Map();
      cp.factors.set(code, group);
    }
    group.set(field, value);
  }
  return { ok: true, value: cp };
}

/**
 * The CP items in standard order: DataTime, the other keys, then one item per factor with its fields
 * joined by `,`. Splitting packs these items into parts, so it needs them separately.
 */
export function cpItems(cp: Cp): { prefix: string[]; groups: { code: string; subItems: string[] }[] } {
  const prefix: string[] = [];
  if (cp.dataTime !== undefined) prefix.push(item('DataTime', cp.dataTime));
  for (const [k, v] of cp.fields) {
    // Would parse back as a factor or as DataTime: a builder bug, not something to send.
    if (k.includes('-') || k.toLowerCase() === 'datatime')
      throw new Error(`HJ 212: CP field key '${k}' is ambiguous`);
    prefix.push(item(k, v));
  }
  const groups = [...cp.factors].map(([code, fields]) => {
    if (code.includes('-')) throw new Error(`HJ 212: factor code '${code}' contains '-'`);
    return { code, subItems: [...fields].map(([f, v]) => item(`${code}-${f}`, v)) };
  });
  return { prefix, groups };
}

/** The strict form: `;` between items, `,` between a factor's fields, no blanks added. */
export function formatCp(cp: Cp): string {
  const { prefix, groups } = cpItems(cp);
  return [...prefix, ...groups.filter((g) => g.subItems.length > 0).map((g) => g.subItems.join(','))].join(
    ';',
  );
}

/** Characters that would change how the item parses back. Emitting them is a bug upstream: fail loudly. */
const FORBIDDEN_IN_KEY = /[;,=&\r\n]/;
const FORBIDDEN_IN_VALUE = /[;,&\r\n]/;

function item(key: string, value: string): string {
  if (key === '' || FORBIDDEN_IN_KEY.test(key) || key !== key.replace(BLANK, '')) {
    throw new Error(`HJ 212: CP key ${JSON.stringify(key)} cannot be emitted (empty, blanks or ;,=&)`);
  }
  if (FORBIDDEN_IN_VALUE.test(value) || value !== value.replace(BLANK, '')) {
    throw new Error(
      `HJ 212: CP value ${JSON.stringify(value)} of ${key} cannot be emitted (;,& or outer blanks)`,
    );
  }
  return `${key}=${value}`;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A plain CP key, matched without regard to case (`SystemTime`, `systemtime`: both seen in the field). */
export function cpField(cp: Cp, name: string): string | undefined {
  const exact = cp.fields.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [k, v] of cp.fields) if (k.toLowerCase() === lower) return v;
  return undefined;
}
