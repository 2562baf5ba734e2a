import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeMessage } from '../../../drivers/hj212/codec.js';
import { FLAG_SPLIT, makeFlag } from '../../../drivers/hj212/codes.js';
import { type Cp, cpFrom, emptyCp } from '../../../drivers/hj212/cp.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { createQnGenerator } from '../../../drivers/hj212/qn.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import { joinParts } from '../../../drivers/hj212/split.js';
import { MN } from './vectors.js';

function upload(cp: Cp): DataSegment {
  return {
    qn: '20240601120000001',
    st: '32',
    cn: '2011',
    pw: '123456',
    mn: MN,
    flag: makeFlag('2017', { ack: true }),
    cp,
  };
}

/** n factors w00001…, each `wNNNNN-Rtd=12345.678,wNNNNN-Flag=N` (34 bytes). */
function factors(n: number): Cp {
  const f: Record<string, Record<string, string>> = {};
  for (let i = 1; i <= n; i++) f[`w${String(i).padStart(5, '0')}`] = { Rtd: '12345.678', Flag: 'N' };
  return cpFrom({ dataTime: '20240601120000', factors: f });
}

const nextQn = createQnGenerator({ clock: { now: () => Date.UTC(2024, 5, 1, 4) } }).next;

function decodeAll(frames: Buffer[], opts = {}): DataSegment[] {
  return frames.map((f) => {
    const r = decodeFrame(f, opts);
    if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
    return r.segment;
  });
}

describe('splitting with PNUM/PNO', () => {
  it('a message within the limits stays one frame without PNUM', () => {
    const frames = encodeMessage(upload(factors(20)), { nextQn });
    expect(frames).toHaveLength(1);
    expect(frames[0]!.toString()).not.toContain('PNUM');
  });

  it('30 factors: 25 in part 1 (the 1024-byte segment limit binds), 5 in part 2', () => {
    // Header with PNUM=2;PNO=1; is 93 bytes, so the CP part may take 931: DataTime (23) + 25 × 35.
    const frames = encodeMessage(upload(factors(30)), { nextQn });
    expect(frames).toHaveLength(2);
    expect(frames[0]!.subarray(0, 6).toString()).toBe('##0998');
    const [p1, p2] = decodeAll(frames) as [DataSegment, DataSegment];
    expect(p1).toMatchObject({ qn: '20240601120000001', flag: 7, pnum: 2, pno: 1 });
    expect(p2).toMatchObject({ flag: 7, pnum: 2, pno: 2 });
    expect(p2.qn).not.toBe(p1.qn); // each part its own QN
    expect(p1.cp.factors.size).toBe(25);
    expect([...p2.cp.factors.keys()]).toEqual(['w00026', 'w00027', 'w00028', 'w00029', 'w00030']);
    // Every part says which instant it is about.
    expect(p2.cp.dataTime).toBe('20240601120000');
    expect(frames[0]!.toString()).toContain('Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20240601120000;w00001-Rtd');
  });

  it('every part is within 1024 / 950 and joins back to the message', () => {
    const seg = upload(factors(120));
    const frames = encodeMessage(seg, { nextQn });
    expect(frames.length).toBeGreaterThan(4);
    for (const f of frames) {
      const length = Number(f.subarray(2, 6).toString());
      expect(length).toBeLessThanOrEqual(1024);
      const text = f.toString();
      expect(text.length - text.indexOf('CP=&&') - 6).toBeLessThanOrEqual(950);
    }
    const joined = joinParts(decodeAll(frames));
    expect(joined).toEqual({ ok: true, value: seg });
  });

  it('cuts a group between its fields only when it cannot fit a part alone', () => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < 60; i++) fields[`F${i}`] = 'x'.repeat(20);
    const seg = upload(
      cpFrom({ dataTime: '20240601120000', factors: { w00001: { Rtd: '1' }, i11001: fields } }),
    );
    const parts = decodeAll(encodeMessage(seg, { nextQn }));
    expect(parts.length).toBe(3);
    // w00001 fits with a first slice of i11001; the rest of i11001 follows in parts 2 and 3.
    expect([...parts[0]!.cp.factors.keys()]).toEqual(['w00001', 'i11001']);
    expect([...parts[2]!.cp.factors.keys()]).toEqual(['i11001']);
    expect(joinParts(parts)).toEqual({ ok: true, value: seg });
  });

  it('hex SM4 ciphertext counts as sent: the same message needs more parts', () => {
    const sm4 = { key: sm4KeyFromText('0123456789abcdef'), encoding: 'hex' as const };
    const seg = upload(factors(30));
    const frames = encodeMessage(seg, { nextQn, sm4 });
    expect(frames.length).toBe(3);
    for (const f of frames) expect(Number(f.subarray(2, 6).toString())).toBeLessThanOrEqual(1024);
    expect(joinParts(decodeAll(frames, { sm4 }))).toEqual({ ok: true, value: seg });
  });

  it('throws when a single item cannot fit any frame, or no QN source is given', () => {
    expect(() => encodeMessage(upload(cpFrom({ fields: { Info: 'x'.repeat(1000) } })), { nextQn })).toThrow(
      /alone exceed/,
    );
    expect(() =>
      encodeMessage(upload(cpFrom({ factors: { i11001: { Info: 'x'.repeat(1000) } } })), { nextQn }),
    ).toThrow(/too long/);
    expect(() => encodeMessage(upload(factors(30)))).toThrow(/nextQn/);
  });
});

describe('joinParts', () => {
  const parts = decodeAll(encodeMessage(upload(factors(60)), { nextQn }));

  it('refuses a missing part', () => {
    expect(joinParts(parts.slice(0, -1))).toMatchObject({ ok: false, reason: 'bad-field', field: 'PNO' });
    expect(joinParts(parts.slice(1))).toMatchObject({ ok: false, detail: 'part 1 is missing' });
  });

  it('accepts parts in any order and clears the split bit', () => {
    const joined = joinParts([...parts].reverse());
    expect(joined.ok && joined.value.flag & FLAG_SPLIT).toBe(0);
    expect(joined.ok && joined.value.pnum).toBeUndefined();
  });

  it('refuses parts of another station', () => {
    expect(joinParts([parts[0]!, { ...parts[1]!, mn: 'other' }])).toMatchObject({ ok: false });
  });

  it('an empty CP is one part', () => {
    expect(encodeMessage(upload(emptyCp()))).toHaveLength(1);
  });
});
