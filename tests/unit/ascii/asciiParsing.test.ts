import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRequest, EscapeError, parseEscapes, showBytes } from '../../../drivers/ascii/asciiCommand.js';
import {
  answerText,
  compilePattern,
  computeChecksum,
  groupNames,
  matchAnswer,
  parseNumber,
  terminatorFrameLength,
} from '../../../drivers/ascii/asciiResponse.js';
import { flagForStatus, parseStatusValue } from '../../../drivers/ascii/asciiStatus.js';
import { formatValue, render } from '../../../scripts/simulator/asciiServer.js';

describe('command escapes', () => {
  it('turns \\r \\n \\t \\\\ and \\xHH into bytes, other text byte for byte', () => {
    expect([...parseEscapes('o3\\r')]).toEqual([0x6f, 0x33, 0x0d]);
    expect([...parseEscapes('a\\n\\t\\\\b')]).toEqual([0x61, 0x0a, 0x09, 0x5c, 0x62]);
    expect([...parseEscapes('\\x02DATA\\x03')]).toEqual([0x02, 0x44, 0x41, 0x54, 0x41, 0x03]);
    expect([...parseEscapes('\\xfF')]).toEqual([0xff]);
    // YAML double quotes already made a real CR: it passes through.
    expect([...parseEscapes('o3\r')]).toEqual([0x6f, 0x33, 0x0d]);
  });

  it('refuses unknown escapes, short \\x, a lone backslash and characters above one byte', () => {
    expect(() => parseEscapes('a\\q')).toThrow(/unknown escape "\\q"/);
    expect(() => parseEscapes('\\x4')).toThrow(EscapeError);
    expect(() => parseEscapes('\\xZZ')).toThrow(/two hex digits/);
    expect(() => parseEscapes('abc\\')).toThrow(/lone/);
    expect(() => parseEscapes('µ€')).toThrow(/not a single byte/);
  });

  it('builds [prefix] command terminator, and shows bytes readably', () => {
    const req = buildRequest({ command: 'o3', prefixByte: 128 + 49, terminator: '\\r' });
    expect([...req]).toEqual([0xb1, 0x6f, 0x33, 0x0d]);
    expect(showBytes(req)).toBe('\\xb1o3\\r');
    expect([...buildRequest({ command: 'flags', terminator: '\r\n' })].slice(-2)).toEqual([0x0d, 0x0a]);
  });

  it('round-trips any byte string written with \\xHH', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = [...bytes].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
        expect([...parseEscapes(text)]).toEqual([...bytes]);
      }),
    );
  });
});

describe('answer framing', () => {
  const cr = terminatorFrameLength(Buffer.from('\r'));
  const crlf = terminatorFrameLength(Buffer.from('\r\n'));

  it('waits for the terminator, then gives the frame length', () => {
    expect(cr(Buffer.from('o3 12.5'))).toBe(0);
    expect(cr(Buffer.from('o3 12.5\r'))).toBe(8);
    expect(cr(Buffer.from('o3 12.5\rflags'))).toBe(8);
    expect(crlf(Buffer.from('o3 1\r'))).toBe(0);
    expect(crlf(Buffer.from('o3 1\r\n'))).toBe(6);
  });

  it('skips CR/LF left over from the previous answer instead of taking an empty frame', () => {
    expect(cr(Buffer.from('\n'))).toBe(0);
    expect(cr(Buffer.from('\no3 1\r'))).toBe(6);
    expect(crlf(Buffer.from('\r\n\r\nflags 0\r\n'))).toBe(13);
    expect(answerText(Buffer.from('\no3 1\r'), Buffer.from('\r'))).toBe('o3 1');
    expect(answerText(Buffer.from('o3 1\r\n'), Buffer.from('\r\n'))).toBe('o3 1');
    expect(answerText(Buffer.from('o3 1\r\n'), Buffer.from('\n'))).toBe('o3 1');
  });

  it('calls endless bytes without a terminator garbage', () => {
    expect(cr(Buffer.alloc(2000, 0x41))).toBe(-1);
    expect(() => terminatorFrameLength(Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('numbers as analyzers write them', () => {
  it.each([
    ['12', 12],
    ['-3.5', -3.5],
    ['+.5', 0.5],
    ['-.5', -0.5],
    ['7.', 7],
    ['1.23E-02', 0.0123],
    ['0.0345E+00', 0.0345],
    ['7349E-3', 7.349],
    ['3.450e+01', 34.5],
    [' 42 ', 42],
  ])('%s -> %d', (text, value) => {
    expect(parseNumber(text)).toBeCloseTo(value, 12);
  });

  it.each(['', '----', 'OVER', 'N/A', '1.2.3', '0x1F', 'Infinity', 'NaN', '1e', 'e5', '1,5', '1e999'])(
    'refuses %j',
    (text) => {
      expect(parseNumber(text)).toBeUndefined();
    },
  );

  it('reads back every number the simulator writes in C-Link style', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (v) => {
        expect(parseNumber(formatValue(v, 'sci'))).toBeCloseTo(Number(v.toExponential(3)), 9);
      }),
    );
  });
});

describe('patterns and checksums', () => {
  it('lists the named groups, not lookbehinds', () => {
    expect(groupNames('^o3 (?<o3>\\S+)(?<=x)(?<!y) (?<unit>\\S+)')).toEqual(['o3', 'unit']);
  });

  it('picks named groups out of a matching answer', () => {
    const m = matchAnswer(
      'o3 3.450E+01 ppb',
      compilePattern('^o3\\s+(?<o3>\\S+)(?:\\s+(?<unit>\\S+))?'),
      'none',
    );
    expect(m).toEqual({ kind: 'ok', fields: { o3: '3.450E+01', unit: 'ppb' } });
    expect(matchAnswer('no 1.0', compilePattern('^o3 (?<o3>\\S+)'), 'none')).toEqual({ kind: 'no-match' });
  });

  it('computes sum8, xor8 and sum16 over the covered bytes', () => {
    const covered = Buffer.from('o3 12.5 ');
    const sum = [...covered].reduce((a, b) => a + b, 0);
    expect(computeChecksum('sum8-hex', covered)).toBe(
      (sum & 0xff).toString(16).toUpperCase().padStart(2, '0'),
    );
    expect(computeChecksum('sum16-hex', covered)).toBe(sum.toString(16).toUpperCase().padStart(4, '0'));
    expect(computeChecksum('xor8-hex', Buffer.from([0x01, 0x03]))).toBe('02');
    expect(computeChecksum('sum8-hex', Buffer.alloc(0))).toBe('00');
  });

  it.each(['sum8-hex', 'xor8-hex', 'sum16-hex'] as const)(
    'verifies %s: the covered text ends where the group starts',
    (kind) => {
      const pattern = compilePattern('^o3 (?<o3>\\S+) (?<checksum>[0-9A-Fa-f]+)$');
      const good = `o3 12.5 ${computeChecksum(kind, Buffer.from('o3 12.5 '))}`;
      expect(matchAnswer(good, pattern, kind)).toMatchObject({ kind: 'ok', fields: { o3: '12.5' } });
      expect(matchAnswer(good.toLowerCase(), pattern, kind).kind).toBe('ok');
      const corrupted = good.replace('12.5', '12.6');
      expect(matchAnswer(corrupted, pattern, kind)).toMatchObject({ kind: 'bad-checksum' });
    },
  );

  it('treats a missing checksum group as no match', () => {
    const pattern = compilePattern('^o3 (?<o3>\\S+)(?: (?<checksum>[0-9A-F]{2}))?$');
    expect(matchAnswer('o3 12.5', pattern, 'sum8-hex')).toEqual({ kind: 'no-match' });
  });
});

describe('status words and rules', () => {
  it('reads hex (with or without 0x) and decimal words', () => {
    expect(parseStatusValue('20000000', 16)).toBe(0x2000_0000);
    expect(parseStatusValue('0x8000000F', 16)).toBe(0x8000_000f);
    expect(parseStatusValue('ffffffff', 16)).toBe(0xffff_ffff);
    expect(parseStatusValue('17', 10)).toBe(17);
    expect(parseStatusValue('1A', 10)).toBeUndefined();
    expect(parseStatusValue('xyz', 16)).toBeUndefined();
    expect(parseStatusValue('', 16)).toBeUndefined();
  });

  it('gives the flag of the first matching rule, else the default', () => {
    const rules = [
      { equals: 0, flag: 'N' as const },
      { mask: 0x2000_0000, flag: 'M' as const },
      { mask: 0x0000_ffff, flag: 'D' as const },
      { mask: 0x8000_0000, flag: 'C' as const },
    ];
    expect(flagForStatus(0, rules, 'T')).toBe('N');
    expect(flagForStatus(0x2000_0004, rules, 'T')).toBe('M');
    expect(flagForStatus(0x0000_0004, rules, 'T')).toBe('D');
    // The top bit stays a positive mask (no 32-bit sign trouble).
    expect(flagForStatus(0x8000_0000, rules, 'T')).toBe('C');
    expect(flagForStatus(0x0100_0000, rules, 'T')).toBe('T');
    expect(flagForStatus(5, [], 'N')).toBe('N');
  });
});

describe('simulator answers', () => {
  it('renders placeholders in C-Link style', () => {
    const values = (name: string) => ({ o3: 34.5, text: '----' })[name];
    expect(render('o3 {o3} ppb', values, 0)).toBe('o3 3.450E+01 ppb');
    expect(render('flags {status}', values, 0x2000_0000)).toBe('flags 20000000');
    expect(render('{o3:fixed2} {text} {missing}', values, 0)).toBe('34.50 ---- {missing}');
    expect(formatValue(0.0345, 'sci')).toBe('3.450E-02');
    expect(formatValue(-1234.5, 'int')).toBe('-1234');
  });
});
