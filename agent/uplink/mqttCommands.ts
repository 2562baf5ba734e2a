import type { IPublishPacket, MqttClient } from 'mqtt';
import type { CommandName } from '../config/commandsSchema.js';
import { COMMAND_NAMES } from '../config/commandsSchema.js';
import type { Logger } from '../core/log.js';
import type { AgentControl, CommandResult } from './agentControl.js';
import { parseResendRequest, type ResendRequest } from './mqttResend.js';

/**
 * Remote commands on {topicPrefix}/{station}/cmd/{name}, replies on {topicPrefix}/{station}/reply/{name}
 * (and on the MQTT 5 response topic with the correlation data, when the request carries them). Every
 * request gets exactly one reply; nothing a peer sends can throw out of here.
 */

export interface MqttCommandsDeps {
  topicPrefix: string;
  stationId: string;
  allow: readonly CommandName[];
  /** Absent when the agent runs without a supervisor (tests): only ping and resend are served then. */
  control?: AgentControl;
  resend(req: ResendRequest): Promise<{ rows: number; batches: number }>;
  log: Logger;
}

/** Largest request accepted: a config is a few KB; anything far bigger is a mistake or an attack. */
const MAX_REQUEST_BYTES = 1_000_000;
/** Longest wait for a reply's acknowledgement before its follow-up (a reload) runs anyway. */
const REPLY_WAIT_MS = 2000;

export class MqttCommands {
  private readonly deps: MqttCommandsDeps;
  private readonly prefix: string;

  constructor(deps: MqttCommandsDeps) {
    this.deps = deps;
    this.prefix = `${deps.topicPrefix}/${deps.stationId}/`;
  }

  /** Only this station's commands: another station's are never even delivered to this client. */
  get subscription(): string {
    return `${this.prefix}cmd/#`;
  }

  /** Handles one incoming message; resolves once its reply was published (or failed). */
  async handle(client: MqttClient, topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    if (!topic.startsWith(`${this.prefix}cmd/`)) return;
    const name = topic.slice(this.prefix.length + 4);
    const parsed = parseBody(payload);
    const id = parsed.ok ? (parsed.body.id ?? null) : null;
    let result: CommandResult;
    try {
      result = parsed.ok ? await this.run(name, parsed.body) : { status: 400, message: parsed.error };
    } catch (err) {
      this.deps.log.error({ err, command: name }, 'command failed');
      result = { status: 500, message: err instanceof Error ? err.message : String(err) };
    }
    await this.reply(client, name, packet, { id, ...result });
  }

  private async run(name: string, body: Record<string, unknown>): Promise<CommandResult> {
    const { allow, control, log } = this.deps;
    if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
      return { status: 404, message: `unknown command "${name}"` };
    }
    const command = name as CommandName;
    if (!allow.includes(command)) {
      log.warn({ command, code: 'COMMAND_REFUSED' }, 'command refused: not in commands.allow');
      return { status: 403, message: `command "${name}" is not allowed on this station (commands.allow)` };
    }
    log.info({ command, id: body.id }, 'command received');
    if (command === 'ping') return { status: 200, message: 'pong' };
    if (command === 'resend') {
      const req = parseResendRequest(body);
      if (typeof req === 'string') return { status: 400, message: req };
      const counts = await this.deps.resend(req);
      return { status: 200, message: 'resent', data: counts };
    }
    if (control === undefined)
      return { status: 501, message: `command "${name}" needs the agent supervisor` };
    switch (command) {
      case 'status':
        return { status: 200, message: 'ok', data: control.status() };
      case 'config/get':
        return control.getConfig();
      case 'config/set':
        if (typeof body.yaml !== 'string')
          return { status: 400, message: 'expected "yaml": the complete config text' };
        return control.setConfig(body.yaml, this.actor(name, body.id));
      case 'config/rollback':
        return control.rollback(this.actor(name, body.id));
      case 'log-level':
        if (typeof body.level !== 'string') return { status: 400, message: 'expected "level"' };
        return control.setLogLevel(body.level);
    }
  }

  /** Who asked, for the config audit log: the command topic and the request's id when it has one. */
  private actor(name: string, id: unknown): string {
    const topic = `${this.prefix}cmd/${name}`;
    if (id === undefined || id === null) return topic;
    // The id is the peer's JSON: String() throws on an object like {"toString":1}; JSON never does.
    return `${topic} id=${typeof id === 'string' ? id : JSON.stringify(id)}`;
  }

  private async reply(
    client: MqttClient,
    name: string,
    request: IPublishPacket,
    reply: CommandResult & { id: unknown },
  ): Promise<void> {
    const { after, ...body } = reply;
    const text = JSON.stringify(body);
    const props = request.properties;
    const sends: Promise<unknown>[] = [];
    // The reply topic keeps the command's name so a topic is unambiguous even without the id.
    const safeName = /^[A-Za-z0-9/_-]{1,64}$/.test(name) ? name : 'unknown';
    const replyTopic = `${this.prefix}reply/${safeName}`;
    sends.push(client.publishAsync(replyTopic, text, { qos: 1 }));
    // Once per topic: a client may name the standard reply topic as its response topic.
    if (props?.responseTopic && props.responseTopic !== replyTopic && !/[+#]/.test(props.responseTopic)) {
      sends.push(
        client.publishAsync(props.responseTopic, text, {
          qos: 1,
          properties: props.correlationData ? { correlationData: props.correlationData } : {},
        }),
      );
    }
    // Bounded: on a link that died meanwhile the acknowledgement never comes, and a config already
    // written must still be applied.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), REPLY_WAIT_MS);
    });
    const settled = await Promise.race([Promise.allSettled(sends), timeout]);
    clearTimeout(timer);
    if (settled === 'timeout') this.deps.log.warn({ command: name }, 'command reply not acknowledged');
    else {
      for (const s of settled) {
        if (s.status === 'rejected')
          this.deps.log.warn({ err: s.reason, command: name }, 'command reply not sent');
      }
    }
    after?.();
  }
}

type Parsed = { ok: true; body: Record<string, unknown> } | { ok: false; error: string };

/** An empty payload is an empty request (ping); anything else must be a JSON object. */
function parseBody(payload: Buffer): Parsed {
  if (payload.length > MAX_REQUEST_BYTES) return { ok: false, error: 'request too large' };
  if (payload.length === 0) return { ok: true, body: {} };
  try {
    const body: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { ok: false, error: 'expected a JSON object' };
    }
    return { ok: true, body: body as Record<string, unknown> };
  } catch {
    return { ok: false, error: 'malformed JSON' };
  }
}
