/**
 * How one LBAddress status write ended, as the window below reads it:
 * - Written: the API server took it;
 * - Refused: an answer that says nothing about the API server's load (409 someone wrote first, 404, 403, 422);
 * - Throttled: 429 (priority and fairness rejected it) or 5xx: the API server is saturated;
 * - Failed: no answer (network, timeout): the API server may be down or drowning.
 */
export type StatusWriteOutcome = 'Written' | 'Refused' | 'Throttled' | 'Failed';

export interface StatusWriteWindowLimits {
  /** Writes in flight when nothing is known, and never fewer. */
  readonly min: number;
  /** Never more writes in flight than this, whatever the API server takes. */
  readonly max: number;
  /** A write answered slower than this does not widen the window: the API server (or this process) is busy. */
  readonly slowMs: number;
}

/** 4 at first (the old fixed limit), up to 32; a write slower than 1 s holds the window where it is. */
export const DEFAULT_STATUS_WRITE_WINDOW: StatusWriteWindowLimits = { min: 4, max: 32, slowMs: 1_000 };

/** The outcome of a write from its HTTP status code (undefined: no answer at all). */
export function statusWriteOutcome(code: number | undefined): StatusWriteOutcome {
  if (code === undefined) return 'Failed';
  if (code === 429 || code >= 500) return 'Throttled';
  return code < 300 ? 'Written' : 'Refused';
}

export interface StatusWriteWindowInput {
  /** Writes allowed in flight now. */
  readonly window: number;
  readonly outcome: StatusWriteOutcome;
  /** How long the write took, request to answer. */
  readonly latencyMs: number;
  /** Statuses still waiting to be written: without a backlog there is nothing to widen for. */
  readonly backlog: number;
  readonly limits: StatusWriteWindowLimits;
}

/**
 * The number of status writes this speaker keeps in flight, after one write ended: additive increase while a
 * backlog waits and the API server answers promptly (one more per write taken, so a window of w grows to 2w
 * in one round trip, as TCP's slow start), halved when the API server throttles or fails. After a takeover
 * of 10,000 addresses a fixed 4 in flight wrote 16–36 statuses a second on a busy host, because each write's
 * round trip (API server queueing, this process's event loop) was 110–250 ms; the API server itself took
 * several times that rate. Priority and fairness answers 429 before it is overloaded, so that is the signal.
 */
export function statusWriteWindow(input: StatusWriteWindowInput): number {
  const { window, outcome, limits } = input;
  const clamp = (n: number) => Math.min(limits.max, Math.max(limits.min, n));
  switch (outcome) {
    case 'Throttled':
    case 'Failed':
      return clamp(Math.floor(window / 2));
    case 'Refused':
      return clamp(window);
    case 'Written':
      if (input.backlog === 0 || input.latencyMs > limits.slowMs) return clamp(window);
      return clamp(window + 1);
  }
}
