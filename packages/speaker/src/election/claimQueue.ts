import type { Claim } from '../announce/interfaceResponder.js';
import { addressKey } from './electionFacts.js';

export interface ClaimQueueOptions {
  /** Handles one claim (SpeakerController: hand-over, proof of life, or conflict). */
  handle: (claim: Claim) => void;
  /** Longest stretch of claim handling in one turn of the event loop. Default 10 ms. */
  sliceMs?: number;
  /** Claims kept waiting at most; beyond it new ones are dropped (counted by `dropped`). Default 50,000. */
  maxQueued?: number;
  dropped?: () => void;
}

/**
 * Claims seen on the wire, handled in bounded slices on later turns of the event loop. The answering thread
 * posts one message per claim, and Node delivers every queued message in one callback: a node taking over
 * thousands of addresses made the old owner handle thousands of claims in one turn, long enough for its
 * membership to withhold heartbeats (main-loop bound) and for peers to declare it dead (ADR 0012). The
 * repeats of one gratuitous burst (same address, same MAC) waiting together are handled once.
 */
export class ClaimQueue {
  private readonly queued = new Map<string, Claim>();
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly o: ClaimQueueOptions) {}

  push(claim: Claim): void {
    if (this.stopped) return;
    const key = `${addressKey(claim.address)} ${claim.mac}`;
    if (!this.queued.has(key)) {
      if (this.queued.size >= (this.o.maxQueued ?? 50_000)) return this.o.dropped?.();
      this.queued.set(key, claim);
    }
    this.scheduled ??= setImmediate(() => this.drain());
  }

  /** Drops what is waiting, and whatever comes after: the speaker stops. */
  stop(): void {
    this.stopped = true;
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.queued.clear();
  }

  /** Claims waiting to be handled. */
  size(): number {
    return this.queued.size;
  }

  private drain(): void {
    this.scheduled = undefined;
    const started = performance.now();
    for (const [key, claim] of this.queued) {
      this.queued.delete(key);
      this.o.handle(claim);
      if (performance.now() - started >= (this.o.sliceMs ?? 10)) break;
    }
    if (this.queued.size > 0) this.scheduled ??= setImmediate(() => this.drain());
  }
}
