import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from '../core/log.js';

/**
 * Files the status page loads besides itself: the uPlot chart library (MIT, node_modules/uplot,
 * a runtime dependency) for the trend charts. Station PCs are often offline, so nothing comes from
 * a CDN: the files are read once when the status server starts, from the node_modules beside the
 * program (the checkout's, or /opt/station-agent/node_modules in an installed agent).
 */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator: the browser asks again on each load and gets 304 while the file is unchanged. */
  etag: string;
}

/** URL path -> asset. */
export type StatusAssets = ReadonlyMap<string, StaticAsset>;

const ASSETS: readonly { path: string; module: string; contentType: string }[] = [
  {
    path: '/assets/uplot.js',
    module: 'uplot/dist/uPlot.iife.min.js',
    contentType: 'text/javascript; charset=utf-8',
  },
  { path: '/assets/uplot.css', module: 'uplot/dist/uPlot.min.css', contentType: 'text/css; charset=utf-8' },
];

/**
 * Reads every asset. A missing one is logged and left out (its URL answers 404): the page still
 * shows the status, only the trend chart says it cannot draw.
 */
export function loadStatusAssets(log: Pick<Logger, 'error'>): StatusAssets {
  const require = createRequire(import.meta.url);
  const assets = new Map<string, StaticAsset>();
  for (const a of ASSETS) {
    try {
      const body = readFileSync(require.resolve(a.module));
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
      assets.set(a.path, { body, contentType: a.contentType, etag });
    } catch (err) {
      log.error({ err, module: a.module }, 'status page asset missing: the trend charts cannot draw');
    }
  }
  return assets;
}
