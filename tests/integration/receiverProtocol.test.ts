/**
 * Issue 13, the reference receiver's `protocolVersion` (`--protocol auto|5|3.1.1`) against aedes
 * (MQTT 3.1.1 only): auto falls back and still closes a gap with `resend` (the reply comes on
 * reply/resend: 3.1.1 has no response topic); shared subscriptions and explicit MQTT 5 are refused
 * clearly, in the library and in the built command.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Receiver } from '../../scripts/receiver/receiver.js';
import { freePort } from '../../scripts/support/freePort.js';
import { until } from '../../scripts/support/mosquitto.js';
import { startAedes } from '../helpers/aedes.js';
import { startDropProxy } from '../helpers/mqttDropProxy.js';
import { PREFIX, STATION, startSupervisedStation } from '../helpers/supervisedStation.js';

const RECEIVER_CLI = fileURLToPath(new URL('../../dist-tools/scripts/receiver/main.js', import.meta.url));

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function aedes() {
  const b = await startAedes();
  cleanups.push(() => b.stop());
  return b;
}

function runReceiverCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RECEIVER_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('reference receiver and MQTT 3.1.1', () => {
  it('auto: falls back to 3.1.1, and a lost batch is still found and resent', async () => {
    const broker = await aedes();
    const readingsTopic = `${PREFIX}/${STATION}/readings`;
    const proxy = await startDropProxy(broker.port, (topic, n) => topic === readingsTopic && n === 3);
    cleanups.push(() => proxy.close());
    const logs: string[] = [];
    const replies: unknown[] = [];
    const receiver = new Receiver({
      url: proxy.url,
      station: STATION,
      topicPrefix: PREFIX,
      statePath: null,
      gapGraceMs: 1000,
      onReply: (r) => replies.push(r),
      log: (m) => logs.push(m),
    });
    await receiver.start();
    cleanups.push(() => receiver.stop());
    expect(logs).toContainEqual(
      expect.stringContaining(
        'the broker does not speak MQTT 5 (the broker refused MQTT 5: unacceptable protocol version (CONNACK 1)',
      ),
    );

    // The agent falls back the same way (protocolVersion auto).
    const st = await startSupervisedStation(broker.url, {
      allow: ['ping', 'status', 'resend'],
      interval: '200ms',
      maxReadings: 5,
    });
    cleanups.push(() => st.close());
    await until(() => proxy.dropped.length === 1 && receiver.gapsSeen.length > 0, 20_000, 'a detected gap');
    await until(() => replies.length > 0, 20_000, 'the resend reply on reply/resend');
    expect(replies[0]).toMatchObject({ status: 200, data: { rows: expect.any(Number) } });
    await until(() => receiver.gaps().length === 0, 20_000, 'the gap closed');
    const seqs = receiver.accepted.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.max(...seqs)).toBeGreaterThan(receiver.gapsSeen[0]!.to);
  });

  it('refuses shared subscriptions without MQTT 5, and explicit MQTT 5 on a 3.1.1 broker, clearly', async () => {
    const broker = await aedes();
    const shared = new Receiver({ url: broker.url, station: STATION, statePath: null, share: 'g' });
    await expect(shared.start()).rejects.toThrow(
      /the broker does not speak MQTT 5 \(.*CONNACK 1.*\): shared subscriptions \(--share\) need MQTT 5/,
    );
    // Refused before connecting: no broker listens on this port.
    const pinned = new Receiver({
      url: `mqtt://127.0.0.1:${await freePort()}`,
      station: STATION,
      statePath: null,
      share: 'g',
      protocolVersion: '3.1.1',
    });
    await expect(pinned.start()).rejects.toThrow(/shared subscriptions \(--share\) need MQTT 5/);
    const five = new Receiver({ url: broker.url, station: STATION, statePath: null, protocolVersion: '5' });
    await expect(five.start()).rejects.toThrow(
      `could not connect to ${broker.url}: the broker refused MQTT 5: unacceptable protocol version (CONNACK 1)`,
    );
  });

  it('the built command: --protocol checked, a refusal printed without a stack trace', async () => {
    const broker = await aedes();
    const bad = await runReceiverCli(['--url', broker.url, '--station', STATION, '--protocol', '4']);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--protocol auto|5|3.1.1');
    const shared = await runReceiverCli(['--url', broker.url, '--station', STATION, '--share', 'g']);
    expect(shared.code).toBe(1);
    expect(shared.out).toContain('receiver: the broker does not speak MQTT 5');
    expect(shared.out).not.toMatch(/^\s+at /m);
  });
});
