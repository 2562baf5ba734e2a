import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LineCounter, type Node, parseDocument } from 'yaml';
import type { ErrorCode } from '../core/errors.js';
import { type ConfigPath, type ConfigProblem, formatPath, sortProblems } from './configErrors.js';
import { substituteEnv } from './envSubstitution.js';
import { decodeConfigFile } from './fileEncoding.js';
import { type Issue, type IssueReport, markGeneric, reportIssue } from './issueMessages.js';
import { applyMeterLineDefaults } from './meterLineDefaults.js';
import { credentialProblems, resolveCredentialPaths } from './mqttCredentials.js';
import { applyProfiles, openProfileLibrary, type ProfileLibrary } from './profiles.js';
import { configRules, type RelatedPlace } from './rules/configRules.js';
import { referenceProblems } from './rules/referenceProblems.js';
import { type StationConfig, stationConfigSchema } from './schema.js';
import { checkYaml } from './yamlErrors.js';
import { nodeAt, positionOf, sourceOf } from './yamlPositions.js';

/**
 * Reads the station configuration: YAML -> ${ENV} substitution -> schema validation, reporting
 * every problem at once with file:line:column, so a maintainer on site fixes the file in one pass
 * instead of restarting the agent once per typo. Bad input never throws; only bugs do.
 */

export type { ConfigProblem } from './configErrors.js';
export { formatProblems, plural, problemLines } from './configErrors.js';

export type LoadResult =
  | {
      ok: true;
      config: StationConfig;
      /** sha256 hex of the file text, for logs and change detection. */
      hash: string;
      /** Settings that are valid but probably not what was meant (`severity: 'warning'`), in file order. */
      warnings: ConfigProblem[];
    }
  | {
      ok: false;
      /** Every error, and the warnings among them (`severity: 'warning'`), in file order. */
      problems: ConfigProblem[];
      code: Extract<ErrorCode, 'CONFIG_INVALID' | 'CONFIG_UNREADABLE'>;
    };

// Limits YAML alias expansion ("billion laughs"); a station config has no use for more.
const MAX_ALIAS_COUNT = 100;

/** Loads and validates the configuration file at `filePath`. */
export async function loadConfig(
  filePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(filePath);
  } catch (err) {
    return unreadable(filePath, err);
  }
  return loadConfigText(bytes, filePath, env);
}

/** Synchronous `loadConfig`, for start-up paths and CLI commands that have nothing else to do meanwhile. */
export function loadConfigSync(filePath: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(filePath);
  } catch (err) {
    return unreadable(filePath, err);
  }
  return loadConfigText(bytes, filePath, env);
}

export interface LoadOptions {
  /** Where `profile:` names are looked up; default drivers/profiles of the package. */
  profiles?: ProfileLibrary;
}

// Profile files are read on first use, once per process, and only those a config uses.
let defaultLibrary: ProfileLibrary | undefined;

function sharedProfileLibrary(): ProfileLibrary {
  defaultLibrary ??= openProfileLibrary();
  return defaultLibrary;
}

/**
 * Validates configuration text, or a file's bytes (which must be UTF-8: fileEncoding.ts); `fileName`
 * only labels the problems.
 */
export function loadConfigText(
  source: string | Uint8Array,
  fileName: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): LoadResult {
  let text: string;
  if (typeof source === 'string') text = source;
  else {
    const decoded = decodeConfigFile(source, fileName);
    if (!decoded.ok) return invalid([decoded.problem]);
    text = decoded.text;
  }
  try {
    return loadConfigTextUnguarded(text, fileName, env, options);
  } catch (err) {
    // Thousands of nesting levels (a runaway indent, a hostile config/set) overflow the stack in the
    // YAML parser or in the walks after it; the yaml library reports only some of these itself.
    if (!(err instanceof RangeError && /call stack/i.test(err.message))) throw err;
    const message = 'YAML syntax error: the file is nested too deeply to read';
    const hint = 'a station config needs a few levels of nesting; look for runaway brackets or indentation';
    return invalid([{ file: fileName, line: 1, column: 1, path: '', message, hint }]);
  }
}

function loadConfigTextUnguarded(
  fileText: string,
  fileName: string,
  env: NodeJS.ProcessEnv,
  options: LoadOptions,
): LoadResult {
  const hash = createHash('sha256').update(fileText, 'utf8').digest('hex');
  // A UTF-8 byte order mark (Windows editors write one) is not part of the first line's columns.
  const text = fileText.startsWith('\uFEFF') ? fileText.slice(1) : fileText;
  const lineCounter = new LineCounter();
  // merge: `<<: *anchor` lets several identical analyzers share one definition.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const at = (node: Node | undefined, path: ConfigPath, message: string, hint?: string): ConfigProblem => ({
    file: fileName,
    ...positionOf(node, lineCounter),
    path: formatPath(path),
    message,
    ...(hint ? { hint } : {}),
  });

  // After a syntax error the tree is a guess; schema messages about it would only mislead.
  const yaml = checkYaml(doc, text, fileName, lineCounter);
  if (yaml.fatal) return invalid(yaml.problems);

  const envProblems = substituteEnv(doc, env);
  const problems: ConfigProblem[] = [
    ...yaml.problems,
    ...envProblems.map((p) => at(p.node, p.path, p.message, p.hint)),
  ];
  const unresolved = new Set<Node>(envProblems.map((p) => p.node));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // In practice only the alias limit: the alias checks above leave nothing else to fail on.
    const message = /alias count/i.test(errorText(err))
      ? `the file uses YAML aliases (*name) too often: at most ${MAX_ALIAS_COUNT} expansions are allowed`
      : `cannot expand the YAML: ${errorText(err)}`;
    return invalid([...problems, at(undefined, [], message)]);
  }

  // Profiles are merged before validation, so a device using one is validated like any other.
  const profiled = applyProfiles(data, options.profiles ?? sharedProfileLibrary());
  problems.push(...profiled.fileProblems);
  for (const p of profiled.problems) problems.push(at(nodeAt(doc, p.path).node, p.path, p.message, p.hint));
  // A serial bus carrying only meters takes their line defaults (2400 8E1) where it writes none.
  data = applyMeterLineDefaults(profiled.data);

  const parsed = stationConfigSchema.safeParse(data, { error: markGeneric });
  // TLS and password files are relative to the config file, and must be readable now, not at the first connect.
  const config = parsed.success ? resolveCredentialPaths(parsed.data, dirname(fileName)) : undefined;
  for (const p of config ? credentialProblems(config, env) : [])
    problems.push(at(nodeAt(doc, p.path).node, p.path, p.message));

  /** A report about the merged data, placed where it can be fixed; undefined when reported otherwise. */
  const place = (merged: IssueReport, related?: RelatedPlace): ConfigProblem | undefined => {
    const report = profiled.locate(merged);
    if (!report) return undefined;
    const found = nodeAt(doc, report.path);
    // A value still holding an unset ${VAR} is reported once, as the missing variable.
    if (found.node && unresolved.has(found.node)) return undefined;
    const node = report.at === 'key' ? (found.keyNode ?? found.node) : found.node;
    const message = related ? `${report.message} (${related.note} ${whereIs(related.path)})` : report.message;
    return at(node, report.path, message, report.hint);
  };
  const whereIs = (path: ConfigPath): string => {
    const located = profiled.locate({ path, at: 'value', message: '' })?.path ?? path;
    const { line, column } = positionOf(nodeAt(doc, located).node, lineCounter);
    return `${fileName}:${line}:${column}`;
  };
  /** A merged setting's text as written, when it is written in this file. */
  const writtenAt = (path: ConfigPath): string | undefined => {
    const located = profiled.locate({ path, at: 'value', message: '' })?.path;
    // Moved to the device's `profile:` line: the setting is written in the profile, not here.
    if (!located || located.at(-1) !== path.at(-1)) return undefined;
    const found = nodeAt(doc, located);
    return found.exact ? sourceOf(found.node, text) : undefined;
  };

  const warnings: ConfigProblem[] = [];
  for (const finding of configRules(data, writtenAt)) {
    const { severity, path, message, hint, related } = finding;
    const problem = place({ path, at: 'value', message, ...(hint ? { hint } : {}) }, related);
    if (problem && severity === 'warning') warnings.push({ ...problem, severity });
    else if (problem) problems.push(problem);
  }
  if (config && problems.length === 0) return { ok: true, config, hash, warnings: sortProblems(warnings) };

  const ctx = {
    data,
    root: stationConfigSchema,
    sourceAt: (path: ConfigPath) => sourceOf(nodeAt(doc, path).node, text),
  };
  for (const issue of withReferenceIssues(parsed.error?.issues ?? [], data)) {
    const related = relatedOf(issue);
    for (const merged of reportIssue(issue, ctx)) {
      const problem = place(merged, related);
      if (problem) problems.push(problem);
    }
  }
  return invalid([...problems, ...warnings]);
}

/** The second place a cross-reference issue involves (schema.ts passes it as the issue's params). */
function relatedOf(issue: Issue): RelatedPlace | undefined {
  const related = issue.code === 'custom' ? issue.params?.related : undefined;
  return related && typeof related === 'object' ? (related as RelatedPlace) : undefined;
}

/** Adds the cross-reference checks zod skipped (see the note at the schema's superRefine). */
function withReferenceIssues(issues: readonly Issue[], data: unknown): Issue[] {
  const key = (path: readonly PropertyKey[], message: string) => `${formatPath(path)}\u0000${message}`;
  const seen = new Set(issues.map((i) => key(i.path, i.message)));
  const extra = referenceProblems(data)
    .filter((p) => !seen.has(key(p.path, p.message)))
    .map(
      (p): Issue => ({
        code: 'custom',
        path: p.path,
        message: p.message,
        input: undefined,
        ...(p.related ? { params: { related: p.related } } : {}),
      }),
    );
  return [...issues, ...extra];
}

function unreadable(filePath: string, err: unknown): LoadResult {
  const message = `cannot read the file: ${osReason(err)}`;
  return {
    ok: false,
    code: 'CONFIG_UNREADABLE',
    problems: [{ file: filePath, line: 1, column: 1, path: '', message }],
  };
}

function invalid(problems: ConfigProblem[]): LoadResult {
  return { ok: false, code: 'CONFIG_INVALID', problems: sortProblems(problems) };
}

/** "ENOENT: no such file or directory" without the path (the problem line already shows it). */
function osReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.message !== 'string') return String(err);
  return e.message.replace(/, \w+ '.*'$/, '');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
