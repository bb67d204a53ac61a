import { heartbeatKeyUse } from '@herald/core';
import { timingSafeEqual } from 'node:crypto';
import { monotonicNow } from './timers.js';

/** Default: kubelet's sync period (60 s) plus its Secret cache TTL, with room to spare. */
export const DEFAULT_KEY_GRACE_MS = 120_000;

/**
 * The heartbeat keys a speaker holds: the current one and, during a rotation, the previous one.
 * heartbeatKeyUse (core) decides which signs and which verify; this class only holds bytes and a clock.
 */
export class HeartbeatKeyring {
  private current: Uint8Array;
  private previous: Uint8Array | undefined;
  private rotatedAtMs: number | undefined;
  private readonly now: () => number;
  readonly graceMs: number;

  constructor(initial: Uint8Array, o: { graceMs?: number; now?: () => number } = {}) {
    this.current = initial;
    this.graceMs = o.graceMs ?? DEFAULT_KEY_GRACE_MS;
    this.now = o.now ?? monotonicNow;
  }

  /** A new key: returns false (and changes nothing) when it is the key already in use. */
  rotate(next: Uint8Array): boolean {
    if (next.length === this.current.length && timingSafeEqual(next, this.current)) return false;
    // A second change inside a rotation keeps signing with what peers have verified all along.
    const use = this.use();
    this.previous = use.sign === 'previous' && this.previous ? this.previous : this.current;
    this.current = next;
    this.rotatedAtMs = this.now();
    return true;
  }

  signKey(): Uint8Array {
    return this.use().sign === 'previous' && this.previous ? this.previous : this.current;
  }

  acceptKeys(): Uint8Array[] {
    return this.use().accept.flatMap((slot) => (slot === 'current' ? [this.current] : this.previous ? [this.previous] : []));
  }

  private use() {
    return heartbeatKeyUse({ ...(this.rotatedAtMs === undefined ? {} : { rotatedAtMs: this.rotatedAtMs }), nowMs: this.now(), graceMs: this.graceMs });
  }
}
