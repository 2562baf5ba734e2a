import { describe, expect, it } from 'vitest';
import { cpFrom } from '../../../drivers/hj212/cp.js';
import { type DataSegment, formatDataSegment, parseDataSegment } from '../../../drivers/hj212/dataSegment.js';
import { MN } from './vectors.js';

const STRICT = `QN=20240601120000001;ST=32;CN=2011;PW=123456;MN=${MN};Flag=5;CP=&&DataTime=20240601120000;w01018-Rtd=25.5,w01018-Flag=N&&`;

function parsed(text: string): DataSegment {
  const r = parseDataSegment(text);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.value;
}

describe('lenient parsing, strict emitting', () => {
  const cases: [string, string][] = [
    [
      'fields in another order',
      `CN=2011;MN=${MN};QN=20240601120000001;Flag=5;PW=123456;ST=32;CP=&&DataTime=20240601120000;w01018-Rtd=25.5,w01018-Flag=N&&`,
    ],
    [
      'commas for semicolons',
      `QN=20240601120000001,ST=32,CN=2011,PW=123456,MN=${MN},Flag=5,CP=&&DataTime=20240601120000,w01018-Rtd=25.5,w01018-Flag=N&&`,
    ],
    ['semicolons between a factor’s fields', STRICT.replace('25.5,w01018', '25.5;w01018')],
    [
      'stray spaces',
      `QN = 20240601120000001; ST=32 ;CN=2011;  PW=123456;MN=${MN};Flag=5;CP = &&DataTime=20240601120000; w01018-Rtd = 25.5 , w01018-Flag=N &&`,
    ],
    ['missing trailing &&', STRICT.slice(0, -2)],
    [
      'missing separators in the header',
      `QN=20240601120000001ST=32CN=2011;PW=123456;MN=${MN}Flag=5;CP=&&DataTime=20240601120000;w01018-Rtd=25.5,w01018-Flag=N&&`,
    ],
    [
      'lowercase field names',
      STRICT.replace('QN=', 'qn=').replace('Flag=', 'flag=').replace('DataTime', 'datatime'),
    ],
    ['an unknown header field', STRICT.replace('Flag=5;', 'Flag=5;XX=1;')],
    ['empty CP items', STRICT.replace('CP=&&', 'CP=&&;;')],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      expect(formatDataSegment(parsed(text))).toBe(STRICT);
    });
  }

  it('a 2005-style segment without Flag reads as Flag 0', () => {
    expect(parsed(STRICT.replace('Flag=5;', '')).flag).toBe(0);
  });

  it('emits PNUM/PNO and RF in the standard places', () => {
    const seg: DataSegment = { ...parsed(STRICT), flag: 11, pnum: 2, pno: 1, rf: 1 };
    expect(formatDataSegment(seg)).toBe(
      `QN=20240601120000001;ST=32;CN=2011;PW=123456;MN=${MN};Flag=11;PNUM=2;PNO=1;RF=1;CP=&&DataTime=20240601120000;w01018-Rtd=25.5,w01018-Flag=N&&`,
    );
  });
});

describe('refusals name the field', () => {
  const cases: [string, string, string, string][] = [
    ['no CN', STRICT.replace('CN=2011;', ''), 'missing-field', 'CN'],
    ['no CP', STRICT.slice(0, STRICT.indexOf(';CP=')), 'missing-field', 'CP'],
    ['CN of 3 digits', STRICT.replace('CN=2011', 'CN=201'), 'bad-field', 'CN'],
    ['ST of letters', STRICT.replace('ST=32', 'ST=ab'), 'bad-field', 'ST'],
    ['Flag not a number', STRICT.replace('Flag=5', 'Flag=x'), 'bad-field', 'Flag'],
    ['QN not digits', STRICT.replace('QN=20240601120000001', 'QN=2024x'), 'bad-field', 'QN'],
    ['MN twice, different', STRICT.replace('Flag=5;', 'Flag=5;MN=other;'), 'bad-field', 'MN'],
    ['PNO without PNUM', STRICT.replace('Flag=5;', 'Flag=7;PNO=1;'), 'bad-field', 'PNUM'],
    ['PNO above PNUM', STRICT.replace('Flag=5;', 'Flag=7;PNUM=2;PNO=3;'), 'bad-field', 'PNO'],
  ];
  for (const [name, text, reason, field] of cases) {
    it(name, () => {
      expect(parseDataSegment(text)).toMatchObject({ ok: false, reason, field });
    });
  }

  it('a CP item without =', () => {
    expect(parseDataSegment(STRICT.replace('CP=&&', 'CP=&&oops;'))).toMatchObject({
      ok: false,
      reason: 'bad-cp',
      detail: "CP item 'oops' is not Key=Value",
      header: { qn: '20240601120000001', cn: '2011' },
    });
  });
});

describe('emitting refuses what would not parse back', () => {
  const base = parsed(STRICT);
  it.each([
    ['a separator in PW', { ...base, pw: '12;456' }],
    ['a 3-digit CN', { ...base, cn: '201' }],
    ['Flag out of range', { ...base, flag: 256 }],
    ['PNUM without Flag bit 1', { ...base, pnum: 2, pno: 1 }],
    ['a comma in a CP value', { ...base, cp: cpFrom({ fields: { Info: 'a,b' } }) }],
    ['a dash in a plain CP key', { ...base, cp: cpFrom({ fields: { 'a-b': '1' } }) }],
    ['outer blanks in a value', { ...base, cp: cpFrom({ factors: { w01018: { Rtd: ' 1' } } }) }],
  ])('%s', (_name, seg) => {
    expect(() => formatDataSegment(seg as DataSegment)).toThrow(/HJ 212/);
  });
});
