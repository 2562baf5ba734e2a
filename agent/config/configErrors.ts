/**
 * Configuration problems as shown to the person editing the file: where (file:line:column and the
 * setting path), what was expected, and optionally a hint. No stack traces: a maintainer on site
 * needs to know which line to fix, not where in the agent the check lives.
 */

export interface ConfigProblem {
  file: string;
  /** 1-based line of the offending node. */
  line: number;
  /** 1-based column of the offending node. */
  column: number;
  /** Setting path such as `devices[0].channels[1].register.type`; empty for file-level problems. */
  path: string;
  /** What was expected (and what was found, when it helps). */
  message: string;
  hint?: string;
  /** Set on a warning: valid, probably not what was meant; shown and logged, never refused. Absent: an error. */
  severity?: 'warning';
}

export type ConfigPath = readonly PropertyKey[];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `['devices', 0, 'register', 'type']` -> `devices[0].register.type`; odd keys are quoted: `flags["0"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Orders problems the way an editor would walk the file; the path breaks ties so output is stable. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}

/**
 * Terminal text for a failed load, e.g.
 * `config/station.yaml:12:17  devices[0].channels[1].register.type  expected one of bool, ... (got "float")`
 * followed by `  hint: ...` lines and a one-line summary. Warnings among the problems are marked
 * `warning` after the position and counted apart. `outcome` ends the list: what the problems caused
 * (a reload keeps the running config instead).
 */
export function formatProblems(
  problems: readonly ConfigProblem[],
  outcome = 'the agent did not start.',
): string {
  const warnings = problems.filter((p) => p.severity === 'warning').length;
  const errors = problems.length - warnings;
  const counts = [plural(errors, 'problem')];
  if (warnings > 0) counts.push(plural(warnings, 'warning'));
  return [...problemLines(problems), `${counts.join(' and ')}; ${outcome}`].join('\n');
}

/** The lines of `formatProblems` without the summary: for warnings of a file that loaded. */
export function problemLines(problems: readonly ConfigProblem[]): string[] {
  const lines: string[] = [];
  for (const p of sortProblems(problems)) {
    const where = `${p.file}:${p.line}:${p.column}${p.severity === 'warning' ? '  warning' : ''}`;
    lines.push(p.path ? `${where}  ${p.path}  ${p.message}` : `${where}  ${p.message}`);
    if (p.hint) lines.push(`  hint: ${p.hint}`);
  }
  return lines;
}

/** "1 warning", "3 problems". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** How a YAML value reads to its author: strings quoted, mappings and lists named, null as "nothing". */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** Whether a value prints as one token, so that "(got ...)" adds information rather than noise. */
export function isScalarValue(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof value);
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transposition), case-insensitive:
 * `intervall`, `Interval` and `inetrval` are all one edit from `interval`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      row[j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The closest candidates within `maxDistance` edits (several when tied), best first. A match must
 * also keep some of the word: "ab" is two edits from "id", but suggesting it would be a guess.
 */
export function closestMatches(word: string, candidates: Iterable<string>, maxDistance = 2): string[] {
  let best: string[] = [];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of new Set(candidates)) {
    const dist = editDistance(word, c);
    if (dist > maxDistance || dist >= Math.min(word.length, c.length) || dist > bestDistance) continue;
    if (dist < bestDistance) best = [];
    best.push(c);
    bestDistance = dist;
  }
  return best;
}

/** `did you mean "CDAB" or "DCBA"?`, or undefined when there is nothing to suggest. */
export function didYouMean(matches: readonly string[]): string | undefined {
  if (matches.length === 0) return undefined;
  return `did you mean ${matches.map((m) => `"${m}"`).join(' or ')}?`;
}
