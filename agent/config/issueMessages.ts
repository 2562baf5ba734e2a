import type { z } from 'zod';
import { type ConfigPath, closestMatches, describeValue, didYouMean, isScalarValue } from './configErrors.js';
import {
  accepts,
  isDurationSchema,
  isMissing,
  isRecord,
  knownKeysAt,
  literalValues,
  numberPhrase,
  schemaAt,
  valueAt,
} from './schemaWalk.js';

/**
 * Turns zod issues into sentences for the person editing the file. The schema's own messages
 * (regex and refinement messages written for this config) are kept; zod's generic ones ("Invalid
 * input: expected string, received number") are rewritten in terms of the setting: its allowed
 * values, its bounds, what was found, and a hint for the usual YAML slips.
 */

export type Issue = z.core.$ZodIssue;

/** What a problem is about, before it is placed in the file. */
export interface IssueReport {
  path: ConfigPath;
  /** Point at the key (unknown or invalid setting names) or at the value. */
  at: 'key' | 'value';
  message: string;
  hint?: string;
}

export interface IssueContext {
  /** The data that was validated (after env substitution). */
  data: unknown;
  root: z.core.$ZodType;
  /** The value's text as written in the file, when it is a scalar. */
  sourceAt(path: ConfigPath): string | undefined;
}

/**
 * Marks zod's built-in messages. Passed as the per-parse error map, it is used only where the
 * schema did not give its own message, which is how the two kinds are told apart.
 */
export const GENERIC = '\u0000generic';
export const markGeneric: z.core.$ZodErrorMap = () => GENERIC;

const TYPE_NOUNS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping of settings',
  array: 'a list',
  null: 'an empty value',
};

const YAML11_BOOLEANS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

export function reportIssue(issue: Issue, ctx: IssueContext): IssueReport[] {
  const path = issue.path;
  const raw = valueAt(ctx.data, path);
  const generic = issue.message === GENERIC;
  const name = String(path[path.length - 1] ?? '');

  if (issue.code === 'unrecognized_keys') {
    const present = isRecord(raw) ? Object.keys(raw) : [];
    const known = knownKeysAt(ctx.root, path, ctx.data);
    const absent = known.filter((k) => !present.includes(k));
    return issue.keys.map((key) => {
      // Prefer a setting not yet given (the usual typo); else one that is (a duplicate under two spellings).
      const guess = closestMatches(key, absent);
      const hint =
        didYouMean(guess.length > 0 ? guess : closestMatches(key, known)) ??
        (known.length > 0 ? `settings allowed here: ${known.join(', ')}` : undefined);
      return withHint({ path: [...path, key], at: 'key', message: `unknown setting "${key}"` }, hint);
    });
  }

  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    const why = inner && inner.message !== GENERIC ? `: ${inner.message}` : '';
    return [{ path, at: 'key', message: `invalid key "${name}"${why}` }];
  }

  if (path.length === 0 && (raw === null || raw === undefined)) {
    return [
      {
        path,
        at: 'value',
        message: 'the file is empty: expected settings such as version, station, storage',
      },
    ];
  }

  const schema = schemaAt(ctx.root, path, ctx.data);
  const expected = generic ? expectedPhrase(issue, schema) : issue.message;

  // A key that is not there at all: say so, and tell what it should hold.
  if (
    isMissing(ctx.data, path) ||
    (issue.code === 'invalid_union' && issue.discriminator && raw === undefined)
  ) {
    const missingName = issue.code === 'invalid_union' && issue.discriminator ? issue.discriminator : name;
    return [{ path, at: 'value', message: `missing required setting "${missingName}" (${expected})` }];
  }

  let message = expected;
  // A secret's value is never echoed: problems go to terminals and logs (the reload path logs them).
  const secret = /^(password|pw|key|token)$/i.test(name);
  if (!secret && (generic || issue.code === 'invalid_type' || !mentions(message, raw))) {
    if (isScalarValue(raw) || issue.code === 'invalid_type') message += ` (got ${describeValue(raw)})`;
  }
  return [withHint({ path, at: 'value', message }, hintFor(issue, schema, raw, ctx.sourceAt(path)))];
}

/** "expected ..." for a generic issue, from the issue and the setting's schema. */
function expectedPhrase(issue: Issue, schema: z.core.$ZodType | undefined): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (isDurationSchema(schema)) return 'expected a duration such as "500ms", "10s" or "5m"';
      if (issue.expected === 'number' || issue.expected === 'int') return `expected ${numberPhrase(schema)}`;
      return `expected ${TYPE_NOUNS[issue.expected] ?? issue.expected}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}`;
    case 'invalid_union': {
      if (issue.discriminator) return `expected ${issue.discriminator} ${oneOf(discriminatorOptions(issue))}`;
      const values = unionLiterals(issue);
      return values ? `expected ${oneOf(values)}` : 'expected a value of one of the allowed forms';
    }
    case 'too_small':
    case 'too_big':
      return sizePhrase(issue, schema);
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern
        ? `expected text matching ${issue.pattern}`
        : `expected ${issue.format}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    default:
      return 'invalid value';
  }
}

function sizePhrase(
  issue: Extract<Issue, { code: 'too_small' | 'too_big' }>,
  schema: z.core.$ZodType | undefined,
): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'number':
    case 'int':
      return `expected ${numberPhrase(schema)}`;
    case 'string':
      if (small && bound === 1) return 'expected non-empty text';
      return `expected ${small ? 'at least' : 'at most'} ${bound} characters`;
    case 'array':
      return `expected ${small ? 'at least' : 'at most'} ${bound} ${bound === 1 ? 'item' : 'items'}`;
    default:
      return `expected ${small ? 'at least' : 'at most'} ${bound}`;
  }
}

/** `z.union([z.literal(1), z.literal(2)])` fails with one "expected 1"/"expected 2" issue per branch. */
function unionLiterals(issue: Extract<Issue, { code: 'invalid_union' }>): unknown[] | undefined {
  if (issue.errors.length === 0) return undefined;
  const values: unknown[] = [];
  for (const branch of issue.errors) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (only?.code !== 'invalid_value' || only.path.length > 0) return undefined;
    values.push(...only.values);
  }
  return values;
}

/** Tags of a discriminated union (`type: tcp`, ...), present when no member matched. */
function discriminatorOptions(issue: Extract<Issue, { code: 'invalid_union' }>): readonly unknown[] {
  return 'options' in issue ? (issue.options ?? []) : [];
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => String(v));
  return shown.length === 1 ? shown[0]! : `one of ${shown.join(', ')}`;
}

/** Whether the message already quotes the offending value, so "(got ...)" would repeat it. */
function mentions(message: string, raw: unknown): boolean {
  if (!isScalarValue(raw) || raw === null) return true;
  if (message.includes(describeValue(raw))) return true;
  return typeof raw === 'string' && raw.length > 1 && new RegExp(`\\b${escapeRegExp(raw)}\\b`).test(message);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The usual slips: a near-miss enum value, numbers vs. text, durations without a unit, yes/no. */
function hintFor(
  issue: Issue,
  schema: z.core.$ZodType | undefined,
  raw: unknown,
  source: string | undefined,
): string | undefined {
  const allowed: readonly unknown[] =
    issue.code === 'invalid_value'
      ? issue.values
      : issue.code === 'invalid_union' && issue.discriminator
        ? discriminatorOptions(issue)
        : schema
          ? literalValues(schema)
          : [];
  if (typeof raw === 'string' && allowed.some((v) => typeof v !== 'string' && String(v) === raw)) {
    return `remove the quotes: write ${raw}`;
  }
  if (typeof raw === 'string' && allowed.length > 0 && !allowed.includes(raw)) {
    // A case slip ("Input") is certain; otherwise the nearest spellings.
    const exact = allowed.map(String).filter((v) => v.toLowerCase() === raw.toLowerCase());
    const hint = didYouMean(exact.length > 0 ? exact : closestMatches(raw, allowed.map(String)));
    if (hint) return hint;
  }
  if (issue.code !== 'invalid_type') return undefined;

  if ((typeof raw === 'number' || typeof raw === 'string') && isDurationSchema(schema)) {
    const candidates = [`${raw}s`, `${raw}ms`].filter((t) => accepts(schema, t));
    if (typeof raw === 'number' && candidates.length > 0) {
      return `durations need a unit (ms, s, m, h, d): write ${candidates.map((c) => `"${c}"`).join(' or ')}`;
    }
    return 'durations need a unit: ms, s, m, h or d';
  }
  if (issue.expected === 'string' && (typeof raw === 'number' || typeof raw === 'boolean')) {
    const text = source ?? String(raw);
    if (accepts(schema, text)) {
      return `YAML read this as ${typeof raw}; put it in quotes: ${JSON.stringify(text)}`;
    }
    return undefined;
  }
  if ((issue.expected === 'number' || issue.expected === 'int') && typeof raw === 'string') {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n) && accepts(schema, n)) {
      return 'remove the quotes to make it a number';
    }
    return undefined;
  }
  if (issue.expected === 'boolean' && typeof raw === 'string' && YAML11_BOOLEANS.test(raw)) {
    return 'write true or false (YAML 1.2 reads yes/no/on/off as text)';
  }
  if (issue.expected === 'array' && isRecord(raw)) return 'start each item with "- "';
  return undefined;
}

function withHint(report: IssueReport, hint: string | undefined): IssueReport {
  return hint ? { ...report, hint } : report;
}
