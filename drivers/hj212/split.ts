import { FLAG_SPLIT } from './codes.js';
import { type Cp, emptyCp } from './cp.js';
import type { DataSegment } from './dataSegment.js';
import { type Result, reject } from './rejection.js';

/** The standard's limits: data segment ≤ 1024 bytes, its CP part (`CP=&&…&&`) ≤ 950 bytes. */
export const SEGMENT_LIMIT = 1024;
export const CP_LIMIT = 950;

/** Bytes a segment takes on the wire: the whole data segment and its `CP=&&…&&` part. */
export type MeasureSegment = (seg: DataSegment) => { segment: number; cp: number };

export interface SplitOptions {
  measure: MeasureSegment;
  /** A fresh QN for parts 2..n: each part is a message of its own (hj212.md: own QN, LLLL, CRC). */
  nextQn: () => string;
}

function fits(measure: MeasureSegment, seg: DataSegment): boolean {
  const m = measure(seg);
  return m.segment <= SEGMENT_LIMIT && m.cp <= CP_LIMIT;
}

/**
 * Splits a message whose data segment or CP is over the limits into parts with PNUM/PNO and Flag bit 1.
 * Every part repeats DataTime and the other plain keys (a part alone must say which period it is),
 * and carries whole factor groups; a group is cut between its fields only when it cannot fit a part
 * on its own. Throws when even a single item cannot fit (a text too long for any frame).
 */
export function splitSegment(seg: DataSegment, opts: SplitOptions): DataSegment[] {
  if (fits(opts.measure, seg)) return [seg];
  const codes = [...seg.cp.factors.keys()];
  // The width of PNUM/PNO changes the header length, so pack with room for the widest numbers first.
  for (let digits = 1; digits <= 4; digits++) {
    const widest = 10 ** digits - 1;
    const probe = (cp: Cp): DataSegment => ({
      ...seg,
      flag: seg.flag | FLAG_SPLIT,
      pnum: widest,
      pno: widest,
      cp,
    });
    const cps = pack(seg.cp, codes, (cp) => fits(opts.measure, probe(cp)));
    if (cps.length <= widest) {
      return cps.map((cp, i) => ({
        ...seg,
        qn: i === 0 ? seg.qn : opts.nextQn(),
        flag: seg.flag | FLAG_SPLIT,
        pnum: cps.length,
        pno: i + 1,
        cp,
      }));
    }
  }
  throw new Error('HJ 212: message needs more than 9999 parts');
}

function baseCp(cp: Cp): Cp {
  const base = emptyCp();
  if (cp.dataTime !== undefined) base.dataTime = cp.dataTime;
  for (const [k, v] of cp.fields) base.fields.set(k, v);
  return base;
}

/** Greedy packing of factor groups (or, for an oversized group, of its fields) into part CPs. */
function pack(cp: Cp, codes: string[], fitsPart: (cp: Cp) => boolean): Cp[] {
  const parts: Cp[] = [];
  let current = baseCp(cp);
  if (!fitsPart(current)) throw new Error('HJ 212: DataTime and the plain CP keys alone exceed one frame');
  const flush = () => {
    parts.push(current);
    current = baseCp(cp);
  };
  for (const code of codes) {
    const fields = cp.factors.get(code)!;
    const withGroup = cloneCp(current);
    withGroup.factors.set(code, new Map(fields));
    if (fitsPart(withGroup)) {
      current = withGroup;
      continue;
    }
    const alone = baseCp(cp);
    alone.factors.set(code, new Map(fields));
    if (current.factors.size > 0 && fitsPart(alone)) {
      flush();
      current = alone;
      continue;
    }
    // The group cannot fit a part of its own: cut it between fields.
    for (const [field, value] of fields) {
      const next = cloneCp(current);
      addField(next, code, field, value);
      if (fitsPart(next)) {
        current = next;
        continue;
      }
      if (current.factors.size > 0) flush();
      addField(current, code, field, value);
      if (!fitsPart(current)) throw new Error(`HJ 212: CP item ${code}-${field} is too long for any frame`);
    }
  }
  if (current.factors.size > 0 || parts.length === 0) parts.push(current);
  return parts;
}

function cloneCp(cp: Cp): Cp {
  const copy = baseCp(cp);
  for (const [code, fields] of cp.factors) copy.factors.set(code, new Map(fields));
  return copy;
}

function addField(cp: Cp, code: string, field: string, value: string): void {
  let group = cp.factors.get(code);
  if (group === undefined) {
    group = new Map();
    cp.factors.set(code, group);
  }
  group.set(field, value);
}

/**
 * Joins the parts of a split message back into one (header and QN of part 1, Flag bit 1 cleared).
 * Refuses an incomplete or inconsistent set rather than returning half a message.
 */
export function joinParts(parts: readonly DataSegment[]): Result<DataSegment> {
  const first = parts.find((p) => p.pno === 1);
  const pnum = first?.pnum;
  if (first === undefined || pnum === undefined)
    return reject('bad-field', 'part 1 is missing', { field: 'PNO' });
  const byNo = new Map<number, DataSegment>();
  for (const p of parts) {
    if (p.pnum !== pnum || p.pno === undefined || p.cn !== first.cn || p.mn !== first.mn) {
      return reject('bad-field', `part ${p.pno} does not belong with part 1 (PNUM, CN or MN differ)`, {
        field: 'PNUM',
      });
    }
    byNo.set(p.pno, p);
  }
  const cp = baseCp(first.cp);
  for (let no = 1; no <= pnum; no++) {
    const part = byNo.get(no);
    if (part === undefined) return reject('bad-field', `part ${no} of ${pnum} is missing`, { field: 'PNO' });
    for (const [code, fields] of part.cp.factors) for (const [f, v] of fields) addField(cp, code, f, v);
  }
  const { pnum: _n, pno: _o, ...rest } = first;
  return { ok: true, value: { ...rest, flag: first.flag & ~FLAG_SPLIT, cp } };
}
