import { readFile } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseEscapes } from '../../drivers/ascii/asciiCommand.js';
import { generatorSchema, SimulatorMapError } from './simulatorConfig.js';
import { createValueSource, type ValueSource } from './valueGenerators.js';

/**
 * A text-protocol analyzer (Thermo C-Link style) on a serial device path, answering commands
 * from a small definition (scripts/simulator/ascii/*.yaml):
 *
 *   id: 49                      # requests start with the byte 128 + id (omit: no prefix byte)
 *   values: { o3: { kind: sine, mean: 35, amplitude: 10, period: 1h } }
 *   commands: { o3: "o3 {o3} ppb", flags: "flags {status:hex8}" }
 *
 * Placeholders: {name} or {name:format} with a value of `values`, or {status}, the status word
 * (set with setStatus/setStatusBits, e.g. 0x20000000 for C-Link service mode). Formats: sci
 * (3.450E+01, the default), fixed<N> (N decimals), int, hex8. Requests for another id are ignored
 * (another instrument on the same RS-485 line); an unknown command gets `unknownReply`.
 * Fault switches: silent (no answer at all), garbage (a terminated line of noise).
 */

const durationMs = z.union([z.number().positive(), z.string().regex(/^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)$/)]);

export const asciiDefinitionSchema = z.strictObject({
  name: z.string().max(64).default(''),
  description: z.string().default(''),
  id: z.number().int().min(0).max(127).optional(),
  terminator: z.string().min(1).default('\r'),
  replyTerminator: z.string().min(1).default('\r\n'),
  updateInterval: durationMs.default(1000),
  status: z.number().int().min(0).max(0xffff_ffff).default(0),
  values: z.record(z.string().regex(/^[A-Za-z_]\w*$/), generatorSchema).default({}),
  commands: z.record(z.string().min(1), z.string()),
  unknownReply: z.string().default('bad cmd'),
});

export type AsciiDefinition = z.output<typeof asciiDefinitionSchema>;
export type AsciiDefinitionInput = z.input<typeof asciiDefinitionSchema>;

export interface StartAsciiSimulatorOptions {
  /** Serial device path (e.g. the simulator end of a socat pty pair). */
  path: string;
  definition?: AsciiDefinitionInput;
  definitionFile?: string;
  baudRate?: number;
  clock?: { now(): number };
  seed?: number;
}

export interface AsciiSimulatorStats {
  requests: number;
  answered: number;
  /** Requests with another instrument's id byte. */
  otherId: number;
  unknownCommands: number;
  dropped: number;
}

export interface AsciiSimulatorHandle {
  readonly path: string;
  readonly name: string;
  setStatus(word: number): void;
  /** Sets (on) or clears the bits of `mask` in the status word. */
  setStatusBits(mask: number, on: boolean): void;
  /** Serves `value` for a value name instead of its generator (a string verbatim, e.g. "----"); null: back to the generator. */
  setValue(name: string, value: number | string | null): void;
  setSilent(on: boolean): void;
  setGarbage(on: boolean): void;
  /** Delays every answer by `ms`. */
  setDelay(ms: number): void;
  /** The value `name` would be answered with now (for tests to compare against). */
  valueNow(name: string): number | string | undefined;
  stats(): AsciiSimulatorStats;
  stop(): Promise<void>;
}

export async function loadAsciiDefinition(file: string): Promise<AsciiDefinition> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new SimulatorMapError(file, [(err as Error).message]);
  }
  return parseAsciiDefinition(doc, file);
}

export function parseAsciiDefinition(input: unknown, source = '(object)'): AsciiDefinition {
  const result = asciiDefinitionSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SimulatorMapError(
    source,
    result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  );
}

export async function startAsciiSimulator(opts: StartAsciiSimulatorOptions): Promise<AsciiSimulatorHandle> {
  const def = opts.definitionFile
    ? await loadAsciiDefinition(opts.definitionFile)
    : parseAsciiDefinition(opts.definition ?? {});
  const clock = opts.clock ?? { now: () => Date.now() };
  const started = clock.now();
  const tickMs = typeof def.updateInterval === 'number' ? def.updateInterval : parseMs(def.updateInterval);
  const sources = new Map<string, ValueSource>();
  for (const [name, spec] of Object.entries(def.values)) {
    sources.set(
      name,
      createValueSource(spec, {
        seed: opts.seed ?? 1,
        key: `${def.name}/${name}`,
        tickMs,
        originMs: started,
      }),
    );
  }
  const requestEnd = parseEscapes(def.terminator);
  const replyEnd = parseEscapes(def.replyTerminator);
  const overrides = new Map<string, number | string>();
  const stats: AsciiSimulatorStats = { requests: 0, answered: 0, otherId: 0, unknownCommands: 0, dropped: 0 };
  let status = def.status;
  let silent = false;
  let garbage = false;
  let delayMs = 0;
  let rx = Buffer.alloc(0);
  const pending = new Set<NodeJS.Timeout>();

  const valueNow = (name: string): number | string | undefined =>
    overrides.get(name) ?? sources.get(name)?.at(Math.floor((clock.now() - started) / tickMs), 0);

  const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate ?? 9600, autoOpen: false });
  port.on('error', () => {}); // an unplugged pty ends the simulator's port; the test notices on its side
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));

  const reply = (text: Buffer) => {
    const send = () => {
      stats.answered++;
      if (port.isOpen) port.write(text);
    };
    if (delayMs <= 0) return send();
    const t = setTimeout(() => {
      pending.delete(t);
      send();
    }, delayMs);
    pending.add(t);
  };

  const onLine = (line: Buffer) => {
    stats.requests++;
    let body = line;
    if (def.id !== undefined) {
      if (body[0] !== 128 + def.id) {
        stats.otherId++;
        return;
      }
      body = body.subarray(1);
    }
    if (silent) {
      stats.dropped++;
      return;
    }
    if (garbage) return reply(Buffer.concat([Buffer.from([0x15, 0xfe, 0x23, 0x3f, 0x21, 0x80]), replyEnd]));
    const command = body.toString('latin1').trim();
    const template = def.commands[command];
    if (template === undefined) stats.unknownCommands++;
    const text = template === undefined ? def.unknownReply : render(template, valueNow, status);
    reply(Buffer.concat([Buffer.from(text, 'latin1'), replyEnd]));
  };

  port.on('data', (chunk: Buffer) => {
    rx = Buffer.concat([rx, chunk]);
    for (let at = rx.indexOf(requestEnd); at >= 0; at = rx.indexOf(requestEnd)) {
      const line = rx.subarray(0, at);
      rx = rx.subarray(at + requestEnd.length);
      // Leftover CR/LF between requests is no request.
      if (line.length > 0 && !/^[\r\n]+$/.test(line.toString('latin1'))) onLine(line);
    }
    if (rx.length > 4096) rx = Buffer.alloc(0); // noise without a terminator: drop it
  });

  let stopping: Promise<void> | undefined;
  return {
    path: opts.path,
    name: def.name,
    setStatus: (word) => {
      status = word >>> 0;
    },
    setStatusBits: (mask, on) => {
      status = (on ? status | mask : status & ~mask) >>> 0;
    },
    setValue: (name, value) => {
      if (value === null) overrides.delete(name);
      else overrides.set(name, value);
    },
    setSilent: (on) => {
      silent = on;
    },
    setGarbage: (on) => {
      garbage = on;
    },
    setDelay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    valueNow,
    stats: () => ({ ...stats }),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const t of pending) clearTimeout(t);
        pending.clear();
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      });
      return stopping;
    },
  };
}

/** Fills {name} / {name:format} placeholders; {status} is the status word. */
export function render(
  template: string,
  valueNow: (name: string) => number | string | undefined,
  status: number,
): string {
  return template.replace(/\{(\w+)(?::(\w+))?\}/g, (whole, name: string, format: string | undefined) => {
    const v = name === 'status' ? status : valueNow(name);
    if (v === undefined) return whole;
    return typeof v === 'string' ? v : formatValue(v, format ?? (name === 'status' ? 'hex8' : 'sci'));
  });
}

export function formatValue(v: number, format: string): string {
  if (format === 'hex8') return (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
  if (format === 'int') return String(Math.round(v));
  const fixed = /^fixed(\d)$/.exec(format);
  if (fixed) return v.toFixed(Number(fixed[1]));
  // sci: 3.450E+01, the C-Link style mantissa with a signed two-digit exponent.
  const [mantissa, exponent] = v.toExponential(3).split('e') as [string, string];
  const e = Number(exponent);
  return `${mantissa}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text)!;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}
