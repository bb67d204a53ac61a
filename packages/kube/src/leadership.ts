/**
 * What a process holds while it is the elected leader. Writers check `holds()` immediately before each
 * request leaves, so writes queued or retried after leadership is lost are refused, not flushed.
 */
export interface Leadership {
  /** Aborted the moment leadership ends: lost, stepped down, or given up on shutdown. */
  readonly signal: AbortSignal;
  /** True only while the Lease is certainly still ours (monotonic time since the last renewal). */
  holds(): boolean;
}

/** A request refused because this process no longer holds leadership. */
export class FencedError extends Error {
  readonly reason = 'NotLeader' as const;
  constructor(what: string) {
    super(`${what} refused: this replica is not the leader (any more)`);
    this.name = 'FencedError';
  }
}

export const isFenced = (e: unknown): e is FencedError => e instanceof FencedError;

/**
 * The leadership that gates a writer. Empty (refusing everything) until `grant()`; main grants each new
 * term of leadership, or a never-ending one when leader election is off.
 */
export class WriteFence {
  private current: Leadership | undefined;

  grant(leadership: Leadership): void {
    this.current = leadership;
  }

  allows(): boolean {
    return this.current?.holds() ?? false;
  }
}
