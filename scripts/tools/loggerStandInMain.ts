import { Command, InvalidArgumentError, Option } from 'commander';
import type { CodecOptions } from '../../drivers/hj212/codecOptions.js';
import type { Hj212Version } from '../../drivers/hj212/codes.js';
import { sm4KeyFromText } from '../../drivers/hj212/sm4.js';
import { SM4_PRESET_NAMES, SM4_PRESETS, type Sm4Preset } from '../../drivers/hj212/sm4Layout.js';
import { parseUploadSpec, runStandIn, type UploadSpec } from './loggerStandIn.js';

/**
 * `node dist-tools/scripts/tools/loggerStandInMain.js --port 9212 --mn … --pw 123456 \
 *    --send '2011:DataTime=20261207120000;w01018-Rtd=25.5,w01018-Flag=N' --resend 1`
 * A data logger stand-in for the agent's HJ 212 input (docs/hj212-input.md): one JSON line per frame
 * sent and answer read on stdout, a summary last. Exit 0 when every upload got its 9014, 1 otherwise.
 */

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const collect =
  <T>(parse: (s: string) => T) =>
  (value: string, previous: T[]): T[] => {
    try {
      return [...previous, parse(value)];
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };

const program = new Command('logger-stand-in')
  .description('Send HJ 212 uploads as a data logger would, and read the answers')
  .option('--host <host>', 'platform (agent input) address', '127.0.0.1')
  .requiredOption('--port <port>', 'platform TCP port', positiveInt)
  .requiredOption('--mn <mn>', 'the logger MN')
  .requiredOption('--pw <pw>', 'the logger password (PW)')
  .option('--st <st>', 'system code (ST)', '32')
  .addOption(new Option('--version <edition>', 'HJ 212 edition').choices(['2017', '2025']).default('2017'))
  .option('--sm4-key <key>', 'SM4 key (2025): 16 characters or 32 hex digits')
  .addOption(new Option('--sm4-preset <name>', 'SM4 layout').choices(SM4_PRESET_NAMES).default('standard'))
  .option(
    '--send <cn:cp>',
    'an upload, e.g. 2051:DataTime=…;w01018-Avg=7.1,w01018-Flag=N (repeatable)',
    collect(parseUploadSpec),
    [] as UploadSpec[],
  )
  .option(
    '--resend <n>',
    'send upload n (1-based) again at the end, same bytes (repeatable)',
    collect(positiveInt),
    [] as number[],
  )
  .option('--no-ack', 'do not ask for 9014 answers')
  .option('--answer-timeout-ms <ms>', 'how long to wait for each answer', positiveInt, 5000)
  .showHelpAfterError();

interface Opts {
  host: string;
  port: number;
  mn: string;
  pw: string;
  st: string;
  version: Hj212Version;
  sm4Key?: string;
  sm4Preset: Sm4Preset;
  send: UploadSpec[];
  resend: number[];
  ack: boolean;
  answerTimeoutMs: number;
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Opts>();
  if (o.send.length === 0) program.error('logger-stand-in: give at least one --send');
  const codec: CodecOptions = {};
  if (o.sm4Key !== undefined) {
    if (o.version !== '2025') program.error('logger-stand-in: --sm4-key needs --version 2025');
    codec.sm4 = { ...SM4_PRESETS[o.sm4Preset], key: sm4KeyFromText(o.sm4Key) };
  }
  const summary = await runStandIn({
    host: o.host,
    port: o.port,
    identity: { version: o.version, st: o.st, pw: o.pw, mn: o.mn },
    codec,
    uploads: o.send,
    resend: o.resend.map((n) => n - 1),
    ack: o.ack,
    answerTimeoutMs: o.answerTimeoutMs,
    report: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
  });
  process.stdout.write(`${JSON.stringify({ kind: 'summary', ...summary })}\n`);
  process.exitCode = summary.unanswered === 0 && summary.refused === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`logger-stand-in: ${(err as Error).message}\n`);
  process.exit(2);
});
