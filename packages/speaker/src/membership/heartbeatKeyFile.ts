import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { loadHeartbeatKey } from './heartbeatKey.js';
import type { HeartbeatKeyring } from './heartbeatKeyring.js';
import { realTimers, type Timers } from './timers.js';

export type KeyReloadResult = 'rotated' | 'unchanged' | 'error';

export interface HeartbeatKeyFileOptions {
  readonly path: string;
  readonly keyring: HeartbeatKeyring;
  /** How often to look at the file. Kubernetes swaps a `..data` symlink, so inode and mtime change. */
  readonly pollMs?: number;
  readonly log: Logger;
  readonly onReload?: (result: KeyReloadResult) => void;
  readonly timers?: Timers;
}

/**
 * Watches the mounted Secret file and hands a changed key to the keyring. Polls stat (cheap, and it
 * follows the kubelet's atomic symlink swap, which fs.watch on the file itself misses); reads the bytes
 * only when size, inode or mtime moved. A file that cannot be read or holds a too-short key leaves the
 * running key in place: a half-written or deleted Secret must not take heartbeats down.
 */
export class HeartbeatKeyFile {
  private timer: unknown;
  private last = '';
  private running = false;
  private failing = false;
  private readonly timers: Timers;

  constructor(private readonly o: HeartbeatKeyFileOptions) {
    this.timers = o.timers ?? realTimers;
  }

  async start(): Promise<void> {
    this.running = true;
    this.last = await this.fingerprint().catch(() => '');
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.timers.clearTimeout(this.timer);
  }

  /** One look at the file now (also what the poll does). */
  async check(): Promise<KeyReloadResult> {
    let result: KeyReloadResult;
    try {
      const print = await this.fingerprint();
      if (print === this.last) return 'unchanged';
      const key = loadHeartbeatKey(this.o.path);
      this.last = print;
      result = this.o.keyring.rotate(key) ? 'rotated' : 'unchanged';
      if (result === 'rotated') {
        this.o.log.info({ event: 'heartbeatKeyRotated', file: this.o.path, graceMs: this.o.keyring.graceMs }, 'heartbeat key changed: signing with the previous key for the grace period, accepting both');
      }
      if (this.failing) this.o.log.info({ event: 'heartbeatKeyReadable', file: this.o.path }, 'heartbeat key file is readable again');
      this.failing = false;
    } catch (e) {
      result = 'error';
      if (!this.failing) this.o.log.error({ event: 'heartbeatKeyReloadFailed', file: this.o.path, err: (e as Error).message }, 'cannot reload the heartbeat key; keeping the one in use');
      this.failing = true;
    }
    this.o.onReload?.(result);
    return result;
  }

  private async fingerprint(): Promise<string> {
    const s = await stat(this.o.path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => {
      void this.check().finally(() => this.arm());
    }, this.o.pollMs ?? 1_000);
  }
}
