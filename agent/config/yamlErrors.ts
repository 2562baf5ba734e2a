import { type Document, type LineCounter, type Node, visit, type YAMLError } from 'yaml';
import type { ConfigProblem } from './configErrors.js';

/**
 * YAML-level problems in the terms of the person editing the file: where the slip is (not where
 * the parser gave up) and what usually causes it.
 */

export interface YamlCheck {
  problems: ConfigProblem[];
  /** Whether the tree cannot be trusted, so validating it would only add misleading messages. */
  fatal: boolean;
}

export function checkYaml(doc: Document, text: string, file: string, lineCounter: LineCounter): YamlCheck {
  const problem = (pos: number, message: string, hint: string | undefined): ConfigProblem => {
    const { line, col } = lineCounter.linePos(pos);
    return { file, line, column: col, path: '', message, ...(hint ? { hint } : {}) };
  };
  const problems = firstPerLine(
    [...doc.errors, ...doc.warnings].map((err) => {
      const unclosed = unclosedBefore(doc, text, err);
      if (unclosed) {
        const seen = lineCounter.linePos(err.pos[0]);
        const message = `YAML syntax error: this ${unclosed.open} is not closed`;
        return problem(
          unclosed.start,
          message,
          `the parser noticed at line ${seen.line}: add the missing ${unclosed.close}`,
        );
      }
      const wording = YAML_MESSAGES[err.code] ?? err.message;
      const message = err.name === 'YAMLWarning' ? `YAML: ${wording}` : `YAML syntax error: ${wording}`;
      return problem(err.pos[0], message, YAML_HINTS[err.code]);
    }),
  );
  if (doc.errors.length > 0) return { problems, fatal: true };

  // The parser accepts `*name` without an anchor; toJS() would later throw without a position.
  let fatal = false;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc)) return;
      fatal = true;
      const message = `YAML syntax error: alias *${node.source} refers to no anchor defined before it`;
      problems.push(problem(node.range?.[0] ?? 0, message, YAML_HINTS.BAD_ALIAS));
    },
  });
  return { problems, fatal };
}

/**
 * For "must ... end with a }" and "missing closing quote" errors, the `{`, `[` or quote left open
 * before the error: the parser notices only later, often lines further down.
 */
function unclosedBefore(
  doc: Document,
  text: string,
  err: YAMLError,
): { start: number; open: string; close: string } | undefined {
  if (err.code !== 'BAD_INDENT' && err.code !== 'MISSING_CHAR') return undefined;
  let found: { start: number; open: string; close: string } | undefined;
  const check = (node: Node, open: string, close: string) => {
    const range = node.range;
    if (!range || range[0] >= err.pos[0]) return;
    const source = text.slice(range[0], range[1]).trimEnd();
    if (source.length > 1 && source.endsWith(close)) return;
    // Keep the last one opened before the error: the innermost unclosed one.
    if (!found || range[0] > found.start) found = { start: range[0], open, close };
  };
  visit(doc, {
    Map(_, node) {
      if (node.flow) check(node, '{', '}');
    },
    Seq(_, node) {
      if (node.flow) check(node, '[', ']');
    },
    Scalar(_, node) {
      if (node.type === 'QUOTE_DOUBLE') check(node, '"', '"');
      if (node.type === 'QUOTE_SINGLE') check(node, "'", "'");
    },
  });
  return found;
}

/** One syntax slip makes the parser stumble over the rest of its line; the first report is the one to fix. */
function firstPerLine(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<number>();
  return problems.filter((p) => !seen.has(p.line) && seen.add(p.line));
}

// The parser's wording, where it addresses programmers rather than the person editing the file.
const YAML_MESSAGES: Partial<Record<YAMLError['code'], string>> = {
  MULTIPLE_DOCS: 'the file contains more than one YAML document',
  // The parser's own guard against deep nesting ("Maximum call stack size exceeded"), said plainly.
  RESOURCE_EXHAUSTION: 'the file is nested too deeply to read',
};

const YAML_HINTS: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: 'check the indentation: entries of one mapping or list start in the same column',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  DUPLICATE_KEY: 'each setting may appear only once in a mapping',
  MULTIPLE_DOCS: 'the file must hold one document: remove the extra "---"',
  RESOURCE_EXHAUSTION:
    'a station config needs a few levels of nesting; look for runaway brackets or indentation',
  MISSING_CHAR: 'a quote or bracket is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation, or put a value that contains ": " in quotes',
  MULTILINE_IMPLICIT_KEY: 'check the indentation; a key and its ":" must be on one line',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's ${ENV_VAR} syntax, quoted for users
  UNEXPECTED_TOKEN: 'put a value containing { } [ ] , or # in quotes (e.g. "${VAR}" inside { ... })',
  BAD_ALIAS: 'an alias (*name) must refer to an anchor (&name) defined earlier',
  TAG_RESOLVE_FAILED: 'remove the !tag; settings need no tags',
};
