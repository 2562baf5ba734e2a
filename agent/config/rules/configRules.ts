import type { ConfigPath } from '../configErrors.js';
import { excludeUplinksProblems } from './excludeUplinks.js';
import { facilityDeviceWarnings } from './facilityDevices.js';
import { duplicateCodeProblems } from './hj212Codes.js';
import { listenDeviceWarnings } from './listenDevices.js';
import { meterLineFindings } from './meterLine.js';
import { modiconAddressWarnings } from './modiconAddress.js';
import type { RuleFinding } from './ruleFinding.js';

export type { RelatedPlace, RuleFinding } from './ruleFinding.js';

/**
 * The rules across settings that the schema cannot state: what the loader checks after (and
 * besides) the schema. `sourceAt` gives a value's text as written in the file.
 */
export function configRules(
  data: unknown,
  sourceAt: (path: ConfigPath) => string | undefined,
): RuleFinding[] {
  return [
    ...duplicateCodeProblems(data),
    ...excludeUplinksProblems(data),
    ...modiconAddressWarnings(data, sourceAt),
    ...facilityDeviceWarnings(data),
    ...meterLineFindings(data),
    ...listenDeviceWarnings(data),
  ];
}
