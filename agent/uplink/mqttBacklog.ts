import type { MqttUplinkConfig } from '../config/schema.js';
import type { BacklogQueries, Pending } from '../store/backlogQueries.js';
import type { BacklogLine, CursorTable } from './backlogLine.js';

/**
 * The backlog of an MQTT uplink for `station-agent backlog`: per stream (mqttStreams.ts: readings
 * under the uplink id, `<id>#aggregates`, `<id>#events`) the rows after its cursor.
 */
export function mqttBacklogLines(
  uplink: Pick<MqttUplinkConfig, 'id'>,
  q: BacklogQueries,
  cursors: CursorTable,
): BacklogLine[] {
  const { id } = uplink;
  const line = (stream: string, key: string, count: (after: number) => Pending): BacklogLine => {
    const row = cursors.get(key);
    const pending = count(row?.ackedSeq ?? 0);
    return {
      uplink: id,
      type: 'mqtt',
      stream,
      cursorKey: key,
      cursor: row?.ackedSeq ?? null,
      depth: pending.count,
      oldestTs: pending.oldestTs,
      updatedAt: row?.updatedAt ?? null,
    };
  };
  const lines = [line('readings', id, (after) => q.readings({ after }))];
  // The aggregates and events streams exist once the uplink has opened them, or once there is
  // something to send: a station without them is not shown two empty lines per uplink.
  const aggregatesKey = `${id}#aggregates`;
  if (cursors.has(aggregatesKey) || q.hasAggregates()) {
    lines.push(line('aggregates', aggregatesKey, (after) => q.aggregates({ after })));
  }
  const eventsKey = `${id}#events`;
  if (cursors.has(eventsKey) || q.hasEvents()) {
    lines.push(line('events', eventsKey, (after) => q.events({ after })));
  }
  return lines;
}
