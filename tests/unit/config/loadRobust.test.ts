import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProblems, loadConfigText } from '../../../agent/config/load.js';

/**
 * "Never throws for bad input": whatever a half-edited file looks like, the loader answers with
 * problems that point inside the file, never with a stack trace.
 */

const example = readFileSync(
  fileURLToPath(new URL('../../../config/examples/water-station.yaml', import.meta.url)),
  'utf8',
);
const lineCount = example.split('\n').length;

/** A random edit: delete, insert or replace a short span of the example. */
const edit = fc
  .record({
    at: fc.nat({ max: example.length }),
    remove: fc.nat({ max: 12 }),
    insert: fc.oneof(
      fc.string({ maxLength: 6 }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${ENV} syntax
      fc.constantFrom(':', '- ', '{', ']', '"', '\t', '\n  ', '&a ', '*a', '<<: ', '${X}', '!!str ', '---\n'),
    ),
  })
  .map(({ at, remove, insert }) => example.slice(0, at) + insert + example.slice(at + remove));

describe('loadConfigText on damaged files', () => {
  it('never throws and always places problems inside the file', () => {
    fc.assert(
      fc.property(edit, (text) => {
        const result = loadConfigText(text, 'damaged.yaml', {});
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        const lines = text.split('\n').length;
        for (const p of result.problems) {
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.line).toBeLessThanOrEqual(Math.max(lines, lineCount) + 1);
          expect(p.column).toBeGreaterThanOrEqual(1);
          expect(p.message.length).toBeGreaterThan(0);
        }
        expect(formatProblems(result.problems)).toMatch(/the agent did not start\.$/);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const result = loadConfigText(text, 'random.yaml', {});
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
      .concat(
        ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map(
          (k, i) =>
            `${k}: &${k} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(',')}]`,
        ),
      )
      .join('\n');
    const result = loadConfigText(bomb, 'bomb.yaml', {});
    expect(result.ok || result.problems).toMatchObject([
      { line: 1, column: 1, message: expect.stringContaining('YAML aliases (*name) too often') },
    ]);
  });
});
