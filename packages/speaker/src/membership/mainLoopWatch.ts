import { judgeMainLoop, type MainLoopSeen, type MainLoopState } from '@herald/core';
import type { Logger } from 'pino';
import type { MembershipMetrics } from './membershipMetrics.js';

/** Default bound: longer than the GC pauses and handover stalls to ride out, far shorter than a Lease failover. */
export const DEFAULT_MAIN_LOOP_BOUND_MS = 1_500;

export interface MainLoopWatchOptions {
  /** MainLoopBeat's buffer, shared with the main thread. */
  readonly buffer: SharedArrayBuffer;
  readonly boundMs: number;
  readonly now: () => number;
  readonly log: Logger;
  readonly metrics: MembershipMetrics;
}

/**
 * The worker's side of the main-loop watch: reads the main thread's counter (Atomics.load) when asked —
 * before each datagram membership sends — and judges it with judgeMainLoop (core). Logs and counts each
 * change between Turning and Stalled.
 */
export class MainLoopWatch {
  private readonly counter: Int32Array;
  private seen: MainLoopSeen | undefined;
  private state: MainLoopState = 'Turning';

  constructor(private readonly o: MainLoopWatchOptions) {
    this.counter = new Int32Array(o.buffer);
    if (!(o.boundMs > 0)) throw new RangeError(`main-loop bound must be positive, not ${o.boundMs} ms`);
  }

  /** True while the main thread turns its event loop (within the bound). */
  turning(): boolean {
    const j = judgeMainLoop({ counter: Atomics.load(this.counter, 0), ...(this.seen ? { seen: this.seen } : {}), nowMs: this.o.now(), boundMs: this.o.boundMs });
    this.seen = j.seen;
    if (j.state !== this.state) {
      this.state = j.state;
      this.o.metrics.mainLoopStalled.set(j.state === 'Stalled' ? 1 : 0);
      if (j.state === 'Stalled') {
        this.o.metrics.mainLoopStalls.inc();
        this.o.log.error({ event: 'mainLoopStalled', stillForMs: Math.round(j.stillForMs), boundMs: this.o.boundMs }, `the main thread has not turned its event loop for ${Math.round(j.stillForMs)} ms: membership datagrams withheld, peers will declare this node dead`);
      } else {
        this.o.log.warn({ event: 'mainLoopTurning' }, 'the main thread turns its event loop again: membership datagrams flow');
      }
    }
    return j.state === 'Turning';
  }
}
