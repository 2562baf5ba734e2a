import { describe, expect, it } from 'vitest';
import { PAGE_DICTIONARY } from '../../../agent/http/page/pageDictionary.js';
import { STATUS_PAGE_HTML } from '../../../agent/http/statusPage.js';

/** The page as assembled from its parts (tests/integration/statusPage.test.ts runs it in Chromium). */
describe('the status page document', () => {
  const script = STATUS_PAGE_HTML.split('<script>')[1]?.split('</script>')[0] ?? '';

  it('has one script, and it parses', () => {
    expect(STATUS_PAGE_HTML.match(/<script>/g)).toHaveLength(1);
    expect(script.length).toBeGreaterThan(1000);
    expect(() => new Function(script)).not.toThrow();
  });

  it('loads nothing from the internet', () => {
    expect(STATUS_PAGE_HTML).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('has every word in both languages, and every word the page asks for', () => {
    expect(Object.keys(PAGE_DICTIONARY.en).sort()).toEqual(Object.keys(PAGE_DICTIONARY.zh).sort());
    const asked = new Set([
      ...[...STATUS_PAGE_HTML.matchAll(/data-t="([^"]+)"/g)].map((m) => m[1]),
      ...[...script.matchAll(/\bt\('([A-Za-z]+)'\)/g)].map((m) => m[1]),
    ]);
    const missing = [...asked].filter((k) => k !== undefined && !(k in PAGE_DICTIONARY.zh));
    expect(missing).toEqual([]);
    expect(asked.size).toBeGreaterThan(20);
  });
});
