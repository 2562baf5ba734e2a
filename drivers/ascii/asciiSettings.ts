import type { DataFlag } from '../../agent/core/reading.js';
import type { ChecksumKind } from './asciiResponse.js';
import type { StatusRule } from './asciiStatus.js';

/**
 * The settings an ASCII analyzer is polled with, as the protocol layer needs them: a validated
 * `devices:` entry with an `ascii` block (drivers/ascii/asciiSchema.ts, agent/config/schema.ts) satisfies them,
 * and the compiler checks it where the agent hands its config over (agent/app/createPoller.ts).
 * Declared here so drivers/ needs nothing of the agent's config.
 */

export interface AsciiStatusSettings {
  /** Escaped command text asking for the status word. */
  command: string;
  /** Regex with a named group `value`. */
  pattern: string;
  base: 10 | 16;
  rules: readonly StatusRule[];
  default: DataFlag;
}

export interface AsciiSettings {
  command: string;
  prefixByte?: number | undefined;
  terminator: string;
  /** Answer timeout, ms. */
  timeout: number;
  pattern: string;
  checksum: ChecksumKind;
  status?: AsciiStatusSettings | undefined;
}

export interface AsciiChannelSettings {
  id: string;
  code?: string | null | undefined;
  unit?: string | null | undefined;
  /** The named group of the answer pattern holding this channel's value. */
  field?: string | undefined;
  scale: number;
  offset: number;
}

export interface AsciiDeviceSettings {
  id: string;
  ascii?: AsciiSettings | undefined;
  channels: readonly AsciiChannelSettings[];
}
