import { writeFailureReason, type WriteFailureReason } from './writeFailureReason.js';

export interface WriteRetryInput {
  /** HTTP status of the failed write; `undefined` when no response arrived. */
  readonly code: number | undefined;
  /** Failed attempts in a row for this object, counting this one (the first failure is 1). */
  readonly failures: number;
  /** The server's Retry-After, converted to milliseconds, when it sent one (429, some 503). */
  readonly retryAfterMs?: number;
  /** Delay after the first failure. */
  readonly initialMs: number;
  /** The cap: no retry waits longer, so a fixed cause (RBAC restored) is noticed within one cap interval. */
  readonly maxMs: number;
  /** A number in [0, 1) drawn by the caller (core has no randomness); shortens the delay by up to 20%. */
  readonly jitter: number;
}

export type WriteRetryDecision =
  /** Try the same write again after `delayMs`. */
  | { readonly action: 'retry'; readonly reason: WriteFailureReason; readonly delayMs: number }
  /**
   * Do not try again until the object or the desired content changes: the apiserver refused this exact
   * request, and repeating it can only fail the same way.
   */
  | { readonly action: 'stop'; readonly reason: WriteFailureReason }
  /** The object is gone; there is nothing left to write to. */
  | { readonly action: 'drop'; readonly reason: 'NotFound' };

/**
 * What to do after a failed write. Exponential backoff (initial × 2^(failures−1), capped) for everything
 * that can heal without herald changing its request: conflicts, throttling, server errors, no answer, and
 * 401/403 — RBAC and tokens are fixed out of band and herald cannot watch for that, so it keeps probing at
 * the cap rather than stopping. Other 4xx (422 Invalid, 400, 405, 413…) stop: the same body would be
 * refused again. 404 drops the write. A Retry-After from the server is honoured exactly, up to the cap.
 */
export function planWriteRetry(i: WriteRetryInput): WriteRetryDecision {
  if (!(i.initialMs > 0) || !(i.maxMs >= i.initialMs)) throw new RangeError(`planWriteRetry: need 0 < initialMs <= maxMs, got ${i.initialMs} and ${i.maxMs}`);
  if (!Number.isInteger(i.failures) || i.failures < 1) throw new RangeError(`planWriteRetry: failures must be a whole number >= 1, got ${i.failures}`);
  const reason = writeFailureReason(i.code);
  if (reason === 'NotFound') return { action: 'drop', reason };
  if (reason === 'Invalid' || reason === 'Rejected') return { action: 'stop', reason };
  if (i.retryAfterMs !== undefined && i.retryAfterMs >= 0) return { action: 'retry', reason, delayMs: Math.min(i.maxMs, Math.round(i.retryAfterMs)) };
  // 2 ** 1100 is Infinity; Math.min still yields the cap.
  const base = Math.min(i.maxMs, i.initialMs * 2 ** (i.failures - 1));
  const jitter = Math.min(Math.max(i.jitter, 0), 1);
  return { action: 'retry', reason, delayMs: Math.round(base * (1 - 0.2 * jitter)) };
}

/**
 * Retry-After as milliseconds. The apiserver sends whole seconds; an HTTP date (allowed by RFC 9110 but not
 * sent by Kubernetes) or anything else unreadable gives `undefined`, and the normal backoff applies.
 */
export function retryAfterMs(header: string | undefined): number | undefined {
  const text = header?.trim();
  return text !== undefined && /^\d{1,6}$/.test(text) ? Number(text) * 1000 : undefined;
}
