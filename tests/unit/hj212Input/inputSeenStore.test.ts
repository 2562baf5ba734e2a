import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SeenPort } from '../../../agent/acquisition/hj212Input/seenPort.js';
import { silentLogger } from '../../../agent/core/log.js';
import { InputSeenStore } from '../../../agent/store/inputSeenStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'input-seen-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('InputSeenStore', () => {
  it('remembers taken values across a reopen of the database (an agent restart)', () => {
    const path = join(dir, 'station.db');
    const db1 = openDatabase({ path, log: silentLogger() });
    const seen: SeenPort = new InputSeenStore({ db: db1 });
    seen.addAll(['MN|2011|20261207120000|w01018', 'MN|2011|20261207120000|w01018']);
    db1.close();
    const db2 = openDatabase({ path, log: silentLogger() });
    const again = new InputSeenStore({ db: db2 });
    expect([again.has('MN|2011|20261207120000|w01018'), again.has('MN|2011|20261207120000|w01001')]).toEqual([
      true,
      false,
    ]);
    db2.close();
  });

  it('prunes keys older than the retention', () => {
    let now = 1_000_000;
    const db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    const seen = new InputSeenStore({ db, clock: { now: () => now }, retentionMs: 1000 });
    seen.add('old');
    now += 500;
    seen.add('new');
    now += 600;
    expect(seen.pruneNow()).toBe(1);
    expect([seen.has('old'), seen.has('new')]).toEqual([false, true]);
    db.close();
  });
});
