/**
 * Runs at most `limit` async jobs at once; `idle()` resolves when nothing is queued or running. Queued
 * jobs start in order, urgent ones first: a Service waiting for its address should not queue behind a
 * thousand events and bookkeeping objects.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: { urgent: (() => void)[]; normal: (() => void)[] } = { urgent: [], normal: [] };
  private idleWaiters: (() => void)[] = [];
  private finished = 0;
  constructor(private readonly limit: number) {}

  async run<T>(job: () => Promise<T>, o: { urgent?: boolean } = {}): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => (o.urgent ? this.waiting.urgent : this.waiting.normal).push(r));
    this.running++;
    try {
      return await job();
    } finally {
      this.finished++;
      this.running--;
      const next = this.waiting.urgent.shift() ?? this.waiting.normal.shift();
      if (next) next();
      else if (this.running === 0) {
        for (const w of this.idleWaiters) w();
        this.idleWaiters = [];
      }
    }
  }

  /** Jobs finished so far (either way): lets a waiter tell a long drain that progresses from a stuck one. */
  get settled(): number {
    return this.finished;
  }

  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.urgent.length === 0 && this.waiting.normal.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
