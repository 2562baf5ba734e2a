import { CLIENT_SCRIPT, START_SCRIPT } from './page/clientScript.js';
import { PAGE_DICTIONARY } from './page/pageDictionary.js';
import { sharedFunctionsSource } from './page/sharedFunctions.js';
import { TREND_SCRIPT } from './page/trendScript.js';

/**
 * The status page: one HTML document served by the agent (no CDN: station PCs are often offline),
 * filled from /api/status and kept current by /api/events. Its script is put together from the
 * dictionary (page/pageDictionary.ts), the functions shared with the agent and its tests
 * (page/sharedFunctions.ts: times in the station's zone, event sentences, uplink and value text),
 * the page's own script (page/clientScript.ts) and the trend chart (page/trendScript.ts, with uPlot
 * from /assets/). Chinese or English; the choice is remembered in localStorage.
 */

const STYLE = `
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
.ok { color: #070; } .failing, .isolated { color: #b00; font-weight: bold; } .waiting { color: #777; }
#conn { float: right; font-size: 0.9rem; }
#summary { color: #444; }
td.values { white-space: pre-line; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.name { color: #555; }
.devname .name { display: block; font-size: 0.9rem; }
td.chs > div.ch { display: flex; align-items: center; justify-content: space-between; gap: 0.75rem; cursor: pointer;
  padding: 0 0.25rem; border-radius: 3px; }
td.chs > div.ch:hover, td.chs > div.ch:focus { background: #eef3f9; outline: none; }
td.chs > div.ch.selected { background: #dde8f5; }
.chname .id { font-weight: 600; }
.flagged { color: #d32f2f; font-weight: bold; }
svg.spark { background: #f3f5f7; flex: none; }
svg.spark path { fill: none; stroke: #2a6db0; stroke-width: 1.5; stroke-linecap: round; stroke-linejoin: round; }
#trend { margin: 0 0 1.5rem; max-width: 1100px; }
#trend .toolbar { display: flex; gap: 0.5rem; align-items: center; margin-bottom: 0.5rem; }
#trend button.active { font-weight: bold; background: #dde8f5; }
#trendNote { color: #777; }
#trendHint { color: #777; margin-top: -1rem; }
tr.alarm td.sentence { color: #b00; font-weight: bold; }
tr.empty td { color: #777; }
`;

const BODY = `
<div id="conn"></div>
<button id="lang" type="button"></button>
<h1 id="title"></h1>
<p id="summary"><span id="store"></span> · <span id="zone"></span><span id="now" class="time"></span></p>
<h2 data-t="devices"></h2>
<table><thead><tr><th data-t="device"></th><th data-t="bus"></th><th data-t="link"></th><th data-t="lastOk"></th><th data-t="polls"></th><th data-t="failures"></th><th data-t="values"></th></tr></thead><tbody id="devices"></tbody></table>
<p id="trendHint" data-t="trendHint"></p>
<section id="trend" hidden>
<h2><span data-t="trend"></span>: <span id="trendTitle"></span></h2>
<div class="toolbar"><button type="button" data-range="hour" data-t="lastHour"></button><button type="button" data-range="day" data-t="lastDay"></button><button type="button" id="trendClose" data-t="close"></button><span id="trendNote"></span></div>
<div id="trendChart"></div>
</section>
<section id="facilitiesSection" hidden>
<h2 data-t="facilities"></h2>
<table><thead><tr><th data-t="facility"></th><th data-t="role"></th><th data-t="runState"></th><th data-t="power"></th><th data-t="alarm"></th></tr></thead><tbody id="facilities"></tbody></table>
</section>
<h2 data-t="uplinks"></h2>
<table><thead><tr><th data-t="uplink"></th><th data-t="connection"></th><th data-t="backlog"></th><th data-t="oldest"></th><th data-t="lastConfirm"></th></tr></thead><tbody id="uplinks"></tbody></table>
<h2 data-t="events"></h2>
<table><thead><tr><th data-t="time"></th><th data-t="event"></th></tr></thead><tbody id="events"></tbody></table>
`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>station-agent</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>
const DICT = ${JSON.stringify(PAGE_DICTIONARY)};
${sharedFunctionsSource()}
${CLIENT_SCRIPT}
${TREND_SCRIPT}
${START_SCRIPT}
</script>
</body>
</html>
`;
