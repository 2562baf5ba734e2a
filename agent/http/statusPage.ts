/**
 * The status page: one self-contained HTML document (no CDN: station PCs are often offline), filled
 * from /api/status and kept current by /api/events. Text goes in through textContent only, so device
 * names or values can never inject markup. Chinese or English from a small dictionary; the choice is
 * remembered in localStorage. A token in the page's own URL (?token=) is passed on to the API.
 * Each channel has an inline SVG sparkline of its minute means over the last hour (`series` in the
 * status); minutes without a value leave gaps.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>station-agent</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
.ok { color: #070; } .failing, .isolated { color: #b00; font-weight: bold; } .waiting { color: #777; }
#conn { float: right; font-size: 0.9rem; }
td.values { white-space: pre-line; }
td.chs > div { display: flex; align-items: center; justify-content: space-between; gap: 0.75rem; }
svg.spark { background: #f3f5f7; flex: none; }
svg.spark path { fill: none; stroke: #2a6db0; stroke-width: 1.5; stroke-linecap: round; stroke-linejoin: round; }
</style>
</head>
<body>
<div id="conn"></div>
<button id="lang" type="button"></button>
<h1 id="title"></h1>
<p id="summary"></p>
<h2 data-t="devices"></h2>
<table><thead><tr><th data-t="device"></th><th data-t="bus"></th><th data-t="link"></th><th data-t="lastOk"></th><th data-t="polls"></th><th data-t="failures"></th><th data-t="values"></th></tr></thead><tbody id="devices"></tbody></table>
<h2 data-t="uplinks"></h2>
<table><thead><tr><th data-t="uplink"></th><th data-t="connected"></th><th data-t="backlog"></th><th data-t="oldest"></th><th data-t="lastConfirm"></th></tr></thead><tbody id="uplinks"></tbody></table>
<h2 data-t="events"></h2>
<table><tbody id="events"></tbody></table>
<script>
const DICT = {
  zh: { title: '站点', devices: '设备', device: '设备', bus: '总线', link: '通讯', lastOk: '最后正常', polls: '采集次数',
    failures: '失败次数', values: '数值', uplinks: '上传通道', uplink: '通道', connected: '已连接', backlog: '待发送',
    oldest: '最早未发送(秒)', lastConfirm: '最后确认', events: '事件', store: '存储', free: '剩余磁盘', yes: '是', no: '否',
    lastHour: '最近一小时', ok: '正常', failing: '故障', isolated: '隔离', waiting: '等待', live: '实时', offline: '未连接', other: 'English' },
  en: { title: 'Station', devices: 'Devices', device: 'Device', bus: 'Bus', link: 'Link', lastOk: 'Last OK', polls: 'Polls',
    failures: 'Failures', values: 'Values', uplinks: 'Uplinks', uplink: 'Uplink', connected: 'Connected', backlog: 'Backlog',
    oldest: 'Oldest unsent (s)', lastConfirm: 'Last confirmation', events: 'Events', store: 'Store', free: 'Free disk',
    lastHour: 'last hour', yes: 'yes', no: 'no', ok: 'ok', failing: 'failing', isolated: 'isolated', waiting: 'waiting', live: 'live',
    offline: 'disconnected', other: '中文' },
};
let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh';
let last = null;
const t = (k) => DICT[lang][k] ?? k;
const token = new URLSearchParams(location.search).get('token');
const q = token ? '?token=' + encodeURIComponent(token) : '';
const time = (ms) => (ms === null || ms === undefined ? '-' : new Date(ms).toLocaleString());
// float32 registers decode to long binary fractions: six significant digits are plenty on screen.
const num = (v) => (v === null || v === undefined ? '-' : String(Number(v.toPrecision(6))));
const mb = (b) => (b === null || b === undefined ? '-' : (b / 1048576).toFixed(1) + ' MB');
function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}
const SVGNS = 'http://www.w3.org/2000/svg';
// The last hour of minute means as a line scaled to its own range; null minutes break the line.
function spark(series, unit) {
  const w = 120, h = 22, pad = 2;
  const svg = document.createElementNS(SVGNS, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  const s = Array.isArray(series) ? series : [];
  const vals = s.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (vals.length === 0) return svg;
  const lo = Math.min(...vals), hi = Math.max(...vals), n = s.length;
  const x = (i) => (n > 1 ? pad + (i * (w - 2 * pad)) / (n - 1) : w / 2);
  const y = (v) => (hi === lo ? h / 2 : pad + ((hi - v) * (h - 2 * pad)) / (hi - lo));
  const ok = (v) => typeof v === 'number' && Number.isFinite(v);
  let d = '';
  for (let i = 0; i < n; i++) {
    if (!ok(s[i])) continue;
    d += (i > 0 && ok(s[i - 1]) ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(s[i]).toFixed(1) + ' ';
    // A minute with no neighbour: a zero-length segment, drawn as a dot by the round cap.
    if (!(i > 0 && ok(s[i - 1])) && !(i + 1 < n && ok(s[i + 1]))) d += 'l0 0 ';
  }
  const path = document.createElementNS(SVGNS, 'path');
  path.setAttribute('d', d.trim());
  const title = document.createElementNS(SVGNS, 'title');
  title.textContent = t('lastHour') + ': ' + num(lo) + ' … ' + num(hi) + (unit ? ' ' + unit : '');
  svg.append(title, path);
  return svg;
}
function valuesCell(row, values) {
  const td = document.createElement('td');
  td.className = 'chs';
  for (const v of values) {
    const div = document.createElement('div');
    const text = document.createElement('span');
    text.textContent = v.channel + ' ' + num(v.value) + (v.unit ? ' ' + v.unit : '') + ' [' + v.flag + ']';
    div.append(text, spark(v.series, v.unit));
    td.appendChild(div);
  }
  row.appendChild(td);
}
function errorCounts(byCode) {
  return Object.entries(byCode ?? {}).sort((a, b) => b[1] - a[1]).map(([code, n]) => code + ' \u00d7' + n);
}
function fill(id, rows) {
  const body = document.getElementById(id);
  body.replaceChildren(...rows);
}
function render(s) {
  last = s;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.getElementById('lang').textContent = t('other');
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  if (!s) return;
  document.getElementById('title').textContent = t('title') + ' ' + s.station.id + (s.station.name ? ' — ' + s.station.name : '');
  document.getElementById('summary').textContent =
    t('store') + ': ' + mb(s.store.bytes) + ' · ' + t('free') + ': ' + mb(s.store.freeBytes) + ' · ' + time(s.station.now);
  fill('devices', s.devices.map((d) => {
    const tr = document.createElement('tr');
    cell(tr, d.id); cell(tr, d.bus); cell(tr, t(d.link) + (d.lastErrors.length ? ' (' + d.lastErrors.join(', ') + ')' : ''), d.link);
    cell(tr, time(d.lastOkAt)); cell(tr, d.polls);
    cell(tr, [String(d.failures), ...errorCounts(d.errorsByCode)].join('\\n'), 'values errors');
    valuesCell(tr, d.values);
    return tr;
  }));
  fill('uplinks', s.uplinks.map((u) => {
    const tr = document.createElement('tr');
    cell(tr, u.id); cell(tr, u.connected ? t('yes') : t('no'), u.connected ? 'ok' : 'failing'); cell(tr, u.backlog);
    cell(tr, u.oldestUnsentAgeS === null ? '-' : Math.round(u.oldestUnsentAgeS)); cell(tr, time(u.lastConfirmAt));
    return tr;
  }));
  fill('events', s.events.map((e) => {
    const tr = document.createElement('tr');
    cell(tr, time(e.ts)); cell(tr, e.kind); cell(tr, JSON.stringify(e.event));
    return tr;
  }));
}
document.getElementById('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
  render(last);
});
const conn = (ok) => { const el = document.getElementById('conn'); el.textContent = t(ok ? 'live' : 'offline'); el.className = ok ? 'ok' : 'failing'; };
render(null);
fetch('/api/status' + q).then((r) => (r.ok ? r.json() : null)).then((s) => s && render(s)).catch(() => conn(false));
const es = new EventSource('/api/events' + q);
es.addEventListener('status', (e) => { conn(true); render(JSON.parse(e.data)); });
es.onerror = () => conn(false);
</script>
</body>
</html>
`;
