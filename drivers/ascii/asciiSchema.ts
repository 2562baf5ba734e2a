import { z } from 'zod';
import { DATA_FLAGS } from '../../agent/core/reading.js';
import { escapeProblem } from './asciiCommand.js';
import { CHECKSUMS, groupNames, regexProblem } from './asciiResponse.js';

/**
 * The `ascii` block of a device: an analyzer that speaks a line-based text protocol (Thermo C-Link,
 * many sondes) instead of Modbus. Its channels name a `field` (a named group of `pattern`) instead of
 * a register. Declared here, with the driver, and built from the config's duration setting (`kit`),
 * which drivers/ may not import (drivers-only-contract); agent/config/schema.ts puts the block in the
 * device's settings. Generic in the kit, so the config's types are exactly what it parses to.
 */
export function asciiDeviceBlock<Dur extends z.ZodType<number, string>>(kit: {
  /** A duration setting ("500ms", "10s") between two bounds, in ms. */
  duration: (minMs: number, maxMs: number) => Dur;
}) {
  const { duration } = kit;
  // `.default(1000 as never)` below: Dur's output is a number, but TypeScript does not see through
  // the generic to accept one; the kit's type guarantees it.
  const dataFlag = z.enum(DATA_FLAGS);

  const escapedText = z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const problem = escapeProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

  const regexText = z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const problem = regexProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${problem}` });
    });

  const statusRuleSchema = z
    .strictObject({
      equals: z.number().int().min(0).optional().meta({ description: 'matches when the value equals this' }),
      mask: z
        .number()
        .int()
        .min(1)
        .optional()
        .meta({ description: 'matches when any of these bits is set, e.g. 0x20000000' }),
      flag: dataFlag,
    })
    .superRefine((rule, ctx) => {
      if ((rule.equals === undefined) === (rule.mask === undefined)) {
        ctx.addIssue({ code: 'custom', path: [], message: 'a rule needs exactly one of equals or mask' });
      }
    });

  const asciiStatusSchema = z
    .strictObject({
      command: escapedText.meta({ description: 'Command asking for the status word, e.g. "flags"' }),
      pattern: regexText.meta({
        description:
          'Regex for the answer with one named group `value`, e.g. "^flags (?<value>[0-9A-Fa-f]+)"',
      }),
      base: z
        .union([z.literal(16), z.literal(10)])
        .default(16)
        .meta({ description: 'How `value` is written: 16 (hex, default) or 10' }),
      rules: z
        .array(statusRuleSchema)
        .default([])
        .meta({ description: 'Tried in order; the first match gives the flag' }),
      default: dataFlag.default('N').meta({ description: 'Flag when no rule matches (default N)' }),
    })
    .superRefine((s, ctx) => {
      if (validRegex(s.pattern) && !groupNames(s.pattern).includes('value')) {
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: 'the status pattern needs a named group (?<value>...) holding the status word',
        });
      }
    });

  const asciiSchema = z
    .strictObject({
      command: escapedText.meta({
        description: 'Command text; escapes \\r \\n \\t \\\\ \\xHH. The terminator is appended.',
      }),
      prefixByte: z.number().int().min(0).max(255).optional().meta({
        description: 'One byte sent before each command, e.g. 128 + instrument id for Thermo C-Link',
      }),
      terminator: escapedText
        .default('\r')
        .meta({ description: 'Line end: appended to commands and ending answers (default "\\r")' }),
      timeout: duration(10, 60_000)
        .default(1000 as never)
        .meta({
          description: 'How long to wait for a complete answer (default 1s)',
        }),
      pattern: regexText.meta({
        description:
          'Regex for the answer; channels name its named groups in `field`, e.g. "^o3 (?<o3>\\S+)"',
      }),
      checksum: z
        .enum(CHECKSUMS)
        .default('none')
        .meta({ description: 'Checksum in the named group `checksum`: none, sum8-hex, xor8-hex, sum16-hex' }),
      status: asciiStatusSchema.optional().meta({ description: 'Instrument status command -> data flag' }),
    })
    .superRefine((a, ctx) => {
      if (a.checksum !== 'none' && validRegex(a.pattern) && !groupNames(a.pattern).includes('checksum')) {
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: `checksum ${a.checksum} needs a named group (?<checksum>...) in the pattern`,
        });
      }
    });

  return {
    ascii: asciiSchema.optional().meta({ description: 'A text-protocol analyzer instead of Modbus' }),
  };
}

/** A pattern that compiles; a broken one has its own problem, and guessing its groups would add noise. */
function validRegex(pattern: unknown): pattern is string {
  return typeof pattern === 'string' && regexProblem(pattern) === undefined;
}
