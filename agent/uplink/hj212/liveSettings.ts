import type { Hj212UplinkConfig } from '../../config/hj212Schema.js';
import type { Logger } from '../../core/log.js';
import type { UplinkSettingsStore } from '../../store/uplinkSettings.js';

/**
 * The settings of one HJ 212 uplink that a platform may change while it runs (1062/1064 intervals,
 * 1000 timeouts, 1072 password, 1014 SM4 key). A change applies at once and is persisted, so it
 * survives a restart; each entry records the configured value it replaced, and a config edited
 * since then wins (UplinkSettingsStore.effective). Starting/stopping real-time data (2011/2012)
 * is not persisted: after a restart a station uploads as configured until told otherwise.
 */
export class LiveSettings {
  rtdIntervalMs: number;
  minIntervalMin: number;
  timeoutMs: number;
  retries: number;
  pw: string;
  sm4Key: string | undefined;
  /** Wall time the SM4 key was created (or first used by this agent), for rotation. */
  sm4KeyCreatedAt: number;
  realtimeOn = true;

  constructor(
    private readonly cfg: Hj212UplinkConfig,
    private readonly store: UplinkSettingsStore,
    now: () => number,
    private readonly log: Logger,
  ) {
    const id = cfg.id;
    this.rtdIntervalMs = store.effective(id, 'rtdInterval', cfg.rtdInterval);
    this.minIntervalMin = store.effective(id, 'minInterval', cfg.minInterval / 60_000);
    const timeouts = store.effective(id, 'timeouts', { timeoutMs: cfg.timeout, retries: cfg.retries });
    this.timeoutMs = timeouts.timeoutMs;
    this.retries = timeouts.retries;
    this.pw = store.effective(id, 'pw', cfg.pw);
    const configuredKey = cfg.encryption?.key;
    this.sm4Key = store.effective(id, 'sm4Key', configuredKey);
    // Stored with the key it belongs to as base: a key replaced in the config starts a new age.
    const created = this.sm4Key === undefined ? null : this.keyCreatedAt(this.sm4Key);
    // The creation time of a configured key is unknown: its age counts from when we first used it.
    this.sm4KeyCreatedAt = created ?? now();
    if (created === null && this.sm4Key !== undefined) {
      this.persist('sm4KeyCreatedAt', this.sm4KeyCreatedAt, this.sm4Key);
    }
  }

  private keyCreatedAt(key: string): number | null {
    try {
      const stored = this.store.get<number>(this.cfg.id, 'sm4KeyCreatedAt');
      return stored !== undefined && stored.base === key ? stored.value : null;
    } catch {
      return null;
    }
  }

  setRtdInterval(seconds: number): void {
    this.rtdIntervalMs = seconds * 1000;
    this.persist('rtdInterval', this.rtdIntervalMs, this.cfg.rtdInterval);
  }

  setMinInterval(minutes: number): void {
    this.minIntervalMin = minutes;
    this.persist('minInterval', minutes, this.cfg.minInterval / 60_000);
  }

  setTimeouts(timeoutMs: number, retries: number): void {
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.persist(
      'timeouts',
      { timeoutMs, retries },
      { timeoutMs: this.cfg.timeout, retries: this.cfg.retries },
    );
  }

  setPassword(pw: string): void {
    this.pw = pw;
    this.persist('pw', pw, this.cfg.pw);
  }

  setSm4Key(key: string, createdAt: number): void {
    this.sm4Key = key;
    this.sm4KeyCreatedAt = createdAt;
    this.persist('sm4Key', key, this.cfg.encryption?.key);
    this.persist('sm4KeyCreatedAt', createdAt, key);
  }

  /**
   * A failed write keeps the new value for this run: the platform was told it is applied, and it
   * is; only a restart would fall back to the previous value.
   */
  private persist(key: string, value: unknown, base: unknown): void {
    try {
      this.store.set(this.cfg.id, key, value, base ?? null);
    } catch (err) {
      this.log.error({ err, uplink: this.cfg.id, setting: key }, 'HJ 212 setting applied but not persisted');
    }
  }
}
