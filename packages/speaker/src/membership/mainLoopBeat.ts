/** How often the main thread bumps its counter by default: ten times within a GC pause we ride out. */
export const DEFAULT_MAIN_LOOP_BEAT_MS = 100;

/**
 * The main thread's side of the main-loop watch (ADR 0012, "Membership in a worker thread"): a counter in
 * shared memory, bumped from the main event loop. It moves only while that loop turns, so the membership
 * worker (MainLoopWatch) tells a busy or wedged main thread from a working one without asking it.
 */
export class MainLoopBeat {
  /** Handed to the worker (workerData); one Int32. */
  readonly buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  private readonly counter = new Int32Array(this.buffer);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly everyMs = DEFAULT_MAIN_LOOP_BEAT_MS) {
    if (!(everyMs > 0)) throw new RangeError(`main-loop beat interval must be positive, not ${everyMs} ms`);
  }

  start(): void {
    if (this.timer) return;
    this.beat();
    // A timer, not setImmediate: it fires only when the loop gets round to timers, as heartbeats used to.
    this.timer = setInterval(() => this.beat(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    Atomics.add(this.counter, 0, 1);
  }
}
