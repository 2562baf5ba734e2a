/**
 * The editions of HJ 212 this codec speaks, each as the facts in which it differs from the other.
 * Code asks the dialect (`dialectOf(version).allowsEncryption`) instead of comparing version
 * strings, so a third edition is one more object here and the compiler finds what it must answer.
 * This module imports nothing of ours: codes.ts builds the Flag from it.
 */

/** The versions this codec emits. On input any version is accepted (see `versionOfFlag` in codes.ts). */
export type Hj212Version = '2017' | '2025';

export interface Hj212Dialect {
  readonly version: Hj212Version;
  /** How the edition is named in messages: `HJ 212-2025`. */
  readonly title: string;
  /** The value of Flag bits 2–7 that announces the edition. */
  readonly flagVersion: number;
  /** The MN a station may be configured with, and what to say when it is not. */
  readonly mn: { readonly pattern: RegExp; readonly expected: string };
  /**
   * The form the text prescribes for an MN on the wire, checked on received frames (one that does
   * not match is tolerated as `odd-mn`); undefined: any header value of at most 24 characters.
   */
  readonly wireMn: RegExp | undefined;
  /** SM4 encryption of the CP (§6.4.2) exists. */
  readonly allowsEncryption: boolean;
  /** The 9015 heartbeat exists. */
  readonly hasHeartbeat: boolean;
  /** The heartbeat interval when the config sets none; 0: no heartbeat. */
  readonly defaultHeartbeatMs: number;
  /** Re-sent (补传) data is marked `RF=1`; without it a re-send looks like any upload. */
  readonly marksResend: boolean;
  /** CN 1014 (SM4 key exchange) exists; otherwise it is as unknown as any other CN. */
  readonly hasKeyExchange: boolean;
}

/** Characters a header value may not hold (`;`, `,`, `=`, `&`, blanks), up to 24 of them. */
const FREE_MN = /^[^;,=&\s]{1,24}$/;

export const HJ212_2017: Hj212Dialect = Object.freeze({
  version: '2017',
  title: 'HJ 212-2017',
  flagVersion: 1,
  mn: Object.freeze({
    pattern: FREE_MN,
    expected: 'expected an MN of at most 24 characters without blanks or ; , = &',
  }),
  wireMn: undefined,
  allowsEncryption: false,
  hasHeartbeat: false,
  defaultHeartbeatMs: 0,
  marksResend: false,
  hasKeyExchange: false,
});

export const HJ212_2025: Hj212Dialect = Object.freeze({
  version: '2025',
  title: 'HJ 212-2025',
  flagVersion: 2,
  // Configured by hand: either letter case is taken (the platform compares MNs ignoring case).
  mn: Object.freeze({
    pattern: /^[0-9A-Fa-f]{24}$/,
    expected: 'HJ 212-2025 expects the MN the platform assigned: 24 hex digits',
  }),
  // The text: 24 hex digits, "0～9,A～F", assigned by the platform.
  wireMn: /^[0-9A-F]{24}$/,
  allowsEncryption: true,
  hasHeartbeat: true,
  defaultHeartbeatMs: 60_000,
  marksResend: true,
  hasKeyExchange: true,
});

const DIALECTS: Readonly<Record<Hj212Version, Hj212Dialect>> = Object.freeze({
  '2017': HJ212_2017,
  '2025': HJ212_2025,
});

/** Every dialect, oldest first. */
export const HJ212_DIALECTS: readonly Hj212Dialect[] = Object.freeze([HJ212_2017, HJ212_2025]);

export function dialectOf(version: Hj212Version): Hj212Dialect {
  return DIALECTS[version];
}

/** The dialect whose Flag version bits are `bits`; undefined for 2005 (0) and values no text defines. */
export function dialectOfFlagVersion(bits: number): Hj212Dialect | undefined {
  return HJ212_DIALECTS.find((d) => d.flagVersion === bits);
}
