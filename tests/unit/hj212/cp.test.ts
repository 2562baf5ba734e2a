import { describe, expect, it } from 'vitest';
import { cpField, cpFrom, formatCp, parseCp } from '../../../drivers/hj212/cp.js';

describe('CP', () => {
  it('groups factor fields by code and keeps the other keys apart', () => {
    const r = parseCp(
      'DataTime=20240601120000;w01018-Avg=25.5,w01018-Flag=N;w21003-Avg=0.8,w21003-Flag=T;PolId=w01018',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.dataTime).toBe('20240601120000');
    expect([...r.value.factors.keys()]).toEqual(['w01018', 'w21003']);
    expect(r.value.factors.get('w21003')?.get('Flag')).toBe('T');
    expect(r.value.fields.get('PolId')).toBe('w01018');
    // Strict order: DataTime, plain keys, then one item per factor.
    expect(formatCp(r.value)).toBe(
      'DataTime=20240601120000;PolId=w01018;w01018-Avg=25.5,w01018-Flag=N;w21003-Avg=0.8,w21003-Flag=T',
    );
  });

  it('keeps values as text (25.50 stays 25.50)', () => {
    const r = parseCp('w01018-Rtd=25.50');
    expect(r.ok && r.value.factors.get('w01018')?.get('Rtd')).toBe('25.50');
  });

  it('a value may hold = (text fields)', () => {
    const r = parseCp('i11001-Info=a=b');
    expect(r.ok && formatCp(r.value)).toBe('i11001-Info=a=b');
  });

  it('cpFrom writes numbers with String()', () => {
    expect(
      formatCp(cpFrom({ dataTime: '20240601120000', factors: { a34004: { Rtd: 35, Flag: 'N' } } })),
    ).toBe('DataTime=20240601120000;a34004-Rtd=35,a34004-Flag=N');
  });

  it('cpField matches keys regardless of case', () => {
    const cp = cpFrom({ fields: { systemtime: '20240601120000' } });
    expect(cpField(cp, 'SystemTime')).toBe('20240601120000');
    expect(cpField(cp, 'BeginTime')).toBeUndefined();
  });

  it('refuses a key with an empty code or field', () => {
    expect(parseCp('-Rtd=1')).toMatchObject({ ok: false, reason: 'bad-cp' });
    expect(parseCp('w01018-=1')).toMatchObject({ ok: false, reason: 'bad-cp' });
  });
});
