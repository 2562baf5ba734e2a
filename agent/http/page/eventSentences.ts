import type { KnownStationEvent } from '../../app/stationEvents.js';
import type { PageLang } from './stationTime.js';

/**
 * Station events (the `events` table) as one sentence each, in Chinese or English, for the status
 * page and `station-agent status`. A kind this agent does not know (a store written by a newer one)
 * still gets a sentence: its name and fields.
 *
 * Runs in the browser too (sharedFunctions.ts copies the source): everything it needs comes in
 * through its parameters, so it imports types only.
 */

export interface SentenceContext {
  lang: PageLang;
  /** A time as the page shows it (station time zone, page language). */
  time: (ms: number) => string;
  /** A length of time as the page shows it. */
  duration: (ms: number) => string;
  /** A device's channel as the page names it (its id, and its name when configured); default `device/channel`. */
  channelLabel?: (device: string, channel: string) => string;
}

export function eventSentence(event: { kind: string }, ctx: SentenceContext): string {
  const zh = ctx.lang === 'zh';
  const channelLabel = ctx.channelLabel ?? ((device: string, channel: string) => `${device}/${channel}`);
  const bytes = (n: number) =>
    n >= 1_048_576
      ? `${(n / 1_048_576).toFixed(1)} MB`
      : n >= 1024
        ? `${(n / 1024).toFixed(1)} KB`
        : `${n} B`;
  const e = event as KnownStationEvent;
  switch (e.kind) {
    case 'config-applied': {
      const hash = String(e.configHash).slice(0, 12);
      return zh
        ? `配置已生效：${e.devices} 台设备，配置 ${hash}`
        : `Configuration applied: ${e.devices} device${e.devices === 1 ? '' : 's'}, config ${hash}`;
    }
    case 'link-lost':
      if (e.device !== undefined) {
        const code = e.code ? ` (${e.code})` : '';
        return zh ? `设备 ${e.device} 链路中断${code}` : `Device ${e.device} lost its link${code}`;
      }
      return zh ? `总线 ${e.bus} 连接中断` : `Bus ${e.bus} lost its connection`;
    case 'link-restored': {
      const down = typeof e.downMs === 'number' ? ctx.duration(e.downMs) : null;
      if (e.device !== undefined) {
        if (zh) return `设备 ${e.device} 链路恢复${down ? `（中断 ${down}）` : ''}`;
        return `Device ${e.device} link back${down ? ` (down for ${down})` : ''}`;
      }
      if (zh) return `总线 ${e.bus} 连接恢复${down ? `（中断 ${down}）` : ''}`;
      return `Bus ${e.bus} connected again${down ? ` (down for ${down})` : ''}`;
    }
    case 'clock-jump': {
      const by = ctx.duration(e.deltaMs);
      if (e.atStart) {
        // Noticed at start: the clock is behind periods already stored; how it got there is unknown.
        return zh
          ? `启动时系统时钟比已保存的数据早 ${by}（当前 ${ctx.time(e.to)}，数据已到 ${ctx.time(e.from)}）`
          : `At start the system clock was ${by} behind the stored data (now ${ctx.time(e.to)}, data up to ${ctx.time(e.from)})`;
      }
      const forward = e.deltaMs > 0;
      return zh
        ? `系统时钟${forward ? '向前' : '向后'}跳了 ${by}（${ctx.time(e.from)} → ${ctx.time(e.to)}）`
        : `System clock stepped ${forward ? 'forward' : 'back'} by ${by} (${ctx.time(e.from)} → ${ctx.time(e.to)})`;
    }
    case 'data-loss': {
      const what = zh
        ? ({ minute: '条分钟数据', hour: '条小时数据', day: '条日数据' }[String(e.period)] ?? '条读数')
        : `${{ minute: 'minute record', hour: 'hour record', day: 'day record' }[String(e.period)] ?? 'reading'}${e.count === 1 ? '' : 's'}`;
      const reasons: Record<string, [string, string]> = {
        'storage-cap': ['存储达到上限 storage.maxSize', 'the store reached storage.maxSize'],
        'disk-floor': [
          '磁盘剩余空间低于 storage.minFreeDisk',
          'free disk space fell below storage.minFreeDisk',
        ],
        'disk-full': ['磁盘已满', 'the disk was full'],
      };
      const reason = reasons[e.reason]?.[zh ? 0 : 1] ?? String(e.reason);
      const label = channelLabel(e.device, e.channel);
      const span = zh
        ? `${ctx.time(e.from)} 至 ${ctx.time(e.to)}`
        : `${ctx.time(e.from)} to ${ctx.time(e.to)}`;
      // No seq: dropped from the memory queue while the disk was full, before they were ever stored.
      const stored = e.seqFrom !== null;
      if (zh) {
        return `数据丢失：${label} 的 ${e.count} ${what}（${span}）${stored ? '在上传确认前被删除' : '未能保存即被丢弃'}，原因：${reason}`;
      }
      return `Data lost: ${e.count} ${what} of ${label} (${span}) ${stored ? 'deleted before they were confirmed upstream' : 'dropped before they could be stored'}; reason: ${reason}`;
    }
    case 'store-set-aside':
      return zh
        ? `数据库文件损坏，已另存为 ${e.file}（${bytes(e.size)}，${e.reason}）；已新建数据库，序号从 1 重新开始`
        : `Damaged database set aside as ${e.file} (${bytes(e.size)}; ${e.reason}); a new database was started and sequence numbers restart at 1`;
    case 'store-seqs-skipped': {
      // After an unclean stop under synchronous: normal the store resumed above its recorded ceiling.
      const parts = (
        [
          ['readings', e.readings, '读数', 'readings'],
          ['aggregates', e.aggregates, '统计数据', 'aggregates'],
          ['events', e.events, '事件', 'events'],
        ] as const
      )
        .filter(([, range]) => range !== null)
        .map(([, range, zhName, enName]) => `${zh ? zhName : enName} ${range?.from}–${range?.to}`);
      const list = parts.length > 0 ? parts.join(zh ? '，' : ', ') : zh ? '无' : 'none';
      return zh
        ? `非正常停止（可能断电）后，以下序号不再使用，以免与已上传的数据重复：${list}`
        : `After an unclean stop (a power cut?) these sequence numbers are never used, so none repeats one already sent: ${list}`;
    }
    case 'facility-alarm-start': {
      const named = (id: string, name: string | null) =>
        name ? (zh ? `${id}（${name}）` : `${id} (${name})`) : id;
      const prod = named(e.production, e.productionName);
      const treat = named(e.treatment, e.treatmentName);
      const low = e.fault === 'below-min-load';
      if (zh) {
        return `治污设施报警：生产设施 ${prod} 运行中，治污设施 ${treat} ${low ? '低负荷运行' : '停运'}，自 ${ctx.time(e.since)} 起`;
      }
      return `Treatment alarm: production ${prod} runs while treatment ${treat} ${low ? 'runs below its minimum load' : 'is stopped'}, since ${ctx.time(e.since)}`;
    }
    case 'facility-alarm-end': {
      const reasons: Record<string, [string, string]> = {
        'treatment-resumed': ['治污设施恢复运行', 'the treatment runs again'],
        'production-stopped': ['生产设施停止', 'production stopped'],
        'config-changed': ['配置中已无此设施关联', 'the pair is no longer configured'],
      };
      const reason = reasons[e.reason]?.[zh ? 0 : 1] ?? String(e.reason);
      return zh
        ? `治污设施报警解除：${e.production} / ${e.treatment}（自 ${ctx.time(e.since)} 起），原因：${reason}`
        : `Treatment alarm over: ${e.production} / ${e.treatment} (since ${ctx.time(e.since)}): ${reason}`;
    }
    default: {
      // A compile error here names a known kind without a sentence above.
      const other: { kind: string } = e satisfies never;
      const fields = Object.entries(other)
        .filter(([key]) => key !== 'kind')
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(', ');
      if (zh) return `事件 ${other.kind}${fields ? `：${fields}` : ''}`;
      return `Event ${other.kind}${fields ? `: ${fields}` : ''}`;
    }
  }
}
