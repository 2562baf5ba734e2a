import type { Sm4Setting } from './sm4Layout.js';

/** What both directions of one link agree on: encryption, and which CNs it applies to. */
export interface CodecOptions {
  /** HJ 212-2025 SM4 key and the layout frames are sent in; absent = plaintext. */
  sm4?: Sm4Setting;
  /** CNs whose CP is encrypted when sm4 is set. Default: 2000–2999, 1014, 3020 (`isEncryptedCn`). */
  encrypts?: (cn: string) => boolean;
}
