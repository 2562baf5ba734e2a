import { z } from 'zod';

/**
 * The optional `name` of a device or channel: what the station calls it, in any language
 * (总磷分析仪, "TP analyzer"), shown beside the id on the status page and in `station-agent status`.
 * Ids stay the machine keys (topics, HJ 212 data, exports); a name is only for people. Line breaks
 * and other control characters would break a table row, so they are refused.
 */
export function displayName(what: 'device' | 'channel') {
  return z
    .string()
    .regex(/^[^\p{Cc}]{1,64}$/u, {
      message: `expected a ${what} name of 1 to 64 characters on one line, e.g. 总磷分析仪`,
    })
    .optional()
    .meta({
      description: `Name of the ${what} shown beside its id on the status page and in \`station-agent status\` (any language, e.g. 总磷分析仪)`,
    });
}
