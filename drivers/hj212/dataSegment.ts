import { FLAG_SPLIT } from './codes.js';
import { type Cp, formatCp, parseCp } from './cp.js';
import { type HeaderHint, type Rejection, type Result, reject } from './rejection.js';

/**
 * The data segment: everything between the length field and the CRC.
 * `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;][RF=…;]CP=&&…&&`
 */
export interface DataSegment {
  /**
   * Request id `yyyyMMddHHmmssSSS`; an answer repeats the request's QN. Empty when a received frame
   * had none (several real uploads omit it): whoever replies to it generates one (tolerance.ts).
   */
  qn: string;
  st: string;
  cn: string;
  pw: string;
  /** Station id; may be empty or odd in a received frame (accepted, see tolerance.ts). */
  mn: string;
  /** Bit 0 answer wanted, bit 1 split, bits 2–7 version. A frame without Flag (2005 style) reads as 0. */
  flag: number;
  /** Present together on the parts of a split message. */
  pnum?: number;
  pno?: number;
  /** HJ 212-2025: `RF=1` marks re-sent (补传) data. */
  rf?: number;
  cp: Cp;
}

const KNOWN = ['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO', 'RF'] as const;
export type HeaderField = (typeof KNOWN)[number];
const CANONICAL = new Map<string, HeaderField>(KNOWN.map((k) => [k.toLowerCase(), k]));

/** `CP=&&`, tolerating blanks and case; the first one ends the header (values never contain `=&&`). */
const CP_MARKER = /CP[ \t]*=[ \t]*&&/i;

/** Where the CP content starts and ends in a data segment (string or latin1 view of bytes), or undefined. */
export function locateCp(
  text: string,
): { header: string; contentStart: number; contentEnd: number } | undefined {
  const m = CP_MARKER.exec(text);
  if (m === null) return undefined;
  const contentStart = m.index + m[0].length;
  // The closing `&&` is the last two characters; a missing one (seen in the field) is tolerated.
  let end = text.length;
  while (end > contentStart && /[ \t\r\n]/.test(text[end - 1]!)) end--;
  const contentEnd = end - contentStart >= 2 && text.endsWith('&&', end) ? end - 2 : end;
  return { header: text.slice(0, m.index), contentStart, contentEnd };
}

/**
 * Reads the header fields by name, in any order, with `;` or `,` between them, blanks tolerated, and
 * even a missing separator (`ST=32CN=2011`): a key is a run of letters before `=`, and when a run glued
 * to a value ends with a known name (`MN=…ABFlag=`) the name is split off; the rest ends that value.
 * Unknown keys are skipped: later editions add fields, and ignoring one is safer than refusing data.
 */
export function parseHeader(header: string): Result<Map<HeaderField, string>> {
  const keys: { name: HeaderField | undefined; start: number; valueStart: number }[] = [];
  for (const m of header.matchAll(/([A-Za-z]+)[ \t]*=/g)) {
    const run = m[1]!;
    let name = CANONICAL.get(run.toLowerCase());
    let start = m.index;
    // Only a run glued to a previous value can hide a key; after a separator it is an unknown key.
    const glued = m.index > 0 && !/[;, \t]/.test(header[m.index - 1]!);
    if (name === undefined && glued) {
      for (const k of KNOWN) {
        if (run.length > k.length && run.toLowerCase().endsWith(k.toLowerCase())) {
          // The longest known suffix wins, should two ever overlap.
          if (name === undefined || k.length > name.length) {
            name = k;
            start = m.index + run.length - k.length;
          }
        }
      }
    }
    keys.push({ name, start, valueStart: m.index + m[0].length });
  }
  const fields = new Map<HeaderField, string>();
  for (const [i, k] of keys.entries()) {
    const end = keys[i + 1]?.start ?? header.length;
    const value = header
      .slice(k.valueStart, end)
      .replace(/^[ \t;,]+|[ \t;,]+$/g, '')
      .trim();
    if (k.name === undefined) continue;
    const seen = fields.get(k.name);
    if (seen !== undefined && seen !== value) {
      return reject('bad-field', `${k.name} given twice ('${seen}', '${value}')`, { field: k.name });
    }
    fields.set(k.name, value);
  }
  return { ok: true, value: fields };
}

/** The header fields readable from a possibly broken frame, to answer it with the right QN. */
export function headerHint(fields: Map<HeaderField, string>): HeaderHint {
  const hint: HeaderHint = {};
  const copy = (from: HeaderField, to: 'qn' | 'st' | 'cn' | 'pw' | 'mn') => {
    const v = fields.get(from);
    if (v !== undefined) hint[to] = v;
  };
  copy('QN', 'qn');
  copy('ST', 'st');
  copy('CN', 'cn');
  copy('PW', 'pw');
  copy('MN', 'mn');
  const flag = fields.get('Flag');
  if (flag !== undefined && /^\d{1,3}$/.test(flag)) hint.flag = Number(flag);
  return hint;
}

const HEADER_VALUE = /^[^;,=&\r\n \t]*$/;

/** A PW or MN value that parses back as itself. */
export function isHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}

/** QN and MN are not among them: a frame without is accepted and the gap reported (tolerance.ts). */
const REQUIRED: readonly HeaderField[] = ['ST', 'CN', 'PW'];

/** Parses a whole plaintext data segment. Every refusal names the field and what was wrong. */
export function parseDataSegment(text: string): Result<DataSegment> {
  const loc = locateCp(text);
  const headerText = loc?.header ?? text;
  const parsed = parseHeader(headerText);
  if (!parsed.ok) return parsed;
  const fields = parsed.value;
  const header = headerHint(fields);
  const bad = (field: string, detail: string): Rejection => reject('bad-field', detail, { field, header });

  for (const name of REQUIRED) {
    if (!fields.has(name)) return reject('missing-field', `${name} is missing`, { field: name, header });
  }
  if (loc === undefined) return reject('missing-field', 'CP=&& is missing', { field: 'CP', header });

  const qn = fields.get('QN') ?? '';
  const st = fields.get('ST')!;
  const cn = fields.get('CN')!;
  if (qn !== '' && !/^\d+$/.test(qn)) return bad('QN', `QN '${qn}' is not digits`);
  if (!/^\d{2}$/.test(st)) return bad('ST', `ST '${st}' is not 2 digits`);
  if (!/^\d{4}$/.test(cn)) return bad('CN', `CN '${cn}' is not 4 digits`);
  // PW is echoed in every answer: refuse what could not be emitted back. An odd MN is replaced in
  // replies instead (replyMn), as the station is known by its connection anyway.
  if (!isHeaderValue(fields.get('PW')!)) return bad('PW', 'PW contains blanks or separators');

  const flag = fields.get('Flag');
  if (flag !== undefined && !(/^\d{1,3}$/.test(flag) && Number(flag) <= 255)) {
    return bad('Flag', `Flag '${flag}' is not a number 0..255`);
  }
  const pnum = fields.get('PNUM');
  const pno = fields.get('PNO');
  if ((pnum === undefined) !== (pno === undefined)) return bad('PNUM', 'PNUM and PNO come together');
  if (pnum !== undefined && pno !== undefined) {
    if (!/^[1-9]\d{0,3}$/.test(pnum) || !/^[1-9]\d{0,3}$/.test(pno) || Number(pno) > Number(pnum)) {
      return bad('PNO', `PNUM=${pnum};PNO=${pno} is not a part number within 1..PNUM`);
    }
  }
  const rf = fields.get('RF');
  if (rf !== undefined && !/^\d{1,3}$/.test(rf)) return bad('RF', `RF '${rf}' is not a number`);

  const cp = parseCp(text.slice(loc.contentStart, loc.contentEnd));
  if (!cp.ok) return { ...cp, header };

  const segment: DataSegment = {
    qn,
    st,
    cn,
    pw: fields.get('PW')!,
    mn: fields.get('MN') ?? '',
    flag: flag === undefined ? 0 : Number(flag),
    cp: cp.value,
  };
  if (pnum !== undefined && pno !== undefined) {
    segment.pnum = Number(pnum);
    segment.pno = Number(pno);
  }
  if (rf !== undefined) segment.rf = Number(rf);
  return { ok: true, value: segment };
}

/**
 * The strict form, fields in standard order. Throws on values that could not parse back (a separator
 * in the password, a 3-digit CN…): those are bugs in the caller, and sending them would only produce
 * a rejection on the platform that is much harder to trace.
 */
export function formatDataSegment(seg: DataSegment): string {
  const check = (name: string, value: string, pattern: RegExp) => {
    if (!pattern.test(value)) throw new Error(`HJ 212: ${name} ${JSON.stringify(value)} cannot be emitted`);
  };
  check('QN', seg.qn, /^\d+$/);
  check('ST', seg.st, /^\d{2}$/);
  check('CN', seg.cn, /^\d{4}$/);
  check('PW', seg.pw, HEADER_VALUE);
  // An empty MN is written back as received (a reply echoes it); blanks or separators never are.
  check('MN', seg.mn, HEADER_VALUE);
  if (!Number.isInteger(seg.flag) || seg.flag < 0 || seg.flag > 255) {
    throw new Error(`HJ 212: Flag ${seg.flag} is not 0..255`);
  }
  const split = seg.pnum !== undefined || seg.pno !== undefined;
  if (split !== ((seg.flag & FLAG_SPLIT) !== 0)) {
    throw new Error('HJ 212: PNUM/PNO and Flag bit 1 must go together');
  }
  const parts = [
    `QN=${seg.qn}`,
    `ST=${seg.st}`,
    `CN=${seg.cn}`,
    `PW=${seg.pw}`,
    `MN=${seg.mn}`,
    `Flag=${seg.flag}`,
  ];
  if (split) {
    const { pnum, pno } = seg;
    if (pnum === undefined || pno === undefined || !(pno >= 1 && pno <= pnum && pnum <= 9999)) {
      throw new Error(`HJ 212: PNUM=${pnum};PNO=${pno} is not a part number`);
    }
    parts.push(`PNUM=${pnum}`, `PNO=${pno}`);
  }
  if (seg.rf !== undefined) parts.push(`RF=${seg.rf}`);
  parts.push(`CP=&&${formatCp(seg.cp)}&&`);
  return parts.join(';');
}
