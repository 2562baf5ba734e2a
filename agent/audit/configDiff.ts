import { createHmac } from 'node:crypto';
import { REDACT_PATHS } from '../core/log.js';

/**
 * What the audit log stores of a configuration, and how two of them differ.
 *
 * A config is stored redacted: every secret value is replaced by "[redacted]" (and the password of a
 * URL such as mqtt://user:pw@host by the same), so the audit log can be shown to anyone. To still
 * see that a secret changed, including across a restart, the redacted config keeps one fingerprint
 * per secret under the top-level key `$secrets`: the first 16 hex digits of HMAC-SHA256 keyed with
 * the store's db_id. It is not the value, and who can read the database (root, the service user)
 * can read the secrets themselves anyway.
 */

export const REDACTED = '[redacted]';
/** Top-level key of a redacted config holding the secrets' fingerprints, by setting path. */
export const SECRETS_KEY = '$secrets';

/** One changed setting. `before` absent: the setting was added; `after` absent: removed. */
export interface SettingChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** A config as JSON with secrets redacted, plus `$secrets`: fingerprints by setting path. */
export type RedactedConfig = Record<string, unknown> & { [SECRETS_KEY]?: Record<string, string> };

/** Setting names the log redacts (REDACT_PATHS' last segments), and names that end like a secret. */
const SECRET_NAMES = new Set(
  REDACT_PATHS.map((p) => p.split('.').at(-1)!)
    .filter((name) => !name.includes('*') && !name.includes('['))
    .map((name) => name.toLowerCase()),
);
const SECRET_SUFFIX = /(password|secret|key|token)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase()) || SECRET_SUFFIX.test(name);
}

/**
 * The config as the audit log stores it. `salt` keys the fingerprints (the store's db_id), so equal
 * secrets in two stations' logs do not look alike.
 */
export function redactConfig(config: unknown, salt: string): RedactedConfig {
  const secrets: Record<string, string> = {};
  const fingerprint = (path: string, value: string) => {
    secrets[path] = createHmac('sha256', salt).update(value, 'utf8').digest('hex').slice(0, 16);
  };
  const walk = (value: unknown, path: string, name: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`, ''));
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, join(path, k), k);
      return out;
    }
    if (value === null || value === undefined) return value;
    if (isSecretName(name)) {
      fingerprint(path, String(value));
      return REDACTED;
    }
    if (typeof value === 'string') {
      const url = redactUrlPassword(value);
      if (url !== value) fingerprint(path, value);
      return url;
    }
    return value;
  };
  // Through JSON first: what is stored is what JSON keeps (no undefined keys, no functions).
  const plain = JSON.parse(JSON.stringify(config ?? {})) as unknown;
  const tree = walk(plain, '', '') as RedactedConfig;
  if (Object.keys(secrets).length > 0) tree[SECRETS_KEY] = secrets;
  return tree;
}

/** mqtt://user:pw@host → mqtt://user:[redacted]@host; anything else unchanged. */
function redactUrlPassword(text: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):([^/@\s]+)@/i.exec(text);
  return m ? `${m[1]}:${REDACTED}@${text.slice(m[0].length)}` : text;
}

/**
 * The settings that differ between two redacted configs, in config order (before's keys first,
 * then added ones). Arrays compare index by index: `devices[2].channels[0].range.max`. A secret
 * whose redacted text is the same but whose fingerprint differs is listed with "[redacted]" on both
 * sides: it changed, and nothing shows to what.
 */
export function diffConfigs(before: RedactedConfig, after: RedactedConfig): SettingChange[] {
  const changes: SettingChange[] = [];
  const beforeSecrets = before[SECRETS_KEY] ?? {};
  const afterSecrets = after[SECRETS_KEY] ?? {};
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isRecord(a) && isRecord(b)) {
      for (const k of Object.keys(a)) {
        if (path === '' && k === SECRETS_KEY) continue;
        const p = join(path, k);
        if (!(k in b)) changes.push({ path: p, before: a[k] });
        else walk(a[k], b[k], p);
      }
      for (const k of Object.keys(b)) {
        if (path === '' && k === SECRETS_KEY) continue;
        if (!(k in a)) changes.push({ path: join(path, k), after: b[k] });
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const p = `${path}[${i}]`;
        if (i >= b.length) changes.push({ path: p, before: a[i] });
        else if (i >= a.length) changes.push({ path: p, after: b[i] });
        else walk(a[i], b[i], p);
      }
      return;
    }
    const sameText = JSON.stringify(a) === JSON.stringify(b);
    if (!sameText || beforeSecrets[path] !== afterSecrets[path]) changes.push({ path, before: a, after: b });
  };
  walk(before, after, '');
  return changes;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
