import ModbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';

/**
 * Test-side helpers: a modbus-serial client and a hand-written decoder. The decoder is a third,
 * independent reading of the byte orders (besides the simulator's encoder and the agent's
 * decoder), built from the plain definitions with Buffer.
 */

// modbus-serial's typings declare `export default` on a CommonJS module; at runtime the module
// itself is the client class, which NodeNext types as the namespace. Cast once, here.
const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;

export type { ModbusClient };

export async function connectClient(port: number, unit: number, timeoutMs = 500): Promise<ModbusClient> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(unit);
  client.setTimeout(timeoutMs);
  return client;
}

export function closeClient(client: ModbusClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isOpen) {
      resolve();
      return;
    }
    client.close(() => resolve());
  });
}

export type Order = 'ABCD' | 'BADC' | 'CDAB' | 'DCBA';
export type NumType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'int64' | 'uint64' | 'float64';

/** Words as received -> big-endian bytes (ABCD), undoing the device's order. */
export function toBigEndian(words: readonly number[], order: Order): Buffer {
  const wire = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => {
    wire.writeUInt16BE(w, i * 2);
  });
  switch (order) {
    case 'ABCD':
      return wire;
    case 'DCBA':
      return Buffer.from(wire).reverse();
    case 'BADC': {
      const out = Buffer.from(wire);
      return out.swap16();
    }
    case 'CDAB': {
      // Low word first: take the words back to front.
      const out = Buffer.alloc(wire.length);
      for (let i = 0; i < words.length; i++) out.writeUInt16BE(words[words.length - 1 - i]!, i * 2);
      return out;
    }
  }
}

export function decodeRaw(words: readonly number[], type: NumType, order: Order = 'ABCD'): number {
  const be = toBigEndian(words, order);
  switch (type) {
    case 'int16':
      return be.readInt16BE(0);
    case 'uint16':
      return be.readUInt16BE(0);
    case 'int32':
      return be.readInt32BE(0);
    case 'uint32':
      return be.readUInt32BE(0);
    case 'float32':
      return be.readFloatBE(0);
    case 'int64':
      return Number(be.readBigInt64BE(0));
    case 'uint64':
      return Number(be.readBigUInt64BE(0));
    case 'float64':
      return be.readDoubleBE(0);
  }
}

export function wordsOf(type: NumType): number {
  return type.endsWith('16') ? 1 : type.endsWith('32') ? 2 : 4;
}
