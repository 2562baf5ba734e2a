import { describe, expect, it } from 'vitest';
import type { KnownStationEvent } from '../../../agent/app/stationEvents.js';
import { eventSentence, type SentenceContext } from '../../../agent/http/page/eventSentences.js';
import { formatDuration, formatStationTime, type PageLang } from '../../../agent/http/page/stationTime.js';
import type { DataLossEvent } from '../../../agent/store/eviction.js';

/** Issue 14: every event kind the agent records, as a sentence in both languages. */

const T = Date.UTC(2026, 10, 28, 1, 15, 0); // 09:15:00 in Shanghai
const TZ = 'Asia/Shanghai';

const ctx = (lang: PageLang): SentenceContext => ({
  lang,
  time: (ms) => formatStationTime(ms, TZ, lang),
  duration: (ms) => formatDuration(ms, lang),
});

/** One event of each kind; the Record type makes a kind added to KnownStationEvent a compile error here. */
const EVENTS: Record<KnownStationEvent['kind'], KnownStationEvent> = {
  'config-applied': { kind: 'config-applied', configHash: '9b54c1a2e3f40123456789abcdef', devices: 2 },
  'link-lost': { kind: 'link-lost', bus: 'rs485-1' },
  'link-restored': { kind: 'link-restored', bus: 'rs485-1', downMs: 303_000 },
  'clock-jump': { kind: 'clock-jump', from: T, to: T + 120_000, deltaMs: 120_000 },
  'data-loss': {
    kind: 'data-loss',
    table: 'readings',
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    from: T,
    to: T + 3_600_000,
    count: 1200,
    seqFrom: 10,
    seqTo: 1209,
    reason: 'storage-cap',
  },
  'store-set-aside': {
    kind: 'store-set-aside',
    file: '/var/lib/station-agent/agent.db.corrupt-20261128T011500Z',
    reason: 'SQLITE_NOTADB: file is not a database',
    size: 4_404_019,
  },
  'store-seqs-skipped': {
    kind: 'store-seqs-skipped',
    reason: 'unclean-stop',
    readings: { from: 5001, to: 6000 },
    aggregates: null,
    events: { from: 101, to: 200 },
  },
  'facility-alarm-start': {
    kind: 'facility-alarm-start',
    production: 'line1',
    productionName: '1号生产线',
    treatment: 'wwtp',
    treatmentName: null,
    fault: 'stopped',
    since: T,
    productionPower: 42.5,
    treatmentPower: 0,
  },
  'facility-alarm-end': {
    kind: 'facility-alarm-end',
    production: 'line1',
    treatment: 'wwtp',
    since: T,
    reason: 'production-stopped',
    productionPower: 0,
    treatmentPower: 0,
  },
};

const EXPECTED: Record<KnownStationEvent['kind'], { zh: string; en: string }> = {
  'config-applied': {
    zh: '配置已生效：2 台设备，配置 9b54c1a2e3f4',
    en: 'Configuration applied: 2 devices, config 9b54c1a2e3f4',
  },
  'link-lost': { zh: '总线 rs485-1 连接中断', en: 'Bus rs485-1 lost its connection' },
  'link-restored': {
    zh: '总线 rs485-1 连接恢复（中断 5分3秒）',
    en: 'Bus rs485-1 connected again (down for 5 min 3 s)',
  },
  'clock-jump': {
    zh: '系统时钟向前跳了 2分（2026-11-28 09:15:00 → 2026-11-28 09:17:00）',
    en: 'System clock stepped forward by 2 min (28 Nov 2026 09:15:00 → 28 Nov 2026 09:17:00)',
  },
  'data-loss': {
    zh: '数据丢失：nutrient/cod 的 1200 条读数（2026-11-28 09:15:00 至 2026-11-28 10:15:00）在上传确认前被删除，原因：存储达到上限 storage.maxSize',
    en: 'Data lost: 1200 readings of nutrient/cod (28 Nov 2026 09:15:00 to 28 Nov 2026 10:15:00) deleted before they were confirmed upstream; reason: the store reached storage.maxSize',
  },
  'store-set-aside': {
    zh: '数据库文件损坏，已另存为 /var/lib/station-agent/agent.db.corrupt-20261128T011500Z（4.2 MB，SQLITE_NOTADB: file is not a database）；已新建数据库，序号从 1 重新开始',
    en: 'Damaged database set aside as /var/lib/station-agent/agent.db.corrupt-20261128T011500Z (4.2 MB; SQLITE_NOTADB: file is not a database); a new database was started and sequence numbers restart at 1',
  },
  'store-seqs-skipped': {
    zh: '非正常停止（可能断电）后，以下序号不再使用，以免与已上传的数据重复：读数 5001–6000，事件 101–200',
    en: 'After an unclean stop (a power cut?) these sequence numbers are never used, so none repeats one already sent: readings 5001–6000, events 101–200',
  },
  'facility-alarm-start': {
    zh: '治污设施报警：生产设施 line1（1号生产线） 运行中，治污设施 wwtp 停运，自 2026-11-28 09:15:00 起',
    en: 'Treatment alarm: production line1 (1号生产线) runs while treatment wwtp is stopped, since 28 Nov 2026 09:15:00',
  },
  'facility-alarm-end': {
    zh: '治污设施报警解除：line1 / wwtp（自 2026-11-28 09:15:00 起），原因：生产设施停止',
    en: 'Treatment alarm over: line1 / wwtp (since 28 Nov 2026 09:15:00): production stopped',
  },
};

describe('eventSentence', () => {
  for (const kind of Object.keys(EVENTS) as KnownStationEvent['kind'][]) {
    it(`says what ${kind} means, in Chinese and English`, () => {
      expect(eventSentence(EVENTS[kind], ctx('zh'))).toBe(EXPECTED[kind].zh);
      expect(eventSentence(EVENTS[kind], ctx('en'))).toBe(EXPECTED[kind].en);
    });
  }

  it('link-restored without its duration, and a backward clock step', () => {
    const restored = { kind: 'link-restored', bus: 'lan' };
    expect(eventSentence(restored, ctx('en'))).toBe('Bus lan connected again');
    expect(eventSentence(restored, ctx('zh'))).toBe('总线 lan 连接恢复');
    const back = { kind: 'clock-jump', from: T, to: T - 3_600_000, deltaMs: -3_600_000 };
    expect(eventSentence(back, ctx('en'))).toBe(
      'System clock stepped back by 1 h (28 Nov 2026 09:15:00 → 28 Nov 2026 08:15:00)',
    );
    expect(eventSentence(back, ctx('zh'))).toBe(
      '系统时钟向后跳了 1小时（2026-11-28 09:15:00 → 2026-11-28 08:15:00）',
    );
  });

  it("a device's link on a listen bus: lost with its code, back with how long", () => {
    const lost = { kind: 'link-lost', bus: 'logger-line', device: 'cod', code: 'LISTEN_SILENT' };
    expect(eventSentence(lost, ctx('en'))).toBe('Device cod lost its link (LISTEN_SILENT)');
    expect(eventSentence(lost, ctx('zh'))).toBe('设备 cod 链路中断 (LISTEN_SILENT)');
    const back = { kind: 'link-restored', bus: 'logger-line', device: 'cod', downMs: 303_000 };
    expect(eventSentence(back, ctx('en'))).toBe('Device cod link back (down for 5 min 3 s)');
    expect(eventSentence(back, ctx('zh'))).toBe('设备 cod 链路恢复（中断 5分3秒）');
  });

  it('a clock found behind the stored data at start', () => {
    const e = { kind: 'clock-jump', from: T, to: T - 90_000, deltaMs: -90_000, atStart: true };
    expect(eventSentence(e, ctx('en'))).toBe(
      'At start the system clock was 1 min 30 s behind the stored data (now 28 Nov 2026 09:13:30, data up to 28 Nov 2026 09:15:00)',
    );
    expect(eventSentence(e, ctx('zh'))).toBe(
      '启动时系统时钟比已保存的数据早 1分30秒（当前 2026-11-28 09:13:30，数据已到 2026-11-28 09:15:00）',
    );
  });

  it('data loss of aggregates, of readings dropped before they were stored, and with channel names', () => {
    const loss = EVENTS['data-loss'] as DataLossEvent;
    const hours = {
      ...loss,
      table: 'aggregates' as const,
      period: 'hour',
      count: 1,
      reason: 'disk-floor' as const,
    };
    expect(eventSentence(hours, ctx('en'))).toContain(
      'Data lost: 1 hour record of nutrient/cod (28 Nov 2026 09:15:00 to',
    );
    expect(eventSentence(hours, ctx('en'))).toContain(
      'reason: free disk space fell below storage.minFreeDisk',
    );
    expect(eventSentence(hours, ctx('zh'))).toContain('nutrient/cod 的 1 条小时数据');
    const dropped = { ...loss, seqFrom: null, seqTo: null, reason: 'disk-full' as const };
    expect(eventSentence(dropped, ctx('en'))).toContain(
      'dropped before they could be stored; reason: the disk was full',
    );
    expect(eventSentence(dropped, ctx('zh'))).toContain('未能保存即被丢弃，原因：磁盘已满');
    const named = eventSentence(EVENTS['data-loss'], {
      ...ctx('zh'),
      channelLabel: (d, c) => `${d}/${c}（总磷分析仪 / 化学需氧量）`,
    });
    expect(named).toContain('数据丢失：nutrient/cod（总磷分析仪 / 化学需氧量） 的 1200 条读数');
  });

  it('an unknown kind still gets a sentence with its fields', () => {
    const e = { kind: 'pump-started', pump: 'P1', at: { stage: 2 } };
    expect(eventSentence(e, ctx('en'))).toBe('Event pump-started: pump=P1, at={"stage":2}');
    expect(eventSentence(e, ctx('zh'))).toBe('事件 pump-started：pump=P1, at={"stage":2}');
    expect(eventSentence({ kind: 'bare' }, ctx('en'))).toBe('Event bare');
  });
});
