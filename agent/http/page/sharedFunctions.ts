import { eventSentence } from './eventSentences.js';
import {
  formatAxisTime,
  formatDuration,
  formatStationTime,
  stationTimeParts,
  utcOffsetLabel,
} from './stationTime.js';
import { nameLabel, uplinkStateText, valueText } from './statusText.js';

/**
 * The functions the status page shares with the agent: written and unit-tested once in TypeScript,
 * and copied into the page's script by their source text (Function.prototype.toString of the
 * compiled function), so the browser runs exactly the tested code without a bundler or a second
 * request. The price: each must be self-contained (its parameters, built-ins, and the other
 * functions of this list by name); tests/unit/http/pageText.test.ts runs the copies on their own.
 */
export const SHARED_FUNCTIONS = [
  stationTimeParts,
  formatStationTime,
  formatAxisTime,
  utcOffsetLabel,
  formatDuration,
  eventSentence,
  uplinkStateText,
  valueText,
  nameLabel,
] as const;

/** The source of the shared functions, as declarations for the page's script. */
export function sharedFunctionsSource(): string {
  return SHARED_FUNCTIONS.map((fn) => fn.toString()).join('\n\n');
}
