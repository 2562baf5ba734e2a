import { z } from 'zod';

/** Byte sizes in the config (`storage.maxSize`, `uplinks[].batch.maxBytes`): a number of bytes or a text with a unit. */

const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)$/;

/** Parses `64KB`, `500MB`, `2GB` (powers of 1024) to bytes; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_BYTES[m[2]!]!);
}

/** Bytes in the largest unit that divides them: 131072 → "128KB", 1500 → "1500B". */
export function formatSize(bytes: number): string {
  for (const unit of ['TB', 'GB', 'MB', 'KB'] as const) {
    const size = UNIT_BYTES[unit]!;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** A byte size with bounds: a string with a unit or a plain number of bytes. */
export function boundedSize(minBytes: number, maxBytes: number) {
  return z
    .union([
      z.number().int().nonnegative(),
      z.string().regex(SIZE_RE, { message: 'expected a size such as "64KB", "500MB" or "2GB", or bytes' }),
    ])
    .transform((v) => (typeof v === 'number' ? v : parseSize(v)!))
    .refine((b) => b >= minBytes && b <= maxBytes, {
      message: `expected a size between ${formatSize(minBytes)} and ${formatSize(maxBytes)}`,
    })
    .meta({ description: 'Size in bytes, or with a unit: KB, MB, GB, TB (powers of 1024), e.g. "500MB"' });
}
