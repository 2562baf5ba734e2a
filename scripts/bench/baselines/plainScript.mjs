// The baseline of workload 6 (footprint): what a station integrator might write by hand. Every
// second it reads the same register blocks as the agent with modbus-serial, decodes each channel and
// publishes one QoS 1 MQTT message per reading with mqtt.js. No store, no checks, no status page.
// Plain JavaScript run by node itself, so no loader or build step adds to its footprint.
//
// usage: node plainScript.mjs <plan.json> <modbus host> <modbus port> <mqtt url> <interval ms>
// plan.json: [{ unit, table: 'holding'|'input', address, count, channels: [{ id, device, offset, type, order, scale, add }] }]
// Prints "plain script ready" once connected and "first reading at <epoch ms>" after its first poll.
import { readFileSync } from 'node:fs';
import modbusSerial from 'modbus-serial';
import { connect } from 'mqtt';

const [planFile, host, portText, mqttUrl, intervalText] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const ModbusRTU = modbusSerial.default ?? modbusSerial;

const modbus = new ModbusRTU();
await modbus.connectTCP(host, { port: Number(portText) });
modbus.setTimeout(1000);
const mqtt = connect(mqttUrl, { clientId: `plain-${process.pid}` });
await new Promise((resolve, reject) => {
  mqtt.once('connect', resolve);
  mqtt.once('error', reject);
});
process.stdout.write('plain script ready\n');

/** The word order letters name the bytes of the big-endian value as they appear on the wire. */
function bytesOf(words, order) {
  const be = Buffer.alloc(words.length * 2);
  for (let i = 0; i < words.length; i++) be.writeUInt16BE(words[i], i * 2);
  if (words.length === 1 || order === 'ABCD') return be;
  const out = Buffer.alloc(be.length);
  const pos = { ABCD: [0, 1, 2, 3], BADC: [1, 0, 3, 2], CDAB: [2, 3, 0, 1], DCBA: [3, 2, 1, 0] }[order];
  for (let i = 0; i < 4; i++) out[pos[i]] = be[i];
  return out;
}

function decode(words, type, order) {
  const b = bytesOf(words, order);
  switch (type) {
    case 'int16':
      return b.readInt16BE(0);
    case 'uint16':
      return b.readUInt16BE(0);
    case 'int32':
      return b.readInt32BE(0);
    case 'uint32':
      return b.readUInt32BE(0);
    case 'float32':
      return b.readFloatBE(0);
    default:
      throw new Error(`unsupported type ${type}`);
  }
}

const size = (type) => (type === 'int16' || type === 'uint16' ? 1 : 2);
let first = true;
let busy = false;

async function poll() {
  if (busy) return;
  busy = true;
  const ts = Date.now();
  try {
    for (const block of plan) {
      modbus.setID(block.unit);
      const answer =
        block.table === 'holding'
          ? await modbus.readHoldingRegisters(block.address, block.count)
          : await modbus.readInputRegisters(block.address, block.count);
      for (const ch of block.channels) {
        const words = answer.data.slice(ch.offset, ch.offset + size(ch.type));
        const value = decode(words, ch.type, ch.order) * ch.scale + ch.add;
        mqtt.publish(`bench/plain/${ch.device}/${ch.id}`, JSON.stringify({ ts, value }), { qos: 1 });
      }
    }
    if (first) {
      first = false;
      process.stdout.write(`first reading at ${ts}\n`);
    }
  } catch (err) {
    process.stderr.write(`poll failed: ${err?.message ?? err}\n`);
  } finally {
    busy = false;
  }
}

void poll();
const timer = setInterval(poll, Number(intervalText));
process.on('SIGTERM', () => {
  clearInterval(timer);
  modbus.close(() => {});
  mqtt.end(false, {}, () => process.exit(0));
});
