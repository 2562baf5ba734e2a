/**
 * The status page's trend chart (browser JavaScript, after clientScript.ts): one channel at a time,
 * its last hour of readings or last day of minute means from /api/trend, drawn with uPlot, which the
 * agent serves itself (/assets/uplot.js, loaded on first use). Points flagged other than N are marked
 * in red on a second series (those without a value as red ticks on the time axis); a step longer
 * than three times the channel's interval (or the points' usual spacing) breaks the line.
 * The time axis and the legend use the station's zone and the page's language. The selection lives
 * in the URL (#trend=device/channel/range), so a chart can be bookmarked or sent to a colleague.
 */
export const TREND_SCRIPT = String.raw`
/** The channel on screen: { device, channel, range }, or null. */
let trendSel = null;
/** The uPlot instance drawing it, the /api/trend answer it draws, and what it was built for. */
let trendChart = null;
let trendData = null;
let trendKey = '';
let trendTimer = null;
let uplotLoad = null;
let trendFromUrlDone = false;
const FLAG_COLOR = '#d32f2f';
const LINE_COLOR = '#2a6db0';

function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!uplotLoad) {
    uplotLoad = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = '/assets/uplot.css' + q;
      document.head.appendChild(css);
      const js = document.createElement('script');
      js.src = '/assets/uplot.js' + q;
      js.onload = () => resolve(window.uPlot);
      js.onerror = () => { uplotLoad = null; js.remove(); reject(new Error('uplot')); };
      document.head.appendChild(js);
    });
  }
  return uplotLoad;
}
function trendNote(text) {
  document.getElementById('trendNote').textContent = text || '';
}
function markSelected() {
  for (const e of document.querySelectorAll('#devices .ch')) {
    e.classList.toggle('selected', !!trendSel && e.dataset.device === trendSel.device && e.dataset.channel === trendSel.channel);
  }
  for (const b of document.querySelectorAll('#trend [data-range]')) {
    b.classList.toggle('active', !!trendSel && b.dataset.range === trendSel.range);
  }
}
function openTrend(device, channel, range) {
  trendSel = { device, channel, range: range === 'day' ? 'day' : 'hour' };
  history.replaceState(null, '', location.pathname + location.search + '#trend=' +
    [device, channel, trendSel.range].map(encodeURIComponent).join('/'));
  document.getElementById('trend').hidden = false;
  document.getElementById('trendHint').hidden = true;
  markSelected();
  trendTitle();
  clearInterval(trendTimer);
  trendTimer = setInterval(refreshTrend, trendSel.range === 'hour' ? 10000 : 60000);
  return refreshTrend();
}
function closeTrend() {
  trendSel = null;
  trendData = null;
  clearInterval(trendTimer);
  if (trendChart) trendChart.destroy();
  trendChart = null;
  trendKey = '';
  history.replaceState(null, '', location.pathname + location.search);
  document.getElementById('trend').hidden = true;
  document.getElementById('trendHint').hidden = false;
  markSelected();
}
function trendTitle() {
  if (!trendSel) return;
  document.getElementById('trendTitle').textContent = channelLabel(trendSel.device, trendSel.channel);
}
async function refreshTrend() {
  const sel = trendSel;
  if (!sel) return;
  const url = '/api/trend?device=' + encodeURIComponent(sel.device) + '&channel=' + encodeURIComponent(sel.channel) +
    '&range=' + sel.range + (token ? '&token=' + encodeURIComponent(token) : '');
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const data = await res.json();
    await loadUplot();
    if (sel !== trendSel) return;
    trendData = data;
    drawTrend();
  } catch (err) {
    if (sel !== trendSel) return;
    trendNote(err.message === 'uplot' ? t('chartMissing') : t('trendFailed') + ' (' + err.message + ')');
  }
}
/** Breaks the line where points are much further apart than the channel's interval (a power cut). */
function longGaps(u, idx0, idx1, nullGaps, gapS) {
  const xs = u.data[0], ys = u.data[1];
  const all = nullGaps.slice();
  for (let i = idx0 + 1; i <= idx1; i++) {
    if (ys[i] == null || ys[i - 1] == null || xs[i] - xs[i - 1] <= gapS) continue;
    all.push([Math.round(u.valToPos(xs[i - 1], 'x', true)), Math.round(u.valToPos(xs[i], 'x', true))]);
  }
  all.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const g of all) {
    const prev = merged[merged.length - 1];
    if (prev && g[0] <= prev[1]) prev[1] = Math.max(prev[1], g[1]);
    else merged.push([g[0], g[1]]);
  }
  return merged;
}
/**
 * Flagged points without a value (no communication B, a calibration minute C, too few samples H)
 * have nowhere to sit on the value axis: a red tick on the time axis marks them instead.
 */
function flagTicks(u, d) {
  const ctx = u.ctx;
  const h = Math.round(6 * devicePixelRatio);
  const w = Math.max(2, Math.round(2 * devicePixelRatio));
  const bottom = u.bbox.top + u.bbox.height;
  ctx.save();
  ctx.fillStyle = FLAG_COLOR;
  for (let i = 0; i < d.t.length; i++) {
    if (d.v[i] !== null || d.f[i] === 'N') continue;
    const x = Math.round(u.valToPos(d.t[i] / 1000, 'x', true));
    ctx.fillRect(x - (w >> 1), bottom - h, w, h);
  }
  ctx.restore();
}
function trendOptions(d, tz) {
  const box = document.getElementById('trendChart');
  const found = channelOf(d.device, d.channel);
  const decimals = found && found.value ? found.value.decimals : null;
  const fmt = (v) => valueText({ value: v, decimals });
  // Three steps without a point break the line; a step is the channel's interval, or the points'
  // usual spacing when they are sparser than that (history stored by an earlier config, a cycle).
  const xs = d.t.map((ms) => ms / 1000);
  const spacing = xs.slice(1).map((x, i) => x - xs[i]).sort((a, b) => a - b);
  const usual = spacing.length > 0 ? spacing[spacing.length >> 1] : 0;
  const gapS = 3 * Math.max(d.stepMs / 1000, usual);
  const withFlag = (v, i) => (v == null ? '-' : fmt(v)) + (i != null && d.f[i] ? ' [' + d.f[i] + ']' : '');
  const dayOf = (s) => stationTimeParts(s * 1000, tz).day;
  return {
    width: Math.max(320, box.clientWidth),
    height: 280,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
    scales: { x: { time: true, range: () => [d.from / 1000, d.to / 1000] } },
    series: [
      { label: t('time'), value: (u, ts) => (ts == null ? '-' : formatStationTime(ts * 1000, tz, lang)) },
      {
        label: d.channel + (d.unit ? ' (' + d.unit + ')' : ''),
        stroke: LINE_COLOR,
        width: 1.5,
        gaps: (u, sidx, idx0, idx1, nullGaps) => longGaps(u, idx0, idx1, nullGaps, gapS),
        value: (u, v, sidx, i) => withFlag(v, i),
      },
      {
        label: t('flagged'),
        stroke: FLAG_COLOR,
        fill: FLAG_COLOR,
        paths: () => null,
        points: { show: true, size: 8, width: 1, stroke: FLAG_COLOR, fill: FLAG_COLOR },
        value: (u, v, sidx, i) => withFlag(v, i),
      },
    ],
    hooks: { draw: [(u) => flagTicks(u, d)] },
    axes: [
      {
        space: 60,
        // The date only where it changes (and first, on the day view): the station's calendar day.
        values: (u, splits) => splits.map((s, i) => formatAxisTime(s * 1000, tz, lang,
          i === 0 ? d.range === 'day' : dayOf(s) !== dayOf(splits[i - 1]))),
      },
      { size: 60, values: (u, splits) => splits.map((v) => (v == null ? '' : String(Number(v.toPrecision(6))))) },
    ],
  };
}
function drawTrend() {
  const d = trendData;
  if (!d || !trendSel || !window.uPlot) return;
  trendTitle();
  const tz = zone();
  const x = d.t.map((ms) => ms / 1000);
  const flagged = d.v.map((v, i) => (v !== null && d.f[i] !== 'N' ? v : null));
  const data = [x, d.v, flagged];
  trendNote(d.t.length === 0 ? t('noData') : d.truncated ? t('truncated') : '');
  const key = [d.device, d.channel, d.range, lang, tz].join('|');
  if (trendChart && trendKey === key) {
    trendChart.setData(data);
    return;
  }
  if (trendChart) trendChart.destroy();
  trendKey = key;
  trendChart = new uPlot(trendOptions(d, tz), data, document.getElementById('trendChart'));
}
function trendStatusArrived() {
  markSelected();
  // The first status names the zone and the channels: now a chart asked for in the URL can open.
  if (trendFromUrlDone) return;
  trendFromUrlDone = true;
  const m = /^#trend=([^/]+)\/([^/]+)(?:\/(hour|day))?$/.exec(location.hash);
  if (m) openTrend(decodeURIComponent(m[1]), decodeURIComponent(m[2]), m[3]);
}
function wireTrend() {
  const fromEvent = (e) => e.target.closest && e.target.closest('#devices .ch');
  document.getElementById('devices').addEventListener('click', (e) => {
    const ch = fromEvent(e);
    if (ch) openTrend(ch.dataset.device, ch.dataset.channel, trendSel ? trendSel.range : 'hour');
  });
  document.getElementById('devices').addEventListener('keydown', (e) => {
    const ch = fromEvent(e);
    if (ch && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      openTrend(ch.dataset.device, ch.dataset.channel, trendSel ? trendSel.range : 'hour');
    }
  });
  for (const b of document.querySelectorAll('#trend [data-range]')) {
    b.addEventListener('click', () => trendSel && openTrend(trendSel.device, trendSel.channel, b.dataset.range));
  }
  document.getElementById('trendClose').addEventListener('click', closeTrend);
  window.addEventListener('resize', () => {
    if (trendChart) trendChart.setSize({ width: Math.max(320, document.getElementById('trendChart').clientWidth), height: 280 });
  });
}
`;
