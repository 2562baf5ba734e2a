/**
 * Which (MN, CN, DataTime, code) values were already taken: a logger re-sends an upload it got no
 * 9014 for, after a reconnect or its own restart. A port, so the agent can back it with its store
 * across restarts; the in-memory one forgets on restart (a re-sent value is then taken twice).
 */
export interface SeenPort {
  has(key: string): boolean;
  /** The keys of one upload, taken together (one transaction in a store). */
  addAll(keys: readonly string[]): void;
}

export function seenKey(mn: string, cn: string, dataTime: string, code: string): string {
  return `${mn.trim().toUpperCase()}|${cn}|${dataTime}|${code}`;
}

/**
 * Remembers the last `capacity` keys (oldest forgotten first). 100 000 keys is about a day of
 * 2011 uploads every 30 s from 10 loggers of 30 factors: a re-send older than that is taken again.
 */
export class MemorySeen implements SeenPort {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('MemorySeen: capacity must be ≥ 1');
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  addAll(keys: readonly string[]): void {
    for (const k of keys) this.add(k);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      // A Set iterates in insertion order: the first key is the oldest.
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
    }
  }

  get size(): number {
    return this.keys.size;
  }
}
