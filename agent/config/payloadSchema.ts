import { z } from 'zod';
import { PAYLOAD_ENCODINGS } from '../uplink/payloadEncoding.js';

/**
 * `uplinks[].payload` of an MQTT uplink: how readings batches are encoded on the wire
 * (docs/mqtt-contract.md, "Payload encodings"). Kept apart from schema.ts with its encoder.
 */
export const payloadSchema = z
  .strictObject({
    encoding: z
      .enum(PAYLOAD_ENCODINGS)
      .default('json')
      .meta({
        description:
          'Readings batches as JSON (default) or columnar-deflate: columns compressed with DEFLATE, ' +
          'a few bytes per reading instead of ~150 (consumers must decode it, see the MQTT contract)',
      }),
  })
  .meta({ description: 'Encoding of the readings payload on the readings topic' });
