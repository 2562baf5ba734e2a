import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { registerCount, SIM_REGISTER_TYPES, SIM_WORD_ORDERS } from './registerEncoding.js';

/**
 * The simulator's register map (scripts/simulator/maps/*.yaml): which units answer on the port
 * and what each register holds. Addresses, types, orders, scale and offset mean exactly what
 * they mean in the station config, so a map reads like the device sheet the config was written
 * from. Kept separate from agent/config on purpose: the simulator plays the field device.
 */

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `10s`, `6h`, `1d` (like the station config) or a bare number of milliseconds. */
const durationMs = z.union([
  z.number().positive(),
  z
    .string()
    .regex(DURATION_RE, { message: 'expected a duration such as "500ms", "10s" or "6h"' })
    .transform((s) => {
      const m = DURATION_RE.exec(s.trim())!;
      return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
    })
    .refine((ms) => ms > 0, { message: 'expected a duration above 0' }),
]);

/** Uniform noise of ± this much (engineering units) added on top; bounded so maps can promise ranges. */
const noise = z.number().min(0).default(0);

export const generatorSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sine'),
    mean: z.number(),
    amplitude: z.number().min(0),
    period: durationMs,
    noise,
  }),
  z.strictObject({
    kind: z.literal('randomWalk'),
    start: z.number(),
    step: z.number().min(0).meta({ description: 'largest change per update tick' }),
    min: z.number(),
    max: z.number(),
    noise,
  }),
  z.strictObject({ kind: z.literal('constant'), value: z.number(), noise }),
  z.strictObject({
    kind: z.literal('counter'),
    start: z.number().default(0),
    ratePerSecond: z.number().min(0),
  }),
  // The unit's instrument state (0 measuring, 1 calibration, 2 maintenance, 3 fault); setState drives it.
  z.strictObject({ kind: z.literal('state') }),
  // 1 while the unit's state equals `value`, else 0: discrete-input state bits.
  z.strictObject({ kind: z.literal('stateIs'), value: z.number().int().min(0).max(65535) }),
  // One register of a BCD timestamp YYMM DDhh mmss (as cycle analyzers report their last
  // measurement): the wall-clock time rounded down to `every` (the analyzer's cycle), in the
  // analyzer's clock at `utcOffset`. Use type uint16; 0x2611 is served as the number 0x2611.
  z.strictObject({
    kind: z.literal('bcdClock'),
    field: z.enum(['YYMM', 'DDhh', 'mmss']),
    every: durationMs.default(1000),
    utcOffset: z
      .string()
      .regex(/^[+-]\d{2}:\d{2}$/, { message: 'expected an offset such as "+08:00"' })
      .default('+00:00'),
  }),
]);

const nameRe = /^[A-Za-z0-9_-]{1,64}$/;

const pointSchema = z.strictObject({
  name: z.string().regex(nameRe, { message: 'expected a name of letters, digits, "_" or "-" (at most 64)' }),
  table: z.enum(['coil', 'discrete', 'holding', 'input']),
  address: z.number().int().min(0).max(65535),
  type: z.enum(SIM_REGISTER_TYPES),
  order: z.enum(SIM_WORD_ORDERS).default('ABCD'),
  scale: z
    .number()
    .finite()
    .refine((s) => s !== 0, { message: 'scale must not be 0' })
    .default(1),
  offset: z.number().finite().default(0),
  unit: z.string().max(32).optional().meta({ description: 'engineering unit, for people reading the map' }),
  generator: generatorSchema,
});

const unitSchema = z
  .strictObject({
    unit: z.number().int().min(1).max(255).meta({ description: 'Modbus unit id (slave address)' }),
    name: z.string().max(64).default(''),
    state: z.number().int().min(0).max(65535).default(0),
    updateInterval: durationMs
      .optional()
      .meta({ description: 'how often the analyzer refreshes its registers (default: the map’s)' }),
    unmapped: z.enum(['zero', 'exception']).default('zero').meta({
      description: 'reads touching an unmapped address: answer 0, or exception 02 like a strict device',
    }),
    points: z.array(pointSchema).min(1, { message: 'a unit needs at least one point' }),
  })
  .superRefine((u, ctx) => {
    const names = new Set<string>();
    const owners = new Map<string, string>(); // "table:address" -> point name, to catch overlaps
    u.points.forEach((p, i) => {
      if (names.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['points', i, 'name'], message: `duplicate point "${p.name}"` });
      }
      names.add(p.name);
      const bitTable = p.table === 'coil' || p.table === 'discrete';
      if (bitTable !== (p.type === 'bool')) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', i, 'type'],
          message: bitTable
            ? `a ${p.table} holds one bit: expected type bool`
            : 'type bool needs a coil or discrete',
        });
      }
      const count = registerCount(p.type);
      if (p.address + count - 1 > 65535) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', i, 'address'],
          message: 'point runs past address 65535',
        });
      }
      for (let a = p.address; a < p.address + count; a++) {
        const other = owners.get(`${p.table}:${a}`);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['points', i, 'address'],
            message: `${p.table} ${a} is already used by "${other}"`,
          });
          break;
        }
        owners.set(`${p.table}:${a}`, p.name);
      }
      const g = p.generator;
      if (g.kind === 'randomWalk' && !(g.min <= g.start && g.start <= g.max)) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', i, 'generator'],
          message: 'expected min <= start <= max',
        });
      }
    });
  });

export const simulatorMapSchema = z
  .strictObject({
    name: z.string().max(64).default(''),
    description: z.string().default(''),
    updateInterval: durationMs
      .default(1000)
      .meta({ description: 'how often values change: generators are sampled per tick' }),
    units: z.array(unitSchema).min(1, { message: 'a map needs at least one unit' }),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<number>();
    m.units.forEach((u, i) => {
      if (seen.has(u.unit)) {
        ctx.addIssue({ code: 'custom', path: ['units', i, 'unit'], message: `duplicate unit id ${u.unit}` });
      }
      seen.add(u.unit);
    });
  });

export type SimulatorMap = z.output<typeof simulatorMapSchema>;
export type SimulatorMapInput = z.input<typeof simulatorMapSchema>;
export type SimUnit = SimulatorMap['units'][number];
export type SimPoint = SimUnit['points'][number];
export type GeneratorSpec = SimPoint['generator'];
export type SimTable = SimPoint['table'];

/** A map that failed validation; `issues` are "path: message" lines for people. */
export class SimulatorMapError extends Error {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    super(`invalid simulator map ${source}:\n  ${issues.join('\n  ')}`);
    this.name = 'SimulatorMapError';
    this.issues = issues;
  }
}

/** Validates an already parsed map (e.g. from YAML.parse or built in a test). */
export function parseSimulatorMap(input: unknown, source = '(object)'): SimulatorMap {
  const result = simulatorMapSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new SimulatorMapError(source, issues);
}

/** Reads and validates a YAML map file. */
export async function loadSimulatorMap(file: string): Promise<SimulatorMap> {
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SimulatorMapError(file, [(err as Error).message]);
  }
  return parseSimulatorMap(doc, file);
}
