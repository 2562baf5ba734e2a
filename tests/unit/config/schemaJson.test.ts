import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, renderConfigJsonSchema } from '../../../agent/config/jsonSchema.js';

const schemaPath = fileURLToPath(new URL('../../../config/schema.json', import.meta.url));

describe('config/schema.json', () => {
  it('is up to date with agent/config/schema.ts (run `npx tsx scripts/writeSchema.ts` if not)', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(renderConfigJsonSchema());
  });

  it('describes the file, not the parsed result: durations are text, keys are strict', () => {
    const schema = configJsonSchema() as {
      title: string;
      required: string[];
      additionalProperties: boolean;
      properties: { devices: { items: { properties: { interval: { type: string } } } } };
    };
    expect(schema.title).toMatch(/station-agent configuration/);
    expect(schema.required).toEqual(['version', 'station', 'storage']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.devices.items.properties.interval.type).toBe('string');
  });
});
