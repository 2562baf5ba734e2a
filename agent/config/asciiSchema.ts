import type { z } from 'zod';
import { asciiDeviceBlock } from '../../drivers/ascii/asciiSchema.js';
import { boundedDuration } from './duration.js';

/**
 * The device block of the ascii driver (declared in drivers/ascii/asciiSchema.ts), built with the
 * config's durations. agent/config/schema.ts spreads it into the device's settings: one line per
 * driver with a device block.
 */
export const asciiBlock = asciiDeviceBlock({ duration: boundedDuration });

export type AsciiConfig = NonNullable<z.output<typeof asciiBlock.ascii>>;
export type AsciiStatusConfig = NonNullable<AsciiConfig['status']>;
