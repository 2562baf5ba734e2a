import { z } from 'zod';
import { type BusSchemaKit, defaultedDuration, serialLineFields } from '../busSchemas.js';

/**
 * The `buses:` entry of a line another master polls (issue 16): the agent listens on it and never
 * sends (docs/listen.md). Its own type rather than a mode of `serial`, because nothing of a polling
 * bus applies: no timeout of ours, no retries, no pacing workarounds; a strict object refuses them.
 * Devices on it are configured exactly as polled ones (unit, channels' registers, status, profiles).
 */
export function listenBusSchemas<
  Id extends z.ZodType<string>,
  Dur extends z.ZodType<number, string>,
  R extends z.ZodType,
>(kit: BusSchemaKit<Id, Dur, R>) {
  const { id, duration } = kit;
  const durationOr = defaultedDuration(duration);

  const serialListenBusSchema = z
    .strictObject({
      id,
      type: z.literal('serial-listen'),
      ...serialLineFields,
      reconnect: kit.reconnect(),
      answerTimeout: durationOr(10, 60_000, 1000).meta({
        description:
          "How long after a request its answer is still taken for it: at least the slowest slave's answer time (default 1s)",
      }),
      expectedInterval: duration(100, 86_400_000).optional().meta({
        description:
          "The other master's polling interval; default: learned from its requests (median of the last 8 gaps)",
      }),
      silentAfterIntervals: z.number().int().min(1).max(1000).default(3).meta({
        description:
          "A device is reported silent (link lost, error LISTEN_SILENT) after this many of the other master's intervals without an answer covering its registers",
      }),
    })
    .meta({
      description:
        'A Modbus RTU line another master (a data logger) polls: the agent listens and takes its readings from the answers, writing nothing',
    });

  return [serialListenBusSchema] as const;
}
