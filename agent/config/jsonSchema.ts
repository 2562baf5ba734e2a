import { z } from 'zod';
import { stationConfigSchema } from './schema.js';

/**
 * The JSON Schema of the configuration file, for editors (yaml-language-server reads the
 * `# yaml-language-server: $schema=...` line in config/examples). Generated from the zod schema
 * so the two cannot disagree; a unit test fails when config/schema.json is stale.
 */
export function configJsonSchema(): Record<string, unknown> {
  // io: 'input' describes what the file may contain (durations as text, defaults optional),
  // not the parsed result the agent works with.
  const generated = z.toJSONSchema(stationConfigSchema, { io: 'input', unrepresentable: 'any' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'station-agent configuration, version 1',
    description:
      'Configuration of a station-agent environmental monitoring station: buses, devices (Modbus ' +
      'analyzers and their channels), local storage and uplinks. Durations are text with a unit ' +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's ${ENV_VAR} syntax, quoted for users
      '("500ms", "10s", "5m"); string values may use ${ENV_VAR} or ${ENV_VAR:-default}. ' +
      'Generated from agent/config/schema.ts by scripts/writeSchema.ts: do not edit by hand.',
    ...rest,
  };
}

/** The exact text of config/schema.json (2-space JSON with a final newline). */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
