import { readFileSync } from 'node:fs';

/**
 * Just enough JSON Schema 2020-12 to check our payloads against the published documents in
 * docs/schemas without a validator dependency: type, const, enum, minimum, min/maxLength, pattern,
 * minItems, items, required, properties, additionalProperties: false, $ref (within the document),
 * allOf and if/then. Returns the list of violations ([] = valid).
 */
export type Schema = Record<string, unknown>;

export function loadSchema(name: string): Schema {
  return JSON.parse(readFileSync(new URL(`../../docs/schemas/${name}`, import.meta.url), 'utf8')) as Schema;
}

export function validateAgainst(root: Schema, value: unknown): string[] {
  return check(root, root, value, '$');
}

function check(root: Schema, schema: Schema, value: unknown, path: string): string[] {
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Schema)[key], root) as Schema;
    return check(root, target, value, path);
  }
  const errors: string[] = [];
  const types = schema.type === undefined ? undefined : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((t) => hasType(value, t as string))) {
    return [`${path}: expected ${types.join('|')}, got ${JSON.stringify(value)}`];
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${String(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) {
    errors.push(`${path}: below minimum`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      errors.push(`${path}: too short`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      errors.push(`${path}: too long`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${path}: does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      errors.push(`${path}: too few items`);
    }
    if (schema.items) {
      for (const [i, v] of value.entries())
        errors.push(...check(root, schema.items as Schema, v, `${path}[${i}]`));
    }
  }
  if (isObject(value)) {
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in value)) errors.push(`${path}: missing ${key}`);
    }
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, v] of Object.entries(value)) {
      if (props[key]) errors.push(...check(root, props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
    }
  }
  for (const sub of (schema.allOf as Schema[] | undefined) ?? [])
    errors.push(...check(root, sub, value, path));
  if (schema.if !== undefined && check(root, schema.if as Schema, value, path).length === 0 && schema.then) {
    errors.push(...check(root, schema.then as Schema, value, path));
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return typeof value === type;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
