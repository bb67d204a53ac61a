/** When a speaker writes its heartbeat health to its Lease (see heartbeatHealthKey for "changed"). */
export interface HealthWriteFacts {
  /** heartbeatHealthKey of the health now. */
  readonly key: string;
  /** The last successful write, if any. */
  readonly written?: { readonly key: string; readonly atMs: number };
  /** The last failed write, if it came after the last successful one, and how many failed in a row. */
  readonly failed?: { readonly atMs: number; readonly count: number };
  readonly nowMs: number;
  /** Writes for a change are at least this far apart (a flapping peer costs one write per interval, not per flap). */
  readonly minIntervalMs: number;
  /** An unchanged health is written again this often, so its times (`at`, last heartbeat, round trip) stay this fresh. */
  readonly refreshMs: number;
  /** First retry delay after a failed write; doubles per failure up to refreshMs. */
  readonly retryMs: number;
}

/**
 * The time of the next write: `nowMs` (or earlier) means write now. A change goes out at once unless the
 * previous write is younger than minIntervalMs; an unchanged health only at the refresh; a failed write
 * is retried with backoff but never sooner than the change rule allows.
 */
export function healthWriteAt(f: HealthWriteFacts): number {
  const due = !f.written ? f.nowMs : f.written.key !== f.key ? f.written.atMs + f.minIntervalMs : f.written.atMs + f.refreshMs;
  if (!f.failed) return due;
  const backoff = Math.min(f.refreshMs, f.retryMs * 2 ** Math.min(f.failed.count - 1, 20));
  return Math.max(due, f.failed.atMs + backoff);
}
