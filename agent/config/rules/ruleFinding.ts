import type { ConfigPath } from '../configErrors.js';

/**
 * What a rule across settings found, before the loader places it in the file. Rules read the raw
 * (profile-merged) data defensively: they run even when other settings failed, so one pass reports
 * everything.
 */
export interface RuleFinding {
  /** An error refuses the file; a warning is shown by `validate` and logged at start, nothing more. */
  severity: 'error' | 'warning';
  path: ConfigPath;
  message: string;
  hint?: string;
  /** A second place the problem involves; the loader adds "(<note> file:line:column)" to the message. */
  related?: RelatedPlace;
}

export interface RelatedPlace {
  path: ConfigPath;
  /** e.g. "first defined at". */
  note: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function idOf(item: unknown): string | undefined {
  return isRecord(item) && typeof item.id === 'string' ? item.id : undefined;
}
