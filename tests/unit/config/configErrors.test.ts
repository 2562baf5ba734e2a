import { describe, expect, it } from 'vitest';
import {
  type ConfigProblem,
  closestMatches,
  describeValue,
  editDistance,
  formatPath,
  formatProblems,
} from '../../../agent/config/configErrors.js';

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath(['devices', 0, 'channels', 1, 'register', 'type'])).toBe(
      'devices[0].channels[1].register.type',
    );
    expect(formatPath([])).toBe('');
    expect(formatPath(['$schema'])).toBe('$schema');
  });

  it('quotes keys that are not plain names', () => {
    expect(formatPath(['devices', 0, 'status', 'flags', '0'])).toBe('devices[0].status.flags["0"]');
    expect(formatPath(['a b'])).toBe('["a b"]');
  });
});

describe('formatProblems', () => {
  const problems: ConfigProblem[] = [
    {
      file: 'config/station.yaml',
      line: 12,
      column: 17,
      path: 'devices[0].channels[1].register.type',
      message: 'expected one of bool, int16 (got "float")',
      hint: 'did you mean "int16"?',
    },
    {
      file: 'config/station.yaml',
      line: 3,
      column: 1,
      path: '',
      message: 'YAML syntax error: this { is not closed',
    },
  ];

  it('prints file:line:column, the path, the message and hints, sorted, with a summary', () => {
    expect(formatProblems(problems)).toBe(
      [
        'config/station.yaml:3:1  YAML syntax error: this { is not closed',
        'config/station.yaml:12:17  devices[0].channels[1].register.type  expected one of bool, int16 (got "float")',
        '  hint: did you mean "int16"?',
        '2 problems; the agent did not start.',
      ].join('\n'),
    );
  });

  it('says "1 problem" for one', () => {
    expect(formatProblems(problems.slice(1)).split('\n').at(-1)).toBe('1 problem; the agent did not start.');
  });
});

describe('suggestions', () => {
  it('counts a transposition as one edit and ignores case', () => {
    expect(editDistance('inetrval', 'interval')).toBe(1);
    expect(editDistance('Interval', 'interval')).toBe(0);
    expect(editDistance('intervall', 'interval')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests within two edits, all of the best ones', () => {
    expect(closestMatches('topicprefix', ['topicPrefix', 'qos'])).toEqual(['topicPrefix']);
    expect(closestMatches('DCAB', ['ABCD', 'BADC', 'CDAB', 'DCBA'])).toEqual(['CDAB', 'DCBA']);
    expect(closestMatches('colour', ['code', 'unit'])).toEqual([]);
  });

  it('does not suggest a word that shares nothing with a short typo', () => {
    expect(closestMatches('ab', ['id'])).toEqual([]);
  });
});

describe('describeValue', () => {
  it('shows YAML values the way their author wrote them', () => {
    expect(describeValue('float')).toBe('"float"');
    expect(describeValue(300)).toBe('300');
    expect(describeValue(null)).toBe('an empty value');
    expect(describeValue([1])).toBe('a list');
    expect(describeValue({ a: 1 })).toBe('a mapping');
  });
});
