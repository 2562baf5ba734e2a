import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  formatUnitList,
  parseHostPort,
  parseRegisterSpec,
  parseTimeoutArg,
  parseUnitList,
} from '../../../agent/cli/cliArgs.js';

describe('parseUnitList', () => {
  it('reads ranges, single ids and lists of both, sorted and without repeats', () => {
    expect(parseUnitList('1-247')).toHaveLength(247);
    expect(parseUnitList('1-247')[246]).toBe(247);
    expect(parseUnitList('7')).toEqual([7]);
    expect(parseUnitList('1,3,5-7')).toEqual([1, 3, 5, 6, 7]);
    expect(parseUnitList(' 9 , 2-3 ,3 ')).toEqual([2, 3, 9]);
    expect(parseUnitList('5 - 6')).toEqual([5, 6]);
  });

  it.each([
    ['', /expected unit ids/],
    ['abc', /"abc" is not a unit id or range/],
    ['1-', /"1-" is not a unit id or range/],
    ['1,,2', /"" is not a unit id or range/],
    ['-3', /"-3" is not a unit id or range/],
    ['1.5', /"1.5" is not a unit id or range/],
    ['7-3', /range "7-3" runs backwards \(write 3-7\)/],
    ['1-300', /unit 300 is out of range 0\.\.255/],
  ])('refuses %j with a clear message', (text, message) => {
    expect(() => parseUnitList(text)).toThrow(InvalidArgumentError);
    expect(() => parseUnitList(text)).toThrow(message);
  });

  it('honours other bounds', () => {
    expect(() => parseUnitList('0', 1, 247)).toThrow(/unit 0 is out of range 1\.\.247/);
  });
});

describe('formatUnitList', () => {
  it('compacts runs', () => {
    expect(formatUnitList([1, 2, 3, 7])).toBe('1-3, 7');
    expect(formatUnitList([1, 7])).toBe('1, 7');
    expect(formatUnitList([4, 5])).toBe('4, 5');
    expect(formatUnitList([])).toBe('');
    expect(formatUnitList(parseUnitList('1-247'))).toBe('1-247');
  });
});

describe('other scan arguments', () => {
  it('register specs', () => {
    expect(parseRegisterSpec('holding:0')).toEqual({ table: 'holding', address: 0 });
    expect(parseRegisterSpec('Input:16')).toEqual({ table: 'input', address: 16 });
    expect(() => parseRegisterSpec('hold:0')).toThrow(/table one of coil, discrete, holding, input/);
    expect(() => parseRegisterSpec('holding:70000')).toThrow(/0\.\.65535/);
    expect(() => parseRegisterSpec('holding')).toThrow(InvalidArgumentError);
  });

  it('timeouts', () => {
    expect(parseTimeoutArg('200ms')).toBe(200);
    expect(parseTimeoutArg('1s')).toBe(1000);
    expect(parseTimeoutArg('150')).toBe(150);
    expect(() => parseTimeoutArg('fast')).toThrow(/duration such as 200ms/);
    expect(() => parseTimeoutArg('5ms')).toThrow(/between 10ms and 60s/);
  });

  it('gateway addresses', () => {
    expect(parseHostPort('192.168.1.50:502')).toEqual({ host: '192.168.1.50', port: 502 });
    expect(parseHostPort('gw.local')).toEqual({ host: 'gw.local', port: 502 });
    expect(parseHostPort('[::1]:5020')).toEqual({ host: '::1', port: 5020 });
    expect(() => parseHostPort('host:99999')).toThrow(/1\.\.65535/);
    expect(() => parseHostPort('a:b:c')).toThrow(/host:port/);
  });
});
