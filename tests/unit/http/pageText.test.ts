import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { sharedFunctionsSource } from '../../../agent/http/page/sharedFunctions.js';
import {
  formatAxisTime,
  formatDuration,
  formatStationTime,
  utcOffsetLabel,
} from '../../../agent/http/page/stationTime.js';
import { nameLabel, uplinkStateText, valueText } from '../../../agent/http/page/statusText.js';
import type { OperationsStatus } from '../../../agent/http/statusReport.js';

/** Issue 14: the status page's times, values and uplink states. */

const T = Date.UTC(2026, 2, 14, 1, 5, 7); // 2026-03-14 01:05:07 UTC

describe('station time', () => {
  it('shows the station zone whatever the process zone, in the page language', () => {
    expect(formatStationTime(T, 'Asia/Shanghai', 'zh')).toBe('2026-03-14 09:05:07');
    expect(formatStationTime(T, 'Asia/Shanghai', 'en')).toBe('14 Mar 2026 09:05:07');
    // 21:05 the evening before in New York (EDT since 8 March 2026).
    expect(formatStationTime(T, 'America/New_York', 'zh')).toBe('2026-03-13 21:05:07');
    expect(formatStationTime(Date.UTC(2026, 0, 1, 16, 0, 0), 'Asia/Shanghai', 'en')).toBe(
      '2 Jan 2026 00:00:00',
    );
    expect(formatStationTime(null, 'Asia/Shanghai', 'en')).toBe('-');
  });

  it('axis labels with and without the date, and the zone offset', () => {
    expect(formatAxisTime(T, 'Asia/Shanghai', 'zh', false)).toBe('09:05');
    expect(formatAxisTime(T, 'Asia/Shanghai', 'zh', true)).toBe('03-14 09:05');
    expect(formatAxisTime(T, 'Asia/Shanghai', 'en', true)).toBe('14 Mar 09:05');
    expect(utcOffsetLabel(T, 'Asia/Shanghai')).toBe('UTC+8');
    expect(utcOffsetLabel(T, 'Asia/Kolkata')).toBe('UTC+5:30');
    expect(utcOffsetLabel(T, 'UTC')).toBe('UTC');
  });

  it('durations in their two largest units', () => {
    expect(formatDuration(450, 'en')).toBe('under 1 s');
    expect(formatDuration(450, 'zh')).toBe('不到1秒');
    expect(formatDuration(45_000, 'en')).toBe('45 s');
    expect(formatDuration(-303_000, 'en')).toBe('5 min 3 s');
    expect(formatDuration(3_600_000, 'zh')).toBe('1小时');
    expect(formatDuration(93_784_000, 'zh')).toBe('1天2小时');
    expect(formatDuration(93_784_000, 'en')).toBe('1 d 2 h');
  });
});

describe('status cells', () => {
  const status: OperationsStatus = {
    station: { id: 's1', name: '示范站', configHash: 'abc', now: T, timezone: 'Asia/Shanghai' },
    devices: [],
    seriesFrom: 0,
    uplinks: [
      {
        id: 'center',
        connected: false,
        backlog: 12,
        oldestUnsentTs: T - 60_000,
        oldestUnsentAgeS: 60,
        confirmed: 0,
        lastConfirmAt: null,
        lastError: { message: 'connect ECONNREFUSED 127.0.0.1:1883', code: 'ECONNREFUSED', at: T },
      },
      {
        id: 'backup',
        connected: false,
        backlog: 0,
        oldestUnsentTs: null,
        oldestUnsentAgeS: null,
        confirmed: 0,
        lastConfirmAt: null,
        lastError: null,
      },
      {
        id: 'platform',
        connected: true,
        backlog: 0,
        oldestUnsentTs: null,
        oldestUnsentAgeS: null,
        confirmed: 5,
        lastConfirmAt: T,
        lastError: null,
      },
    ],
    store: { path: '/x/agent.db', bytes: 1, freeBytes: null },
    events: [],
  };
  const time = (lang: 'zh' | 'en') => (ms: number) =>
    formatStationTime(ms, status.station.timezone ?? 'UTC', lang);

  it("an uplink's last error and since when, in both languages", () => {
    const [center, backup, platform] = status.uplinks;
    expect(uplinkStateText(center!, 'zh', time('zh'))).toBe(
      '未连接：connect ECONNREFUSED 127.0.0.1:1883（自 2026-03-14 09:05:07 起）',
    );
    expect(uplinkStateText(center!, 'en', time('en'))).toBe(
      'disconnected: connect ECONNREFUSED 127.0.0.1:1883 since 14 Mar 2026 09:05:07',
    );
    // Before the agent reports errors (or while it knows none): just the state.
    expect(uplinkStateText(backup!, 'zh', time('zh'))).toBe('未连接');
    expect(uplinkStateText(backup!, 'en', time('en'))).toBe('disconnected');
    expect(uplinkStateText(platform!, 'zh', time('zh'))).toBe('已连接');
    expect(uplinkStateText(platform!, 'en', time('en'))).toBe('connected');
  });

  it('values with their decimals when given, otherwise as they came', () => {
    expect(valueText({ value: 0.123456789, decimals: 3 })).toBe('0.123');
    expect(valueText({ value: 7, decimals: 2 })).toBe('7.00');
    expect(valueText({ value: 22.5, decimals: 0 })).toBe('23');
    expect(valueText({ value: 0.123456789, decimals: null })).toBe('0.123456789');
    expect(valueText({ value: 0.123456789 })).toBe('0.123456789');
    expect(valueText({ value: null, decimals: 2 })).toBe('-');
  });

  it('ids with their names', () => {
    expect(nameLabel('nutrient', '总磷分析仪', 'zh')).toBe('nutrient（总磷分析仪）');
    expect(nameLabel('nutrient', 'TP analyzer', 'en')).toBe('nutrient (TP analyzer)');
    expect(nameLabel('nutrient', null, 'en')).toBe('nutrient');
  });
});

describe('the copies the page runs', () => {
  it('are self-contained and give the same text as the originals', () => {
    // A fresh context has only the language built-ins: a function that reached for an import or a
    // module constant would throw here, as it would in the browser.
    const sandbox = runInNewContext(
      `${sharedFunctionsSource()}
       ({ formatStationTime, formatDuration, eventSentence, uplinkStateText, valueText, nameLabel, formatAxisTime, utcOffsetLabel });`,
      {},
    );
    expect(sandbox.formatStationTime(T, 'Asia/Shanghai', 'en')).toBe('14 Mar 2026 09:05:07');
    expect(sandbox.formatAxisTime(T, 'Asia/Shanghai', 'en', true)).toBe('14 Mar 09:05');
    expect(sandbox.utcOffsetLabel(T, 'Asia/Shanghai')).toBe('UTC+8');
    expect(sandbox.formatDuration(303_000, 'zh')).toBe('5分3秒');
    const ctx = {
      lang: 'zh',
      time: (ms: number) => sandbox.formatStationTime(ms, 'Asia/Shanghai', 'zh'),
      duration: (ms: number) => sandbox.formatDuration(ms, 'zh'),
    };
    expect(sandbox.eventSentence({ kind: 'link-restored', bus: 'lan', downMs: 65_000 }, ctx)).toBe(
      '总线 lan 连接恢复（中断 1分5秒）',
    );
    expect(sandbox.eventSentence({ kind: 'new-kind', a: 1 }, ctx)).toBe('事件 new-kind：a=1');
    expect(
      sandbox.uplinkStateText(
        { connected: false, lastError: { message: 'x', code: null, at: T } },
        'en',
        ctx.time,
      ),
    ).toBe('disconnected: x since 2026-03-14 09:05:07');
    expect(sandbox.valueText({ value: 1.23456, decimals: 2 })).toBe('1.23');
    expect(sandbox.nameLabel('sonde', '五参数', 'zh')).toBe('sonde（五参数）');
  });
});
