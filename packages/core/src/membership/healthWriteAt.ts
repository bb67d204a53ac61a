/** When a speaker writes its heartbeat health to its Lease (see heartbeatHealthKey for "changed"). */
export interface HealthWriteFacts {
  /** heartbeatHealthKey of the health now. */
  readonly key: string;
  /** The last successful write, if any. */
  readonly written?: { readonly key: string; readonly atMs: number };
  /** Times of the last successful writes, oldest first (the writer keeps the last `burst`). */
  readonly recentWritesMs: readonly number[];
  /**
   * Since when the health has differed from the written one without interruption (the writer's start
   * before the first write). Absent while they are equal.
   */
  readonly differentSinceMs?: number;
  /** The last failed write, if it came after the last successful one, and how many failed in a row. */
  readonly failed?: { readonly atMs: number; readonly count: number };
  readonly nowMs: number;
  /**
   * A change is written once it has lasted this long: a peer that joins (known by its Lease, heard a few
   * heartbeats later) or a blip of a few hundred ms is one write, or none, not two.
   */
  readonly settleMs: number;
  /**
   * Changes cost at most one write per this on average: `burst` writes may come in a row (a problem and
   * its repair both show at once), then one per interval (a flapping peer cannot cost more).
   */
  readonly minIntervalMs: number;
  readonly burst: number;
  /** An unchanged health is written again this often, so its times (`at`, last heartbeat, round trip) stay this fresh. */
  readonly refreshMs: number;
  /** First retry delay after a failed write; doubles per failure up to refreshMs. */
  readonly retryMs: number;
}

/**
 * The time of the next write: `nowMs` or earlier means write now. A change goes out once it has lasted
 * settleMs, and only if fewer than `burst` writes happened in the last burst × minIntervalMs; an
 * unchanged health only at the refresh; a failed write is retried with backoff but never sooner than
 * those rules allow.
 */
export function healthWriteAt(f: HealthWriteFacts): number {
  const unchanged = f.written !== undefined && f.written.key === f.key;
  const oldestInBurst = f.recentWritesMs.length >= f.burst ? f.recentWritesMs[f.recentWritesMs.length - f.burst]! : undefined;
  const due = unchanged
    ? f.written!.atMs + f.refreshMs
    : Math.max((f.differentSinceMs ?? f.nowMs) + f.settleMs, oldestInBurst === undefined ? Number.NEGATIVE_INFINITY : oldestInBurst + f.burst * f.minIntervalMs);
  if (!f.failed) return due;
  const backoff = Math.min(f.refreshMs, f.retryMs * 2 ** Math.min(f.failed.count - 1, 20));
  return Math.max(due, f.failed.atMs + backoff);
}
