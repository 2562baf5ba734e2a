/**
 * The narrow face the process-level owner of the StationAgent (agent/app/agentSupervisor.ts) shows
 * to remote commands. An uplink only ever sees this interface, so a command can reload the agent that
 * owns the uplink without the uplink knowing how (no global singleton, no import cycle).
 */

/** What a command answers: the reply's status, message and optional data. */
export interface CommandResult {
  status: number;
  message: string;
  data?: unknown;
  /**
   * Runs once the reply was acknowledged by the broker (or failed to be): a reload must not stop the
   * connection that is carrying its own reply.
   */
  after?: () => void;
}

/** Something that happened without a request, e.g. an automatic rollback, published once connected. */
export interface ControlEvent {
  event: string;
  ts: string;
  [key: string]: unknown;
}

export interface AgentControl {
  /** The running agent's status(): devices, uplinks, backlog. */
  status(): unknown;
  /** The config file text, secrets redacted, with its hash. */
  getConfig(): CommandResult;
  /**
   * Validates, backs up, writes and applies a complete YAML config. `actor` (the command's topic and
   * id) is recorded in the config audit log.
   */
  setConfig(yaml: string, actor?: string): CommandResult;
  /** Restores the previous config file and applies it; `actor` as for setConfig. */
  rollback(actor?: string): CommandResult;
  setLogLevel(level: string): CommandResult;
  /** Events not yet published; the caller takes them (each is published once, by one uplink). */
  takeEvents(): ControlEvent[];
}

/**
 * The control of an agent run without a supervisor (integration tests, the demo, the bench): the
 * MQTT commands that need one answer 501, no event is ever pending. Given explicitly, so the
 * composition root always hands its uplinks a control.
 */
export const noAgentControl: AgentControl = {
  status: () => null,
  getConfig: () => NO_SUPERVISOR,
  setConfig: () => NO_SUPERVISOR,
  rollback: () => NO_SUPERVISOR,
  setLogLevel: () => NO_SUPERVISOR,
  takeEvents: () => [],
};

const NO_SUPERVISOR: CommandResult = { status: 501, message: 'this agent runs without a supervisor' };
