import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument, visit } from 'yaml';
import type { ConfigOrigin } from '../audit/configAudit.js';
import { logConfigWarnings } from '../config/configWarnings.js';
import { formatProblems, type LoadResult, loadConfigText } from '../config/load.js';
import type { StationConfig } from '../config/schema.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { type Logger, setLogLevel } from '../core/log.js';
import { type AgentMetrics, createAgentMetrics } from '../http/metrics.js';
import { type OperationsStatus, operationsStatus } from '../http/statusReport.js';
import { StatusServer } from '../http/statusServer.js';
import { channelTrend, type TrendAnswer, type TrendQuery } from '../http/trendReport.js';
import type { AgentControl, CommandResult, ControlEvent } from '../uplink/agentControl.js';
import type { AcquisitionProgress } from './selfWatchdog.js';
import { StationAgent } from './stationAgent.js';

/**
 * The process-level owner of the StationAgent: the config file, the running agent, and reloads.
 * Remote commands reach it through AgentControl. A reload stops the agent and builds a new one from
 * the new file (the SQLite store keeps every reading and cursor across it); a config that leaves
 * every device failing for `reload.rollbackAfter` is rolled back by itself.
 */

export interface AgentSupervisorDeps {
  configPath: string;
  clock: Clock;
  /** The root logger: `log-level` changes it and every logger derived from it. */
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Whether to run the status server of `http:` (tests of the supervisor alone leave it off). */
  http?: boolean;
  /** A statement met a damaged database file at run time: `run` exits (storeCorruptExit.ts). */
  onStoreCorrupt?: (err: Error) => void;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** Keys whose values config/get never shows. */
const SECRET_KEY = /^(password|pw|key|token)$|(password|secret|key|token)$/i;

export class AgentSupervisor implements AgentControl {
  private readonly deps: AgentSupervisorDeps;
  private agent: StationAgent | null = null;
  private events: ControlEvent[] = [];
  private watch: TimerHandle | null = null;
  /** Reloads and rollbacks run one after the other, never interleaved. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** One registry for the process: counters keep counting across reloads. */
  readonly metrics: AgentMetrics;
  private server: StatusServer | null = null;
  private serverConfig = '';

  constructor(deps: AgentSupervisorDeps) {
    this.deps = deps;
    this.metrics = createAgentMetrics(() => this.operationsStatus());
  }

  get backupPath(): string {
    return `${this.deps.configPath}.previous`;
  }

  /** Starts an agent from an already loaded config (runCommand reports load problems itself). */
  start(config: StationConfig, hash: string): void {
    this.agent = this.build(config, hash);
    this.agent.start();
    this.queue = this.queue.then(() => this.applyHttp(config));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWatch();
    await this.queue;
    await this.server?.stop();
    this.server = null;
    await this.agent?.stop();
    this.agent = null;
  }

  /** What the status server and `station-agent status` show; null while no agent runs. */
  operationsStatus(): OperationsStatus | null {
    if (!this.agent) return null;
    try {
      return operationsStatus(this.agent, this.deps.clock.now());
    } catch (err) {
      // A reload stops the agent (closing its database) a moment before it is replaced: a request in
      // that moment gets "not running", never an exception in the server.
      this.deps.log.debug({ err }, 'status unavailable');
      return null;
    }
  }

  /** One channel's chart data for /api/trend; null while no agent runs (as operationsStatus). */
  channelTrend(query: TrendQuery): TrendAnswer | null {
    if (!this.agent) return null;
    try {
      return channelTrend(this.agent, query, this.deps.clock.now());
    } catch (err) {
      this.deps.log.debug({ err }, 'trend unavailable');
      return null;
    }
  }

  /**
   * SIGHUP: re-reads the config file and applies it through the same path as config/set (without
   * the automatic rollback: there is no previous file to go back to). An invalid file is rejected
   * with the loader's file:line:column problems and the running config keeps going. `origin` says
   * for the audit log who asked: a bare SIGHUP is 'reload', `station-agent reload` is 'cli'.
   */
  reloadFromFile(origin: ConfigOrigin = { source: 'reload' }): void {
    const { configPath, log } = this.deps;
    let bytes: Buffer;
    try {
      // Bytes: the loader checks they are UTF-8 (a GBK file is refused, not loaded garbled).
      bytes = readFileSync(configPath);
    } catch (err) {
      log.error(
        { code: 'CONFIG_UNREADABLE', err },
        'reload: config file unreadable; keeping the running config',
      );
      return;
    }
    const result = this.load(bytes);
    if (!result.ok) {
      // The problems in the message itself: a TTY (pino-pretty) and journald both show them whole.
      const problems = formatProblems(result.problems, 'the running config keeps going.');
      log.error({ code: 'CONFIG_INVALID' }, `reload: config rejected\n${problems}`);
      return;
    }
    log.info({ hash: result.hash }, 'reload: applying the config file');
    this.enqueue(() => this.reload(false, origin));
  }

  /** Starts, or restarts when `http:` changed, the status server; it outlives agent reloads. */
  private async applyHttp(config: StationConfig): Promise<void> {
    if (this.deps.http === false || this.stopped) return;
    const key = JSON.stringify(config.http);
    if (this.server && key === this.serverConfig) return;
    await this.server?.stop();
    this.serverConfig = key;
    this.server = new StatusServer({
      config: config.http,
      currentStatus: () => this.operationsStatus(),
      channelTrend: (query) => this.channelTrend(query),
      metrics: this.metrics,
      log: this.deps.log.child({ component: 'http' }),
    });
    await this.server.start();
  }

  /** What the self-watchdog (selfWatchdog.ts) watches; null while no agent runs (during a reload). */
  acquisitionProgress(): AcquisitionProgress | null {
    if (!this.agent) return null;
    let completed = 0;
    const polled = new Set<string>();
    try {
      // Only polled devices: a pushed one (a data logger's uploads) is silent when its sender is,
      // which is its link's state (shown on the device), not the agent's stall.
      for (const d of this.agent.status().devices) {
        if (d.pushed) continue;
        completed += d.polls;
        polled.add(d.id);
      }
    } catch {
      return null; // stopped a moment before being replaced (see operationsStatus)
    }
    const devices = this.agent.config.devices.filter((d) => d.enabled && polled.has(d.id));
    return {
      completed,
      devices: devices.length,
      longestIntervalMs: devices.reduce((max, d) => Math.max(max, d.interval), 0),
    };
  }

  /** Resolves once every reload requested so far has finished (tests). */
  settled(): Promise<void> {
    return this.queue;
  }

  status(): unknown {
    return this.agent?.status() ?? null;
  }

  getConfig(): CommandResult {
    const text = readFileSync(this.deps.configPath, 'utf8');
    return { status: 200, message: 'ok', data: { yaml: redact(text), hash: this.agent?.configHash ?? null } };
  }

  setConfig(text: string, actor?: string): CommandResult {
    const result = this.load(text);
    if (!result.ok) {
      return {
        status: 400,
        message: formatProblems(result.problems),
        data: { problems: result.problems },
      };
    }
    const { configPath, log } = this.deps;
    copyFileSync(configPath, this.backupPath);
    writeAtomically(configPath, text);
    log.info({ hash: result.hash }, 'config/set: new config written; reloading');
    return {
      status: 200,
      message: 'config accepted; applying',
      data: { hash: result.hash },
      after: () => this.enqueue(() => this.reload(true, { source: 'remote', ...(actor ? { actor } : {}) })),
    };
  }

  rollback(actor?: string): CommandResult {
    if (!existsSync(this.backupPath)) return { status: 409, message: 'no previous config to roll back to' };
    return {
      status: 200,
      message: 'rolling back to the previous config',
      after: () => this.enqueue(() => this.restorePrevious('requested by config/rollback', false, actor)),
    };
  }

  setLogLevel(level: string): CommandResult {
    if (!LOG_LEVELS.includes(level))
      return { status: 400, message: `expected a level: ${LOG_LEVELS.join(', ')}` };
    setLogLevel(this.deps.log, level);
    this.deps.log.info({ level }, 'log level changed');
    return { status: 200, message: `log level ${level}` };
  }

  takeEvents(): ControlEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private build(config: StationConfig, hash: string, origin?: ConfigOrigin): StationAgent {
    const { clock, log } = this.deps;
    return new StationAgent({
      config,
      configHash: hash,
      ...(origin ? { origin } : {}),
      clock,
      log,
      control: this,
      metrics: this.metrics.sink,
      ...(this.deps.onStoreCorrupt ? { onStoreCorrupt: this.deps.onStoreCorrupt } : {}),
    });
  }

  private load(source: string | Uint8Array): LoadResult {
    return loadConfigText(source, this.deps.configPath, this.deps.env ?? process.env);
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.deps.log.error({ err }, 'reload failed');
    });
  }

  /** Stops the agent and starts one from the file; with `watch`, rolls back if every device fails. */
  private async reload(watch: boolean, origin: ConfigOrigin): Promise<void> {
    if (this.stopped) return;
    this.cancelWatch();
    const result = this.load(readFileSync(this.deps.configPath));
    if (!result.ok) throw new Error(`config file no longer valid: ${formatProblems(result.problems)}`);
    logConfigWarnings(this.deps.log, result.warnings);
    await this.agent?.stop();
    this.agent = null;
    try {
      this.agent = this.build(result.config, result.hash, origin);
      this.agent.start();
    } catch (err) {
      // e.g. a storage path that cannot be opened: no agent at all is the worst outcome, so go back.
      this.deps.log.error({ err }, 'the new config could not start');
      if (watch) await this.restorePrevious(`the new config could not start: ${String(err)}`, true);
      return;
    }
    await this.applyHttp(result.config);
    if (watch) this.watchDevices(result.config.reload.rollbackAfter);
  }

  /**
   * Copies the backup over the config file and reloads it; `automatic` reports it as an event. The
   * audit log's actor is who asked, or the reason for an automatic rollback.
   */
  private async restorePrevious(reason: string, automatic: boolean, actor?: string): Promise<void> {
    const { configPath, log, clock } = this.deps;
    const rejected = readFileSync(configPath, 'utf8');
    writeFileSync(`${configPath}.rejected`, rejected);
    copyFileSync(this.backupPath, configPath);
    log.warn({ code: automatic ? 'CONFIG_ROLLED_BACK' : undefined, reason }, 'config rolled back');
    await this.reload(false, {
      source: 'rollback',
      actor: actor ?? (automatic ? `automatic: ${reason}` : reason),
    });
    this.events.push({
      event: 'config/rollback',
      ts: new Date(clock.now()).toISOString(),
      automatic,
      reason,
      hash: this.agent?.configHash ?? null,
    });
  }

  /**
   * Accepts the new config at the first successful poll of any device since the reload; rolls back
   * when none has succeeded after `rollbackAfter`. A station with no device has nothing to watch.
   */
  private watchDevices(rollbackAfter: number): void {
    const { clock, log } = this.deps;
    const since = clock.now();
    const check = () => {
      this.watch = null;
      const devices = this.agent?.status().devices ?? [];
      if (devices.length === 0 || devices.some((d) => d.lastOkAt !== null && d.lastOkAt >= since)) {
        log.info('new config accepted: a device answers');
        return;
      }
      if (clock.now() - since >= rollbackAfter) {
        const reason = `every device failing for ${Math.round(rollbackAfter / 1000)} s after config/set`;
        this.enqueue(() => this.restorePrevious(reason, true));
        return;
      }
      this.watch = clock.setTimeout(check, Math.min(1000, rollbackAfter));
    };
    this.watch = clock.setTimeout(check, Math.min(1000, rollbackAfter));
  }

  private cancelWatch(): void {
    if (this.watch !== null) this.deps.clock.clearTimeout(this.watch);
    this.watch = null;
  }
}

/** Write then rename: a power cut leaves the old or the new file, never half of one. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The YAML text with secret values replaced; comments and layout kept. */
export function redact(text: string): string {
  const doc = parseDocument(text);
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && SECRET_KEY.test(String(pair.key.value)) && !isMap(pair.value)) {
        pair.value = doc.createNode('[redacted]');
      }
    },
  });
  return doc.toString();
}
