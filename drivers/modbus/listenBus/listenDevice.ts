import { AgentError } from '../../../agent/core/errors.js';
import type { PollResult } from '../../../agent/core/pollOutcome.js';
import type { BlockValues, ListenDevice, PollSourceEvent, RegisterNeed } from '../listen/listenPollSource.js';
import type { ModbusDeviceSettings } from '../modbusSettings.js';
import { decodeDeviceWords, deviceRegisterItems } from '../pollDecode.js';
import type { RegisterItem } from '../requestPlanner.js';
import type { ListenLine } from './listenLine.js';

/**
 * One device on a listen bus: its register needs, and each `sample` the line yields for it decoded
 * by the poller's own code (pollDecode.ts), so a listened reading is exactly what a poll of the
 * same words would have stored. Readings are stamped when the last answer of the sample passed.
 */

/** Where the device's results go (the agent's PushSink; declared here, drivers/ do not import agent/acquisition). */
export interface ListenSink {
  /** May tell when the readings are committed; a listener has nobody to acknowledge to, so it does not wait. */
  result(result: PollResult): Promise<void> | void;
  linkLost(error: AgentError): void;
  linkResumed(): void;
}

/**
 * The device's needs: one per register item (channel value, status, measurement time), not the
 * poller's merged requests. The other master chooses its own ranges; a need is met by any answer
 * covering it, and a merged block spanning two of its requests would never be.
 */
export function listenNeeds(device: ModbusDeviceSettings): { items: RegisterItem[]; needs: RegisterNeed[] } {
  const items = deviceRegisterItems(device);
  const seen = new Map<string, RegisterNeed>();
  for (const i of items) {
    const key = `${i.table}:${i.address}:${i.count}`;
    if (!seen.has(key)) seen.set(key, { table: i.table, address: i.address, count: i.count });
  }
  return { items, needs: [...seen.values()] };
}

/** The words of each item, from the blocks of one sample. */
export function wordsOfSample(
  items: readonly RegisterItem[],
  blocks: readonly BlockValues[],
): Map<string, number[]> {
  const words = new Map<string, number[]>();
  for (const item of items) {
    const b = blocks.find(
      (x) => x.table === item.table && x.address === item.address && x.count === item.count,
    );
    if (!b) continue;
    words.set(item.key, b.words ?? (b.bits ?? []).map((bit) => (bit ? 1 : 0)));
  }
  return words;
}

export interface ListenDeviceSource {
  readonly kind: 'pushed';
  start(sink: ListenSink): void;
  stop(): Promise<void>;
}

export function createListenDeviceSource(device: ModbusDeviceSettings, line: ListenLine): ListenDeviceSource {
  const { items, needs } = listenNeeds(device);
  const listenDevice: ListenDevice = { id: device.id, unit: device.unit, needs };
  let unsubscribe: (() => void) | undefined;
  return {
    kind: 'pushed',
    start(sink) {
      unsubscribe?.();
      unsubscribe = line.listen(listenDevice, (e) => deliver(e, sink));
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };

  function deliver(e: PollSourceEvent, sink: ListenSink): void {
    // Nothing to answer on a line we only hear: a failed commit is logged and counted by acquisition.
    if (e.kind === 'sample')
      Promise.resolve(sink.result(decodeDeviceWords(device, wordsOfSample(items, e.blocks), [], e.at))).catch(
        () => {},
      );
    else if (e.kind === 'silent') sink.linkLost(silentError(device, line.id, e));
    else if (e.kind === 'resumed') sink.linkResumed();
  }
}

function silentError(
  device: ModbusDeviceSettings,
  bus: string,
  e: Extract<PollSourceEvent, { kind: 'silent' }>,
): AgentError {
  const seconds = Math.round(e.intervalMs / 100) / 10;
  return new AgentError(
    'LISTEN_SILENT',
    `no answer for unit ${device.unit} passed on the line for ${Math.round((e.at - (e.lastAnswerAt ?? e.at)) / 1000)}s ` +
      `(the other master polls it every ${seconds}s)`,
    {
      device: device.id,
      bus,
      unit: device.unit,
      intervalMs: e.intervalMs,
      lastAnswerAt: e.lastAnswerAt ?? null,
    },
  );
}
