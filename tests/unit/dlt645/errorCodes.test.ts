import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DLT645_ERROR_CODES } from '../../../drivers/dlt645/meterErrors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('DL/T 645 error codes', () => {
  it.each(DLT645_ERROR_CODES)('%s is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`| \`${code}\` |`);
  });

  it('documents no code the client does not have', () => {
    const documented = [...doc.matchAll(/^\| `(DLT645_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...DLT645_ERROR_CODES].sort());
  });
});
