import { type Document, isPair, isScalar, isSeq, type Scalar, visit } from 'yaml';
import type { ConfigPath } from './configErrors.js';

/**
 * `${NAME}` references in string values, replaced from the environment so secrets (MQTT password)
 * and per-site values stay out of the file. It runs on the parsed YAML tree, not on the raw text:
 * node positions stay those of the file the maintainer edits, and a value can never inject YAML
 * structure (a password containing ": " stays a password).
 *
 *   ${NAME}           value of NAME; a problem if NAME is not set
 *   ${NAME:-default}  value of NAME, or `default` when NAME is unset or empty (as in POSIX sh)
 *   $${NAME}          the literal text ${NAME}
 */

export interface ExpandResult {
  value: string;
  /** Whether any reference or escape was found, i.e. whether `value` differs in meaning from the input. */
  changed: boolean;
  /** Variables referenced without a default that are not set. */
  missing: string[];
  /** A `${` that is not a well-formed reference, quoted as found. */
  malformed: string[];
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Expands references in one string. Pure: the env is an argument so tests need not touch process.env. */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): ExpandResult {
  let value = '';
  let changed = false;
  const missing: string[] = [];
  const malformed: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      value += '${';
      changed = true;
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      value += text[i];
      i += 1;
      continue;
    }
    changed = true;
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      malformed.push(text.slice(i));
      value += text.slice(i);
      break;
    }
    const ref = REFERENCE.exec(text.slice(i + 2, close));
    if (!ref) {
      malformed.push(text.slice(i, close + 1));
      value += text.slice(i, close + 1);
    } else {
      const [, name, fallback] = ref;
      const set = env[name!];
      if (fallback !== undefined && (set === undefined || set === '')) value += fallback;
      else if (set !== undefined) value += set;
      else {
        missing.push(name!);
        // Keep the reference so later messages quote what the file says.
        value += text.slice(i, close + 1);
      }
    }
    i = close + 1;
  }
  return { value, changed, missing, malformed };
}

export interface EnvProblem {
  node: Scalar;
  /** Setting path of the value, e.g. `uplinks[0].password`. */
  path: ConfigPath;
  message: string;
  hint?: string;
}

/**
 * Expands references in every string value of the document in place and returns the problems.
 * Keys are left alone: a setting's name is part of the contract, not a per-site value.
 *
 * A plain (unquoted) value that reads as a number or true/false after expansion becomes one, as if
 * the text had been written in the file: `port: ${MODBUS_PORT}` works. Quoting the reference
 * (`password: "${MQTT_PASSWORD}"`) keeps it text whatever the variable holds.
 */
export function substituteEnv(doc: Document, env: NodeJS.ProcessEnv): EnvProblem[] {
  const problems: EnvProblem[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const result = expandEnv(node.value, env);
      if (!result.changed) return;
      const path = settingPath(ancestors, node);
      for (const name of new Set(result.missing)) {
        problems.push({
          node,
          path,
          message: `environment variable ${name} is not set`,
          hint: `set ${name} in the agent's environment (e.g. Environment=${name}=... in the systemd unit) or give a default: \${${name}:-value}`,
        });
      }
      for (const bad of result.malformed) {
        problems.push({
          node,
          path,
          message: `malformed environment reference ${JSON.stringify(bad)}: expected \${NAME} or \${NAME:-default}`,
          hint: 'NAME is letters, digits and "_"; write $${ for a literal "${"',
        });
      }
      if (result.missing.length > 0 || result.malformed.length > 0) return;
      node.value = node.type === 'PLAIN' ? resolvePlain(result.value) : result.value;
    },
  });
  return problems;
}

/** The subset of the YAML 1.2 core schema that a setting can use: decimal numbers and booleans. */
function resolvePlain(text: string): string | number | boolean {
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  return text;
}

/** The setting path of a node from the visitor's ancestor chain (Document, maps, pairs, lists). */
function settingPath(ancestors: readonly unknown[], node: unknown): ConfigPath {
  const chain = [...ancestors, node];
  const path: PropertyKey[] = [];
  chain.forEach((step, i) => {
    if (isPair(step)) path.push(isScalar(step.key) ? String(step.key.value) : '?');
    else if (isSeq(step)) path.push(step.items.indexOf(chain[i + 1] as never));
  });
  return path;
}
