import type { Logger } from '../../core/log.js';
import type { InputCountersSnapshot, LoggerCounters, RefuseReason } from './inputTypes.js';

/**
 * Distinct texts kept per counter, and distinct troubles logged. The keys come from the wire (MNs,
 * codes, flag texts, CNs), before or after the sender is known, so a device spraying garbage on the
 * port for months must not grow the agent's memory with them: past this many, texts are counted
 * under OTHER and troubles are no longer logged one by one (said once).
 */
export const MAX_DISTINCT = 256;
export const OTHER = '(other)';

/**
 * The input's counters, and its logging without a storm: each kind of trouble (a refusal reason per
 * MN, an unknown code, an unknown flag, another CN) is logged once, at its first occurrence; the
 * counters say how often it happened since.
 */
export class InputCounters {
  private framesOk = 0;
  private duplicates = 0;
  private answered = 0;
  private connections = 0;
  private staleConnections = 0;
  private readonly refused = new Map<RefuseReason, number>();
  private readonly unknownCodes = new Map<string, number>();
  private readonly unknownFlags = new Map<string, number>();
  private readonly otherCns = new Map<string, number>();
  private readonly logged = new Set<string>();
  /** The same figures per logger (MN as configured, upper case), for each device's status. */
  private readonly perMn = new Map<string, LoggerCounters>();

  constructor(private readonly log: Logger) {}

  ok(mn?: string): void {
    this.framesOk++;
    if (mn !== undefined) this.of(mn).framesOk++;
  }

  connection(): void {
    this.connections++;
  }

  /** A logger's silent older connection closed because the logger connected again. */
  staleClosed(): void {
    this.staleConnections++;
  }

  answer(mn?: string): void {
    this.answered++;
    if (mn !== undefined) this.of(mn).answered++;
  }

  duplicate(n: number, mn?: string): void {
    this.duplicates += n;
    if (mn !== undefined) this.of(mn).duplicates += n;
  }

  refuse(reason: RefuseReason, context: { mn?: string | undefined; detail?: string }): void {
    bump(this.refused, reason);
    this.once(`refused|${reason}|${context.mn ?? ''}`, () =>
      this.log.warn({ reason, mn: context.mn, detail: context.detail }, 'hj212 input: frame refused'),
    );
  }

  unknownCode(code: string, mn: string): void {
    bump(this.unknownCodes, code);
    const own = this.of(mn).unknownCodes;
    const key = code in own || Object.keys(own).length < MAX_DISTINCT ? code : OTHER;
    own[key] = (own[key] ?? 0) + 1;
    this.once(`code|${code}`, () =>
      this.log.warn({ code, mn }, 'hj212 input: factor code not configured for the logger, value not taken'),
    );
  }

  unknownFlag(text: string, mn: string): void {
    bump(this.unknownFlags, text);
    this.once(`flag|${text}`, () =>
      this.log.warn({ flag: text, mn }, 'hj212 input: flag no edition defines, value kept as D'),
    );
  }

  otherCn(cn: string, mn: string): void {
    bump(this.otherCns, cn);
    this.once(`cn|${cn}`, () => this.log.info({ cn, mn }, 'hj212 input: CN not taken by the input, ignored'));
  }

  snapshot(): InputCountersSnapshot {
    return {
      framesOk: this.framesOk,
      refused: Object.fromEntries(this.refused),
      duplicates: this.duplicates,
      unknownCodes: Object.fromEntries(this.unknownCodes),
      unknownFlags: Object.fromEntries(this.unknownFlags),
      otherCns: Object.fromEntries(this.otherCns),
      answered: this.answered,
      connections: this.connections,
      staleClosed: this.staleConnections,
      byMn: Object.fromEntries(
        [...this.perMn].map(([mn, c]) => [mn, { ...c, unknownCodes: { ...c.unknownCodes } }]),
      ),
    };
  }

  private of(mn: string): LoggerCounters {
    const key = mn.trim().toUpperCase();
    let c = this.perMn.get(key);
    if (c === undefined) {
      c = { framesOk: 0, duplicates: 0, answered: 0, unknownCodes: {} };
      this.perMn.set(key, c);
    }
    return c;
  }

  private once(kind: string, write: () => void): void {
    if (this.logged.has(kind)) return;
    if (this.logged.size >= MAX_DISTINCT) {
      if (this.logged.has(OTHER)) return;
      this.logged.add(OTHER);
      this.log.warn(
        { distinct: MAX_DISTINCT },
        'hj212 input: too many distinct troubles to log one by one; from now on they are only counted',
      );
      return;
    }
    this.logged.add(kind);
    write();
  }
}

/** Counts `k`, or OTHER once `m` holds MAX_DISTINCT keys and `k` is not among them. */
function bump(m: Map<string, number>, k: string): void {
  const key = m.has(k) || m.size < MAX_DISTINCT ? k : OTHER;
  m.set(key, (m.get(key) ?? 0) + 1);
}
