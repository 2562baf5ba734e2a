import { Command, InvalidArgumentError } from 'commander';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';

/**
 * `node dist-tools/scripts/tools/rtuMasterMain.js --serial /tmp/rs485/logger --unit 5 --address 0 --count 4`:
 * a stand-in for a station's certified data logger, the "other master" of a listened line
 * (docs/listen.md). Reads holding registers of one unit every --every ms with modbus-serial (not
 * the agent's code, so the test compares two implementations) and prints one JSON line per read:
 * {"seq":n,"at":<ms when the answer arrived>,"unit":u,"address":a,"words":[...]} or
 * {"seq":n,"at":…,"error":"…"}. Stops on SIGTERM/SIGINT.
 */

const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;

function nonNegativeInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

const program = new Command('rtu-master')
  .description('Poll one Modbus RTU unit as a data logger would, printing what it read as JSON lines')
  .requiredOption('-s, --serial <path>', 'serial device (or pty) on the line')
  .option('-b, --baud <rate>', 'baud rate', nonNegativeInt, 9600)
  .option('-u, --unit <id>', 'unit to poll', nonNegativeInt, 1)
  .option('-a, --address <n>', 'first holding register', nonNegativeInt, 0)
  .option('-c, --count <n>', 'holding registers per read', nonNegativeInt, 4)
  .option('-e, --every <ms>', 'poll period', nonNegativeInt, 1000)
  .option('-t, --timeout <ms>', 'answer timeout', nonNegativeInt, 500)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    serial: string;
    baud: number;
    unit: number;
    address: number;
    count: number;
    every: number;
    timeout: number;
  }>();
  const client = new ModbusRTU();
  await client.connectRTUBuffered(o.serial, { baudRate: o.baud });
  client.setID(o.unit);
  client.setTimeout(o.timeout);
  let running = true;
  const stop = () => {
    running = false;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ ready: o.serial })}\n`);
  for (let seq = 1; running; seq++) {
    const started = Date.now();
    try {
      const { data } = await client.readHoldingRegisters(o.address, o.count);
      const line = { seq, at: Date.now(), unit: o.unit, address: o.address, words: [...data] };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ seq, at: Date.now(), error: (err as Error).message })}\n`);
    }
    const wait = Math.max(0, o.every - (Date.now() - started));
    await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise<void>((r) => (client.isOpen ? client.close(() => r()) : r()));
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`rtu-master: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
