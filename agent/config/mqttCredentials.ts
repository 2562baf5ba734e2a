import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { MqttUplinkConfig, StationConfig } from './schema.js';

/**
 * The secrets of an MQTT uplink, read from where the config points: the TLS files and the password
 * (inline, passwordFile or passwordEnv). The loader calls it once to refuse a config whose files are
 * missing or broken (with the setting's path); the uplink calls it on every connect, so a renewed
 * certificate or a rotated password applies from the next reconnect without a reload.
 * Nothing here puts a secret into a message: problems name the setting and the OS/OpenSSL reason only.
 */

export interface MqttCredentials {
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

export interface CredentialProblem {
  /** Path below the uplink, e.g. ['tls', 'ca']. */
  path: string[];
  message: string;
}

export type CredentialsResult =
  | { ok: true; credentials: MqttCredentials }
  | { ok: false; problems: CredentialProblem[] };

export interface CredentialSources {
  env: NodeJS.ProcessEnv;
  readFile?: (path: string) => Buffer;
}

type Security = Pick<MqttUplinkConfig, 'username' | 'password' | 'passwordFile' | 'passwordEnv' | 'tls'>;

export function readMqttCredentials(u: Security, sources: CredentialSources): CredentialsResult {
  const read = sources.readFile ?? readFileSync;
  const problems: CredentialProblem[] = [];
  const file = (path: string[], name: string): Buffer | undefined => {
    try {
      return read(name);
    } catch (err) {
      problems.push({ path, message: `cannot read ${name}: ${osReason(err)}` });
      return undefined;
    }
  };
  const credentials: MqttCredentials = {};
  if (u.username !== undefined) credentials.username = u.username;
  const password = readPassword(u, sources.env, file, problems);
  if (password !== undefined) credentials.password = password;
  const tls = u.tls;
  if (tls !== undefined) {
    if (tls.servername !== undefined) credentials.servername = tls.servername;
    if (tls.ca !== undefined) {
      const ca = file(['tls', 'ca'], tls.ca);
      if (ca !== undefined && checkCa(ca, problems)) credentials.ca = ca;
    }
    if (tls.cert !== undefined && tls.key !== undefined) {
      const cert = file(['tls', 'cert'], tls.cert);
      const key = file(['tls', 'key'], tls.key);
      if (cert !== undefined && key !== undefined && checkPair(cert, key, problems)) {
        credentials.cert = cert;
        credentials.key = key;
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, credentials };
}

function readPassword(
  u: Security,
  env: NodeJS.ProcessEnv,
  file: (path: string[], name: string) => Buffer | undefined,
  problems: CredentialProblem[],
): string | undefined {
  if (u.password !== undefined) return u.password;
  if (u.passwordEnv !== undefined) {
    const value = env[u.passwordEnv];
    if (value === undefined || value === '') {
      problems.push({
        path: ['passwordEnv'],
        message: `the environment variable ${u.passwordEnv} is not set`,
      });
      return undefined;
    }
    return value;
  }
  if (u.passwordFile !== undefined) {
    const buf = file(['passwordFile'], u.passwordFile);
    if (buf === undefined) return undefined;
    // Editors and `echo` end the file with a newline that is not part of the password.
    const value = buf.toString('utf8').replace(/(\r?\n)+$/, '');
    if (value === '') {
      problems.push({ path: ['passwordFile'], message: `${u.passwordFile} is empty` });
      return undefined;
    }
    return value;
  }
  return undefined;
}

/** Node accepts a CA file without any certificate in it and then trusts nothing; say so instead. */
function checkCa(ca: Buffer, problems: CredentialProblem[]): boolean {
  try {
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in the file');
    new X509Certificate(ca);
    createSecureContext({ ca });
    return true;
  } catch (err) {
    problems.push({ path: ['tls', 'ca'], message: `not a usable PEM CA certificate: ${errorText(err)}` });
    return false;
  }
}

/** The certificate and key parse and belong together (OpenSSL's own check, as at connect time). */
function checkPair(cert: Buffer, key: Buffer, problems: CredentialProblem[]): boolean {
  try {
    createSecureContext({ cert, key });
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') {
      problems.push({
        path: ['tls', 'key'],
        message: 'the key does not belong to the certificate in tls.cert',
      });
    } else if (!keyParses(key)) {
      problems.push({
        path: ['tls', 'key'],
        message: `not a usable unencrypted PEM private key: ${errorText(err)}`,
      });
    } else {
      problems.push({ path: ['tls', 'cert'], message: `not a usable PEM certificate: ${errorText(err)}` });
    }
    return false;
  }
}

function keyParses(key: Buffer): boolean {
  try {
    createSecureContext({ key });
    return true;
  } catch {
    return false;
  }
}

/** The config with the relative TLS and password file paths of MQTT uplinks taken from `baseDir`. */
export function resolveCredentialPaths(config: StationConfig, baseDir: string): StationConfig {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const uplinks = config.uplinks.map((u) => {
    if (u.type !== 'mqtt') return u;
    const out = { ...u };
    if (u.passwordFile !== undefined) out.passwordFile = abs(u.passwordFile);
    if (u.tls !== undefined) {
      const tls = { ...u.tls };
      for (const k of ['ca', 'cert', 'key'] as const) if (tls[k] !== undefined) tls[k] = abs(tls[k]);
      out.tls = tls;
    }
    return out;
  });
  return { ...config, uplinks };
}

/**
 * Load-time check of every MQTT uplink: files readable and well-formed, variables set. Paths are
 * from the config root (['uplinks', 0, 'tls', 'ca']) so the loader can point at the line.
 */
export function credentialProblems(
  config: StationConfig,
  env: NodeJS.ProcessEnv,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  config.uplinks.forEach((u, i) => {
    if (u.type !== 'mqtt') return;
    const r = readMqttCredentials(u, { env });
    if (!r.ok)
      for (const p of r.problems) problems.push({ path: ['uplinks', i, ...p.path], message: p.message });
  });
  return problems;
}

/** "ENOENT: no such file or directory" without the path (the message names it once). */
function osReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.message !== 'string') return String(err);
  return e.message.replace(/, \w+ '.*'$/, '');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
