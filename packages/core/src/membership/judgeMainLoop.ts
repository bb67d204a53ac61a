/**
 * Whether the speaker's main thread still turns its event loop, as the membership worker sees it
 * (ADR 0012, "Membership in a worker thread"). The main thread bumps a shared counter from its event loop;
 * the worker reads it before it sends. A counter that has not moved for `boundMs` means a wedged main
 * thread: no ARP replies, no elections. The worker then withholds its datagrams so that peers declare the
 * node dead as they would without the worker; it sends again as soon as the counter moves.
 */
export type MainLoopState = 'Turning' | 'Stalled';

export const MAIN_LOOP_STATES: readonly MainLoopState[] = ['Turning', 'Stalled'];

/** The last counter value the worker saw, and since when (monotonic ms) it has held it. */
export interface MainLoopSeen {
  readonly counter: number;
  readonly sinceMs: number;
}

export interface MainLoopFacts {
  /** The counter as read now (Atomics.load). */
  readonly counter: number;
  /** What the previous look saw; absent on the first look. */
  readonly seen?: MainLoopSeen;
  readonly nowMs: number;
  /**
   * How long the counter may stand still before the main thread counts as stalled: longer than the GC
   * pauses and handover stalls to ride out, shorter than a failover by the Lease.
   */
  readonly boundMs: number;
}

export interface MainLoopJudgement {
  readonly state: MainLoopState;
  /** What to pass as `seen` next time. */
  readonly seen: MainLoopSeen;
  /** How long the counter has stood still. */
  readonly stillForMs: number;
}

/** Counter moved (or first look): Turning, still since now. Otherwise Stalled once it stood still for boundMs. */
export function judgeMainLoop(f: MainLoopFacts): MainLoopJudgement {
  if (!(f.boundMs > 0)) throw new RangeError(`main-loop bound must be positive, not ${f.boundMs} ms`);
  if (f.seen === undefined || f.seen.counter !== f.counter) return { state: 'Turning', seen: { counter: f.counter, sinceMs: f.nowMs }, stillForMs: 0 };
  const stillForMs = Math.max(0, f.nowMs - f.seen.sinceMs);
  return { state: stillForMs >= f.boundMs ? 'Stalled' : 'Turning', seen: f.seen, stillForMs };
}
