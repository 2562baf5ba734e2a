import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { HJ212_VERSIONS, type Hj212Version, makeFlag } from '../../drivers/hj212/codes.js';
import { type DataSegment, formatDataSegment } from '../../drivers/hj212/dataSegment.js';
import {
  resolveLayout,
  SM4_CRCS,
  SM4_ENCODINGS,
  SM4_FIELD,
  SM4_PADDINGS,
  SM4_PRESETS,
  SM4_TAILS,
  type Sm4Layout,
  type Sm4Preset,
} from '../../drivers/hj212/sm4Layout.js';
import { formatHjTime } from '../../drivers/hj212/time.js';
import { CONSOLE_HELP, parseConsoleLine } from './consoleCommands.js';
import { type PlatformHandle, randomSm4Key, startPlatform } from './platformServer.js';
import type { PlatformEvent } from './records.js';

/**
 * `npm run platform -- --port 6000`: the HJ 212 platform simulator as its own process, to point a
 * station (ours or a real data logger) at. Prints every frame in and out; commands are typed on stdin
 * (`help`). Prints `platform listening on <host>:<port>` once ready; stops on SIGINT/SIGTERM.
 */

function portArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port 0..65535');
  return n;
}

const program = new Command('platform')
  .description(
    'HJ 212 monitoring platform simulator: accepts stations, validates, acknowledges, sends commands',
  )
  .option('-p, --port <port>', 'TCP port (0: any free port)', portArg, 6000)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .addOption(
    new Option('--version <edition>', 'HJ 212 edition spoken').choices(HJ212_VERSIONS).default('2017'),
  )
  .option('--mn <mn>', 'MN stations must present (default: any)')
  .option('--pw <password>', 'password stations must present (default: any)')
  .option('--no-ack', 'never answer 9013/9014 (a platform that swallows data)')
  .option('--sm4-key <key>', 'SM4 key, 16 characters (HJ 212-2025 encryption)')
  .addOption(
    new Option('--sm4-preset <name>', 'SM4 layout sent, by platform family (docs/hj212.md)')
      .choices(Object.keys(SM4_PRESETS))
      .default('standard'),
  )
  .addOption(new Option('--sm4-crc <over>', 'CRC over the plaintext or as sent').choices(SM4_CRCS))
  .addOption(new Option('--sm4-encoding <encoding>', 'how ciphertext travels').choices(SM4_ENCODINGS))
  .addOption(
    new Option('--sm4-padding <padding>', 'padding of the CP before encrypting').choices(SM4_PADDINGS),
  )
  .addOption(
    new Option('--sm4-tail <tail>', 'a text encoding’s plain tail: as text or encoded').choices(SM4_TAILS),
  )
  .option('--sm4-field <name>', 'the CP field ciphertext is written in (e.g. EncryptedData)')
  .addOption(new Option('--ciphertext <form>', 'former name of --sm4-encoding').choices(['raw', 'hex']));

/** The layout the options ask for: the preset, with the parts given on the command line. */
function layoutOf(o: {
  sm4Preset: Sm4Preset;
  sm4Crc?: Sm4Layout['crc'];
  sm4Encoding?: Sm4Layout['encoding'];
  sm4Padding?: Sm4Layout['padding'];
  sm4Tail?: Sm4Layout['tail'];
  sm4Field?: string;
  ciphertext?: 'raw' | 'hex';
}): Sm4Layout {
  const parts: Partial<Sm4Layout> = { ...SM4_PRESETS[o.sm4Preset] };
  if (o.sm4Crc !== undefined) parts.crc = o.sm4Crc;
  const encoding = o.sm4Encoding ?? o.ciphertext;
  if (encoding !== undefined) parts.encoding = encoding;
  if (o.sm4Padding !== undefined) parts.padding = o.sm4Padding;
  if (o.sm4Tail !== undefined) parts.tail = o.sm4Tail;
  if (o.sm4Field !== undefined) {
    if (!SM4_FIELD.test(o.sm4Field))
      throw new InvalidArgumentError(`--sm4-field ${o.sm4Field}: not a CP key`);
    parts.field = o.sm4Field;
  }
  return resolveLayout(parts);
}

/** A received segment as text; one our formatter refuses (no QN, an MN with blanks) as it came. */
function shown(seg: DataSegment, raw: Buffer): string {
  try {
    return formatDataSegment(seg);
  } catch {
    return raw.toString('utf8').trimEnd();
  }
}

function describe(e: PlatformEvent): string {
  switch (e.kind) {
    case 'connected':
      return `+ station ${e.station.id} connected from ${e.station.remote}`;
    case 'closed':
      return `- station ${e.station.id} (${e.station.mn ?? 'no MN'}) closed`;
    case 'received':
      return `< [${e.frame.station}]${e.frame.encrypted ? ' (sm4)' : ''} ${shown(e.frame.segment, e.frame.raw)}`;
    case 'rejected':
      return `! [${e.rejection.station}] ${e.rejection.rejection.reason}: ${e.rejection.rejection.detail}`;
    case 'sent':
      return `> [${e.frame.station}] ${formatDataSegment(e.frame.segment)}`;
    case 'variant':
      return `~ [${e.station.id}] ${e.variant}: ${e.detail}`;
  }
}

function runConsole(platform: PlatformHandle, version: Hj212Version): void {
  const now = () => formatHjTime(Date.now());
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const action = parseConsoleLine(line, now, randomSm4Key);
    try {
      switch (action.kind) {
        case 'command':
          platform.request(action.command, { timeoutMs: 60_000 }).then(
            (r) =>
              process.stdout.write(
                `= ${r.cn} QN=${r.qn}: QnRtn=${r.qnRtn ?? '-'} ExeRtn=${r.exeRtn ?? '-'}, ${r.uploads.length} uploads\n`,
              ),
            (err: unknown) => process.stdout.write(`= ${err instanceof Error ? err.message : String(err)}\n`),
          );
          return;
        case 'raw': {
          const id = platform.identity();
          const flag = makeFlag(version, { ack: true });
          platform.send({
            qn: platform.nextQn(),
            st: id.st,
            cn: action.cn,
            pw: id.pw,
            mn: id.mn,
            flag,
            cp: action.cp,
          });
          return;
        }
        case 'ack':
          platform.setAck(action.on);
          return;
        case 'drop':
          platform.dropConnections();
          return;
        case 'stations':
          for (const s of platform.stations) {
            process.stdout.write(
              `  ${s.id} ${s.remote} MN=${s.mn ?? '-'} ${s.closedAt === undefined ? 'open' : 'closed'}\n`,
            );
          }
          return;
        case 'help':
          process.stdout.write(`${CONSOLE_HELP}\n`);
          return;
        case 'error':
          process.stdout.write(`? ${action.message}\n`);
          return;
      }
    } catch (err) {
      process.stdout.write(`? ${err instanceof Error ? err.message : String(err)}\n`);
    }
  });
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    port: number;
    host: string;
    version: Hj212Version;
    mn?: string;
    pw?: string;
    ack: boolean;
    sm4Key?: string;
    sm4Preset: Sm4Preset;
    sm4Crc?: Sm4Layout['crc'];
    sm4Encoding?: Sm4Layout['encoding'];
    sm4Padding?: Sm4Layout['padding'];
    sm4Tail?: Sm4Layout['tail'];
    sm4Field?: string;
    ciphertext?: 'raw' | 'hex';
  }>();
  let platform: PlatformHandle;
  try {
    platform = await startPlatform({
      port: o.port,
      host: o.host,
      version: o.version,
      ack: o.ack,
      layout: layoutOf(o),
      ...(o.mn === undefined ? {} : { mn: o.mn }),
      ...(o.pw === undefined ? {} : { pw: o.pw }),
      ...(o.sm4Key === undefined ? {} : { sm4Key: o.sm4Key }),
      onEvent: (e) => process.stdout.write(`${describe(e)}\n`),
    });
  } catch (err) {
    process.stderr.write(`platform: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  const shutdown = () => {
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  runConsole(platform, o.version);
  // Kept last and in this shape: scripts wait for it as "ready".
  process.stdout.write(`platform listening on ${platform.host}:${platform.port} (HJ 212-${o.version})\n`);
}

await main();
