/**
 * The status page's own script (plain browser JavaScript, no build step): fills the page from
 * /api/status, keeps it current from /api/events, and switches language. It runs after the shared
 * functions (sharedFunctions.ts: formatStationTime, eventSentence, uplinkStateText, valueText, …)
 * and DICT (pageDictionary.ts); trendScript.ts adds the charts.
 *
 * Text goes in through textContent only, so names or values can never inject markup. Every time is
 * shown in the station's zone (status.station.timezone), whatever the browser's zone or locale.
 * A token in the page's own URL (?token=) is passed on to every request.
 */
export const CLIENT_SCRIPT = String.raw`
let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh';
let last = null;
const t = (k) => DICT[lang][k] ?? k;
const token = new URLSearchParams(location.search).get('token');
const q = token ? '?token=' + encodeURIComponent(token) : '';
// The schema's default zone, should a status ever come without one.
const zone = () => (last && last.station.timezone) || 'Asia/Shanghai';
const time = (ms) => formatStationTime(ms, zone(), lang);
const mb = (b) => (b === null || b === undefined ? '-' : (b / 1048576).toFixed(1) + ' MB');

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function cell(row, text, cls) {
  const td = el('td', text, cls);
  row.appendChild(td);
  return td;
}
/** An id and, when configured, its name beside it. */
function idWithName(id, name, cls) {
  const span = el('span', null, cls);
  span.append(el('span', id, 'id'));
  if (name) span.append(' ', el('span', name, 'name'));
  return span;
}
function channelOf(device, channel) {
  const d = last && last.devices.find((x) => x.id === device);
  return d ? { device: d, value: d.values.find((v) => v.channel === channel) } : null;
}
/** device/channel with their names, for sentences: nutrient/cod（总磷分析仪 / 化学需氧量）. */
function channelLabel(device, channel) {
  const found = channelOf(device, channel);
  const names = [found && found.device.name, found && found.value && found.value.name].filter(Boolean);
  return nameLabel(device + '/' + channel, names.join(' / '), lang);
}

const SVGNS = 'http://www.w3.org/2000/svg';
// The last hour of minute means as a line scaled to its own range; null minutes break the line.
function spark(series, unit, decimals) {
  const w = 120, h = 22, pad = 2;
  const svg = document.createElementNS(SVGNS, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  const s = Array.isArray(series) ? series : [];
  const ok = (v) => typeof v === 'number' && Number.isFinite(v);
  const vals = s.filter(ok);
  if (vals.length === 0) return svg;
  const lo = Math.min(...vals), hi = Math.max(...vals), n = s.length;
  const x = (i) => (n > 1 ? pad + (i * (w - 2 * pad)) / (n - 1) : w / 2);
  const y = (v) => (hi === lo ? h / 2 : pad + ((hi - v) * (h - 2 * pad)) / (hi - lo));
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
  title.textContent = t('lastHour') + ': ' + valueText({ value: lo, decimals }) + ' … ' +
    valueText({ value: hi, decimals }) + (unit ? ' ' + unit : '');
  svg.append(title, path);
  return svg;
}
function valuesCell(row, d) {
  const td = el('td', null, 'chs');
  for (const v of d.values) {
    const div = el('div', null, 'ch');
    div.dataset.device = d.id;
    div.dataset.channel = v.channel;
    div.tabIndex = 0;
    div.setAttribute('role', 'button');
    div.title = t('trendHint');
    if (trendSel && trendSel.device === d.id && trendSel.channel === v.channel) {
      div.classList.add('selected');
    }
    const text = el('span', null, 'text');
    text.append(idWithName(v.channel, v.name, 'chname'), ' ', el('span', valueText(v) + (v.unit ? ' ' + v.unit : ''), 'val'),
      ' ', el('span', '[' + v.flag + ']', v.flag === 'N' ? 'flag' : 'flag flagged'));
    div.append(text, spark(v.series, v.unit, v.decimals));
    td.appendChild(div);
  }
  row.appendChild(td);
}
function errorCounts(byCode) {
  return Object.entries(byCode ?? {}).sort((a, b) => b[1] - a[1]).map(([code, n]) => code + ' \u00d7' + n);
}
function fill(id, rows, emptyKey) {
  const body = document.getElementById(id);
  if (rows.length === 0 && emptyKey) {
    const tr = el('tr', null, 'empty');
    cell(tr, t(emptyKey)).colSpan = 2;
    rows = [tr];
  }
  body.replaceChildren(...rows);
}
const ALARMS = new Set(['data-loss', 'store-set-aside', 'facility-alarm-start']);
function render(s) {
  last = s;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.getElementById('lang').textContent = t('other');
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  if (!s) return;
  document.getElementById('title').textContent = t('title') + ' ' + s.station.id + (s.station.name ? ' — ' + s.station.name : '');
  document.getElementById('store').textContent = t('store') + ': ' + mb(s.store.bytes) + ' · ' + t('free') + ': ' + mb(s.store.freeBytes);
  document.getElementById('zone').textContent = t('stationTime') + ' (' + zone() + ', ' + utcOffsetLabel(s.station.now, zone()) + '): ';
  document.getElementById('now').textContent = time(s.station.now);
  fill('devices', s.devices.map((d) => {
    const tr = el('tr');
    tr.append(el('td')); tr.lastChild.append(idWithName(d.id, d.name, 'devname'));
    cell(tr, d.bus);
    cell(tr, t(d.link) + (d.lastErrors.length ? ' (' + d.lastErrors.join(', ') + ')' : ''), d.link === 'link-lost' ? 'failing' : d.link);
    cell(tr, time(d.lastOkAt), 'time'); cell(tr, d.polls);
    cell(tr, [String(d.failures), ...errorCounts(d.errorsByCode)].join('\n'), 'values errors');
    valuesCell(tr, d);
    return tr;
  }));
  const facilities = s.facilities || [];
  document.getElementById('facilitiesSection').hidden = facilities.length === 0;
  fill('facilities', facilities.map((f) => {
    const tr = el('tr', null, f.alarms.length ? 'alarm' : '');
    tr.dataset.facility = f.id;
    tr.append(el('td')); tr.lastChild.append(idWithName(f.id, f.name, 'devname'));
    cell(tr, t(f.role));
    cell(tr, t(f.state) + (f.since === null ? '' : ' ' + t('since') + ' ' + time(f.since)), f.state === 'unknown' ? 'waiting' : 'ok');
    cell(tr, f.power === null ? '-' : valueText({ value: f.power, decimals: null }));
    cell(tr, f.alarms.map((a) => a.treatment + ' ' + t(a.fault) + ', ' + t('since') + ' ' + time(a.since)).join('\n') || '-',
      f.alarms.length ? 'values failing' : 'values');
    return tr;
  }));
  fill('uplinks', s.uplinks.map((u) => {
    const tr = el('tr');
    cell(tr, u.id);
    const state = cell(tr, uplinkStateText(u, lang, time), u.connected ? 'ok' : 'failing');
    if (u.lastError && u.lastError.code) state.title = u.lastError.code;
    cell(tr, u.backlog);
    cell(tr, u.oldestUnsentAgeS === null ? '-' : formatDuration(u.oldestUnsentAgeS * 1000, lang));
    cell(tr, time(u.lastConfirmAt), 'time');
    return tr;
  }));
  const ctx = { lang, time, duration: (ms) => formatDuration(ms, lang), channelLabel };
  fill('events', s.events.map((e) => {
    const tr = el('tr', null, ALARMS.has(e.kind) ? 'alarm' : '');
    tr.dataset.kind = e.kind;
    // The raw event for whoever needs every field; the sentence for everyone else.
    tr.title = JSON.stringify(e.event);
    cell(tr, time(e.ts), 'time');
    cell(tr, eventSentence(e.event, ctx), 'sentence');
    return tr;
  }), 'noEvents');
}
function switchLanguage() {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
  render(last);
  drawTrend();
}
const conn = (ok) => { const e = document.getElementById('conn'); e.textContent = t(ok ? 'live' : 'offline'); e.className = ok ? 'ok' : 'failing'; };
function statusArrived(s) {
  render(s);
  trendStatusArrived();
}
`;

/** Last in the page's script, once every function and variable above exists: wire up and start. */
export const START_SCRIPT = `
document.getElementById('lang').addEventListener('click', switchLanguage);
wireTrend();
render(null);
fetch('/api/status' + q).then((r) => (r.ok ? r.json() : null)).then((s) => s && statusArrived(s)).catch(() => conn(false));
const es = new EventSource('/api/events' + q);
es.addEventListener('status', (e) => { conn(true); statusArrived(JSON.parse(e.data)); });
es.onerror = () => conn(false);
`;
