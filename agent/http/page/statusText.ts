import type { PageLang } from './stationTime.js';

/**
 * Text of single status page cells that needs more than a dictionary word: an uplink's connection
 * with its last error, a value with its configured decimals, an id with its name.
 *
 * Runs in the browser too (sharedFunctions.ts copies the source): parameters and built-ins only.
 */

/** The part of an uplink's status its connection cell shows (OperationsStatus.uplinks[]). */
export interface UplinkConnection {
  connected: boolean;
  /** Why it is not connected and since when (ms); null or absent when connected or not known. */
  lastError?: { message: string; code: string | null; at: number } | null;
}

/** zh `未连接：<message>（自 <time> 起）`, en `disconnected: <message> since <time>`. */
export function uplinkStateText(u: UplinkConnection, lang: PageLang, time: (ms: number) => string): string {
  const zh = lang === 'zh';
  if (u.connected) return zh ? '已连接' : 'connected';
  const err = u.lastError;
  if (err === null || err === undefined) return zh ? '未连接' : 'disconnected';
  return zh
    ? `未连接：${err.message}（自 ${time(err.at)} 起）`
    : `disconnected: ${err.message} since ${time(err.at)}`;
}

/**
 * A value as the agent wrote it (`text`: rounded exactly as the HJ 212 uplink sends it), else with the
 * channel's `decimals` when given (0-20; chart points, an older agent's status), otherwise as it came.
 */
export function valueText(v: {
  value: number | null;
  decimals?: number | null;
  text?: string | null;
}): string {
  if (typeof v.text === 'string') return v.text;
  if (v.value === null || v.value === undefined) return '-';
  const d = v.decimals;
  if (typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 20) return v.value.toFixed(d);
  return String(v.value);
}

/** `id` alone, or with its configured name: zh `nutrient（总磷分析仪）`, en `nutrient (TP analyzer)`. */
export function nameLabel(id: string, name: string | null | undefined, lang: PageLang): string {
  if (!name) return id;
  return lang === 'zh' ? `${id}（${name}）` : `${id} (${name})`;
}
