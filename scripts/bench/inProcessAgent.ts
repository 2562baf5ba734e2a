import { stringify } from 'yaml';
import { StationAgent } from '../../agent/app/stationAgent.js';
import { formatProblems, loadConfigText } from '../../agent/config/load.js';
import type { StationConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { noMetrics } from '../../agent/core/metricsSink.js';
import { noAgentControl } from '../../agent/uplink/agentControl.js';
import { createDevicePoller } from '../../drivers/modbus/devicePoller.js';

/**
 * The agent's own composition root (StationAgent: buses, pollers, quality checks, SQLite store,
 * aggregator, MQTT uplink) run inside the bench process, so its counters can be read directly.
 *
 * "Back to back": the schema's floor for a device interval is 100 ms, a safety floor for real
 * analyzers. The benchmarks want the pipeline's ceiling instead, so after validation each device's
 * interval is set to 1 ms: the scheduler then starts the next poll about 1 ms after the previous one
 * ends, and with 8 devices sharing one FIFO bus there is always a request waiting. Nothing else of
 * the validated config is changed, and no production code knows it is being benchmarked.
 */

export interface PipelineCounts {
  /** Wall time of the measured window. */
  elapsedMs: number;
  /** Polls finished in the window (all devices). */
  polls: number;
  failures: number;
  /** Requests put on the bus in the window: polls × each device's planned requests. */
  transactions: number;
  /** Readings the MQTT uplink got confirmed (PUBACK) in the window. */
  confirmed: number;
  /** Readings not yet confirmed when the window closed. */
  backlogAtEnd: number;
}

/** Validates a config object exactly as `station-agent run` validates its file. */
export function validConfig(raw: Record<string, unknown>): StationConfig {
  const loaded = loadConfigText(stringify(raw), 'bench-config.yaml', {});
  if (!loaded.ok) throw new Error(`bench config is invalid:\n${formatProblems(loaded.problems)}`);
  return loaded.config;
}

/** Requests per poll of each device, from the agent's own planner. */
export function plannedRequests(config: StationConfig): Map<string, number> {
  const out = new Map<string, number>();
  const noBus = { read: () => Promise.reject(new Error('planning only')) };
  for (const device of config.devices) {
    const poller = createDevicePoller({ device, bus: noBus, clock: systemClock, log: silentLogger() });
    out.set(device.id, poller.plan.length);
  }
  return out;
}

/**
 * Starts the agent with every device polling back to back, waits `warmupMs` (connect, first polls,
 * MQTT session), counts what happens in the next `windowMs`, then stops it cleanly.
 */
export async function measurePipeline(
  raw: Record<string, unknown>,
  windowMs: number,
  warmupMs: number,
): Promise<PipelineCounts> {
  const config = validConfig(raw);
  const plan = plannedRequests(config);
  for (const device of config.devices) device.interval = 1;
  const agent = new StationAgent({
    config,
    configHash: 'bench',
    clock: systemClock,
    log: silentLogger(),
    control: noAgentControl,
    metrics: noMetrics,
  });
  agent.start();
  try {
    await sleep(warmupMs);
    const before = snapshot(agent, plan);
    const t0 = performance.now();
    await sleep(windowMs);
    const after = snapshot(agent, plan);
    const elapsedMs = performance.now() - t0;
    return {
      elapsedMs,
      polls: after.polls - before.polls,
      failures: after.failures - before.failures,
      transactions: after.transactions - before.transactions,
      confirmed: after.confirmed - before.confirmed,
      backlogAtEnd: after.backlog,
    };
  } finally {
    await agent.stop();
  }
}

function snapshot(agent: StationAgent, plan: Map<string, number>) {
  const s = agent.status();
  let polls = 0;
  let failures = 0;
  let transactions = 0;
  for (const d of s.devices) {
    polls += d.polls;
    failures += d.failures;
    transactions += d.polls * (plan.get(d.id) ?? 0);
  }
  const uplink = s.uplinks[0];
  return { polls, failures, transactions, confirmed: uplink?.confirmed ?? 0, backlog: uplink?.backlog ?? 0 };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
