import { z } from 'zod';

/**
 * TLS and credentials of an MQTT uplink (issue 8), kept apart from schema.ts so the secrets an
 * uplink holds are reviewed in one place. File paths are resolved against the config file's folder
 * by the loader (mqttCredentials.ts), which also checks at load time that every file is readable
 * and every referenced variable set, so a station never starts with an uplink that cannot log in.
 */

const filePath = (what: string) =>
  z
    .string()
    .min(1)
    .meta({ description: `${what}; a relative path is taken from the config file's folder` });

export const mqttTlsSchema = z
  .strictObject({
    ca: filePath(
      "PEM file of the CA certificate(s) the broker's certificate must chain to; default: Node's bundled public CAs",
    ).optional(),
    cert: filePath('PEM file of the station client certificate (with key)').optional(),
    key: filePath('PEM file of the unencrypted private key of cert (readable by the agent only)').optional(),
    servername: z.string().min(1).optional().meta({
      description:
        'Name the broker certificate must carry (SNI and hostname check); default: the host of url',
    }),
  })
  .meta({
    description:
      'TLS for an mqtts:// url. The broker certificate is always verified; files are read again on every connect, ' +
      'so renewed certificates apply from the next reconnect',
  });

/** Spread into the MQTT uplink's object: the user name and at most one source of the password. */
export const mqttCredentialFields = {
  username: z.string().optional(),
  password: z.string().optional().meta({
    description: 'Inline password (discouraged: prefer passwordFile or passwordEnv)',
  }),
  passwordFile: filePath('File holding the password (a trailing newline is ignored)').optional(),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      message: 'expected an environment variable name, e.g. MQTT_PASSWORD',
    })
    .optional()
    .meta({ description: 'Name of the environment variable holding the password, e.g. MQTT_PASSWORD' }),
  tls: mqttTlsSchema.optional(),
};

export const PASSWORD_SOURCES = ['password', 'passwordFile', 'passwordEnv'] as const;

interface SecuritySettings {
  url?: unknown;
  username?: unknown;
  password?: unknown;
  passwordFile?: unknown;
  passwordEnv?: unknown;
  tls?: unknown;
}

/** Cross-setting rules; reads the raw value defensively (called from a superRefine on partial data). */
export function mqttSecurityProblems(u: SecuritySettings): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const given = PASSWORD_SOURCES.filter((k) => u[k] !== undefined);
  if (given.length > 1) {
    problems.push({
      path: [given[1] as string],
      message: `give the password once: ${given.join(' and ')} are both set (use one of ${PASSWORD_SOURCES.join(', ')})`,
    });
  }
  // mosquitto (and MQTT 3.1.1) ignore a password sent without a user name: the login would fail
  // with "not authorised" and nothing pointing at the cause.
  if (given.length > 0 && u.username === undefined) {
    problems.push({
      path: ['username'],
      message: `${given[0]} is set without username: a broker ignores a password without a user name`,
    });
  }
  const tls = typeof u.tls === 'object' && u.tls !== null ? (u.tls as Record<string, unknown>) : undefined;
  if (tls !== undefined && typeof u.url === 'string' && !u.url.startsWith('mqtts://')) {
    problems.push({ path: ['tls'], message: 'tls needs an mqtts:// url (this url is plain mqtt://)' });
  }
  if (tls !== undefined && (tls.cert === undefined) !== (tls.key === undefined)) {
    const missing = tls.cert === undefined ? 'cert' : 'key';
    problems.push({
      path: ['tls', missing],
      message: 'a client certificate needs both tls.cert and tls.key',
    });
  }
  return problems;
}

export type MqttTlsConfig = z.output<typeof mqttTlsSchema>;

/**
 * The superRefine arguments for the uplink object. `when`: also on otherwise invalid data, so these
 * problems are reported in the same pass as the others.
 */
export const mqttSecurityCheck = [
  (u: SecuritySettings, ctx: z.RefinementCtx) => {
    for (const p of mqttSecurityProblems(u))
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  },
  {
    when: (payload: { value: unknown }) =>
      typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
  },
] as const;
