import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { formatProblems, type LoadResult, loadConfigText } from '../../agent/config/load.js';
import { fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';

/**
 * Config files as a tired technician, a broken editor or a hostile `config/set` may write them:
 * random YAML documents, the examples with values replaced or removed, tabs, duplicate keys, deep
 * nesting, alias bombs, huge numbers, unicode, odd ${ENV} values. The loader answers with a valid
 * config or with problems that each name a place in the file, a setting path and a message; it
 * never throws. (tests/unit/config/loadRobust.test.ts covers small text edits of one example.)
 */

const EXAMPLES_DIR = fileURLToPath(new URL('../../config/examples/', import.meta.url));
const EXAMPLES = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(EXAMPLES_DIR + f, 'utf8'));
const TOP_KEYS = [
  'version',
  'station',
  'storage',
  'buses',
  'devices',
  'uplinks',
  'http',
  'maintenance',
  'aggregation',
];

/** Well-formed result: ok, or problems that point inside the text. */
function expectWellFormed(result: LoadResult, text: string): void {
  if (result.ok) return;
  expect(['CONFIG_INVALID', 'CONFIG_UNREADABLE']).toContain(result.code);
  expect(result.problems.length).toBeGreaterThan(0);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const p of result.problems) {
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}`).toBe(
      true,
    );
    expect(Number.isInteger(p.column) && p.column >= 1, `column ${p.column}`).toBe(true);
    expect(typeof p.path).toBe('string');
    expect(typeof p.message === 'string' && p.message.length > 0).toBe(true);
  }
  expect(formatProblems(result.problems).length).toBeGreaterThan(0);
}

const oddScalar = fc.oneof(
  fc.constantFrom<unknown>(
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53 + 1,
    -0,
    0,
    -1,
    1.5,
    '',
    ' ',
    '\t',
    '监测站',
    '\u202e\u0000',
    '5x',
    '-1s',
    '999999999999999d',
    '1e3ms',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${ENV} syntax
    '${UNSET}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${ENV} syntax
    '${FUZZ_ENV:-x}',
    '$${LITERAL}',
    null,
    true,
    '0x10',
    '.inf',
    'x'.repeat(5000),
  ),
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.integer(),
);

const jsonish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, oddScalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(
    fc.oneof(fc.constantFrom(...TOP_KEYS, 'id', 'type', 'bus', 'unit', 'port'), fc.string({ maxLength: 8 })),
    tie('value'),
    { maxKeys: 4 },
  ),
})).value;

type Step = string | number;

/** Replaces (or with `undefined`, deletes) the value at a path picked by `pick` numbers. */
function replaceAt(doc: unknown, pick: number[], value: unknown): unknown {
  if (pick.length === 0 || doc === null || typeof doc !== 'object') return value;
  const keys: Step[] = Array.isArray(doc) ? doc.map((_, i) => i) : Object.keys(doc);
  if (keys.length === 0) return value;
  const key = keys[pick[0]! % keys.length]!;
  const copy = (Array.isArray(doc) ? [...doc] : { ...doc }) as Record<Step, unknown>;
  const next = replaceAt(copy[key], pick.slice(1), value);
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}

function deepNesting(depth: number, kind: number): string {
  if (kind === 0) return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (kind === 1) return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
  return Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
}

function aliasBomb(width: number, depth: number): string {
  const lines = [`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < depth; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n');
}

/** Text-level damage that a structured mutation cannot express. */
const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ kind: fc.constant('tab' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    line: fc.nat(),
    text: fc.oneof(
      // Rare and mostly shallow: an indented ladder costs depth² bytes to parse.
      fc
        .oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }) },
          { weight: 1, arbitrary: fc.integer({ min: 100, max: 2500 }) },
        )
        .chain((d) => fc.integer({ min: 0, max: 2 }).map((k) => deepNesting(d, k))),
      fc
        .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }))
        .map(([w, d]) => aliasBomb(w, d)),
      fc.constantFrom(
        '<<: *nowhere',
        '&a',
        '*a',
        '---',
        '...',
        '%YAML 1.1',
        '? [a, b]\n: c',
        '!!binary x',
        '!!js/function f',
        'port: 1e400',
        'timeout: 99999999999999999999999d',
        '\uFEFF',
      ),
      fc.string({ maxLength: 30 }),
    ),
  }),
);

type TextEdit = { kind: 'tab' | 'duplicate' | 'insert'; line: number; text?: string };

function applyEdit(text: string, e: TextEdit): string {
  const lines = text.split('\n');
  const at = e.line % (lines.length + 1);
  switch (e.kind) {
    case 'tab':
      if (at < lines.length) lines[at] = `\t${lines[at]}`;
      break;
    case 'duplicate':
      if (at < lines.length) lines.splice(at, 0, lines[at]!);
      break;
    default:
      lines.splice(at, 0, e.text ?? '');
  }
  return lines.join('\n');
}

const envArb = fc.dictionary(
  fc.constantFrom('MQTT_PASSWORD', 'MQTT_USERNAME', 'HJ212_KEY', 'FUZZ_ENV', 'UNSET'),
  fc.oneof(
    fc.string({ maxLength: 20 }),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${ENV} syntax
    fc.constantFrom('a\nb: c', '"', '${MQTT_PASSWORD}', 'x'.repeat(10_000)),
  ),
);

describe('fuzz: YAML configs into loadConfigText', () => {
  it(
    'random YAML documents: a config or placed problems, never an exception',
    () => {
      fc.assert(
        fc.property(jsonish, envArb, (doc, env) => {
          const text = stringify(doc);
          expectWellFormed(loadConfigText(text, 'random.yaml', env), text);
        }),
        fuzzParams(300),
      );
    },
    fuzzTestTimeout(30_000),
  );

  it(
    'the examples with values replaced or removed, and text damage: never an exception',
    () => {
      const parsed = EXAMPLES.map((t) => parse(t) as unknown);
      fc.assert(
        fc.property(
          fc.nat({ max: EXAMPLES.length - 1 }),
          fc.array(
            fc.tuple(
              fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
              fc.option(jsonish, { nil: undefined }),
            ),
            { maxLength: 3 },
          ),
          fc.array(textEdit, { maxLength: 2 }),
          envArb,
          (which, replacements, edits, env) => {
            let doc = parsed[which];
            for (const [pick, value] of replacements) doc = replaceAt(doc, pick, value);
            const text = edits.reduce(
              applyEdit,
              replacements.length === 0 ? EXAMPLES[which]! : stringify(doc),
            );
            expectWellFormed(loadConfigText(text, 'mutated.yaml', env), text);
          },
        ),
        fuzzParams(200),
      );
    },
    fuzzTestTimeout(60_000),
  );

  it('the examples themselves load (the mutations start from valid files)', () => {
    for (const text of EXAMPLES) expect(loadConfigText(text, 'example.yaml', {}).ok).toBe(true);
  });
});

const STACK_FRAMES = 300;
describe('config regressions found by fuzzing', () => {
  it('1805 levels of indented keys above an example: a problem at 1:1, not a RangeError out of the parser', () => {
    const text = applyEdit(EXAMPLES[0]!, { kind: 'insert', line: 0, text: deepNesting(1805, 2) });
    // Where the stack runs out depends on how deep the caller already is (fast-check's was deeper):
    // called from a few hundred frames down, the parser overflows instead of reporting it.
    const atDepth = (n: number): LoadResult =>
      n === 0 ? loadConfigText(text, 'deep.yaml', {}) : atDepth(n - 1);
    const result = atDepth(STACK_FRAMES);
    expect(result.ok).toBe(false);
    expectWellFormed(result, text);
    if (!result.ok) expect(result.problems[0]!.message).toMatch(/nested too deeply/);
  });
});
