import type { z } from 'zod';
import type { StationConfig, UplinkConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AggregateStore } from '../store/aggregateStore.js';
import type { BacklogQueries } from '../store/backlogQueries.js';
import type { CursorLookup, UplinkBounds } from '../store/confirmedBounds.js';
import type { Outbox } from '../store/outbox.js';
import type { ReadingStore } from '../store/readingStore.js';
import type { UplinkSettingsStore } from '../store/uplinkSettings.js';
import type { BacklogLine, CursorTable } from './backlogLine.js';
import type { Uplink } from './uplink.js';

/** What the composition root gives every uplink it builds. */
export interface UplinkBaseContext {
  station: StationConfig;
  readings: ReadingStore;
  aggregates: AggregateStore;
  cursors: Outbox;
  settings: UplinkSettingsStore;
  clock: Clock;
  log: Logger;
}

/**
 * An uplink type as the agent is built with it: what the rest of the agent needs to know about it
 * without knowing the uplink. Every member is required, so a plugin that leaves one out does not
 * compile (tests/types/uplinkPlugin.typetest.ts checks it), and UplinkPluginList needs one plugin
 * per type of the config's uplink union. The list the agent is built with is app/plugins.ts.
 *
 * `Needs` is what the uplink takes beyond the base context (MQTT: the event store, the birth
 * message, the supervisor's control...). The composition root's context is the base plus the
 * needs of every plugin of the list (UplinkContextOf), so it cannot leave one out.
 */
export interface UplinkPlugin<C extends UplinkConfig, Needs extends object = object> {
  /** The config's `type` the plugin serves. */
  readonly type: C['type'];
  /**
   * The schema of the plugin's `uplinks[]` entry. It lives in agent/config (the config composes the
   * union from it in agent/config/uplinkSchemas.ts without loading uplink code); the plugin names it
   * so the pair cannot drift apart: a schema of another type does not compile.
   */
  readonly schema: z.ZodType<C>;
  /** The stable codes (agent/core/errors.ts) the uplink logs or reports as its lastError; each is documented in docs/errors.md. */
  readonly errorCodes: readonly ErrorCode[];
  /**
   * Up to which reading seq and aggregate aseq this uplink has delivered everything (see
   * store/confirmedBounds.ts): rows at or below may be evicted by the store budget. Leave a table
   * out only when the uplink never sends its rows.
   */
  confirmedBounds(config: C, lookup: CursorLookup): UplinkBounds;
  /**
   * What `station-agent backlog` shows for this uplink: per stream, the rows not yet delivered,
   * computed from the store alone (read-only, beside the running agent). Read each cursor through
   * `cursors.get` so the report knows it is interpreted.
   */
  backlogLines(config: C, queries: BacklogQueries, cursors: CursorTable): BacklogLine[];
  /** Builds the uplink for one `uplinks` entry; `ctx.log` is already the uplink's child logger. */
  create(config: C, ctx: UplinkBaseContext & Needs): Uplink;
}

/** One plugin per uplink type of the config, keyed by type. */
export type UplinkPluginList = {
  readonly [K in UplinkConfig['type']]: UplinkPlugin<Extract<UplinkConfig, { type: K }>>;
};

/**
 * The context that satisfies every plugin of a list: the intersection of what their `create`
 * takes (a union of functions infers its parameter as the intersection).
 */
export type UplinkContextOf<L extends UplinkPluginList> = {
  [K in keyof UplinkPluginList]: (ctx: Parameters<L[K]['create']>[1]) => void;
}[keyof UplinkPluginList] extends (ctx: infer X) => void
  ? X
  : never;
