import { describe, expect, it } from 'vitest';
import { decodeConfigFile, firstInvalidUtf8 } from '../../../agent/config/fileEncoding.js';

/**
 * The config file's bytes must be UTF-8. Node has no GBK encoder, so GBK text is written as its
 * bytes: 南京 = C4 CF BE A9, 水质站 = CB AE D6 CA D5 BE.
 */

const ascii = (text: string) => [...Buffer.from(text, 'latin1')];
const NANJING_GBK = [0xc4, 0xcf, 0xbe, 0xa9];
const STATION_GBK = [0xcb, 0xae, 0xd6, 0xca, 0xd5, 0xbe];

describe('decodeConfigFile', () => {
  it('UTF-8 text is returned as it is', () => {
    const bytes = Buffer.from('station: { name: 南京水质站 }\n', 'utf8');
    expect(decodeConfigFile(bytes, 'station.yaml')).toEqual({
      ok: true,
      text: 'station: { name: 南京水质站 }\n',
    });
  });

  it('a UTF-8 byte order mark is accepted and kept (the config hash is over the file as written)', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('version: 1\n')]);
    expect(decodeConfigFile(bytes, 'station.yaml')).toEqual({ ok: true, text: '\uFEFFversion: 1\n' });
  });

  it('GBK: an error at the first GBK byte, naming GBK, showing the line read as GBK, and how to convert', () => {
    const bytes = Uint8Array.from([
      ...ascii('version: 1\nstation:\n  name: "'),
      ...NANJING_GBK,
      ...STATION_GBK,
      ...ascii('"\n'),
    ]);
    const result = decodeConfigFile(bytes, '/etc/station-agent/station.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toMatchObject({
      file: '/etc/station-agent/station.yaml',
      line: 3,
      column: 10,
      path: '',
    });
    expect(result.problem.message).toBe(
      'the file is not UTF-8 (byte 0xC4 here): it looks like GBK/GB18030, the default of many Chinese ' +
        'Windows editors; read as GBK, line 3 is: name: "南京水质站"',
    );
    expect(result.problem.hint).toBe(
      'save it as UTF-8: iconv -f GBK -t UTF-8 station.yaml > station.utf8.yaml (then use that file), ' +
        'or in Notepad: File > Save As, Encoding: UTF-8',
    );
  });

  it('the column counts characters, after UTF-8 text and a BOM on the same line', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from('name: 南京 ', 'utf8'), ...NANJING_GBK]);
    const result = decodeConfigFile(bytes, 'x.yaml');
    expect(result.ok ? undefined : [result.problem.line, result.problem.column]).toEqual([1, 10]);
  });

  it('UTF-16 (Notepad\'s "Unicode") is named as such', () => {
    const bytes = Uint8Array.from([0xff, 0xfe, ...Buffer.from('version: 1\n', 'utf16le')]);
    const result = decodeConfigFile(bytes, 'station.yaml');
    expect(result.ok ? undefined : result.problem.message).toContain('UTF-16');
    // Without its byte order mark too: a NUL beside every ASCII character.
    const bare = decodeConfigFile(Buffer.from('version: 1\n', 'utf16le'), 'station.yaml');
    expect(bare.ok ? undefined : bare.problem.message).toContain('UTF-16');
  });

  it('neither UTF-8 nor GBK: the byte, and how to convert', () => {
    const result = decodeConfigFile(Uint8Array.from([...ascii('name: '), 0xff, 0xff]), 'station.yaml');
    expect(result.ok ? undefined : result.problem).toMatchObject({
      line: 1,
      column: 7,
      message: 'the file is not UTF-8 (byte 0xFF here is not part of any UTF-8 character)',
    });
  });
});

describe('firstInvalidUtf8', () => {
  it.each([
    ['ASCII', [0x61, 0x62], undefined],
    ['2, 3 and 4-byte characters', [...Buffer.from('é南😀', 'utf8')], undefined],
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong "/"', [0xc0, 0xaf], 0],
    ['a truncated 3-byte character at the end', [0x61, 0xe5, 0x8d], 1],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80], 0],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['GBK 南', [0x20, 0xc4, 0xcf], 1],
  ])('%s', (_name, bytes, expected) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(expected);
  });

  it('agrees with the WHATWG decoder on every 2-byte sequence', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const bytes = Uint8Array.from([a, b]);
        let valid = true;
        try {
          strict.decode(bytes);
        } catch {
          valid = false;
        }
        expect(firstInvalidUtf8(bytes) === undefined, `${a.toString(16)} ${b.toString(16)}`).toBe(valid);
      }
    }
  });
});
