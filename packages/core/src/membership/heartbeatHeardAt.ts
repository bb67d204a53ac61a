/** This member's last stall: when it last ran before it, and when it woke. */
export interface OwnStall {
  /** The last time this member ran (read its socket) before the stall. */
  readonly fromMs: number;
  /** When it woke (the first call that found its timer late). */
  readonly wokeMs: number;
}

export interface HeartbeatHeardAtInput {
  readonly nowMs: number;
  /** When the previous heartbeat from the same node was heard (as this function dated it), if any. */
  readonly previousMs?: number;
  /** This member's last stall, if it had one. */
  readonly stall?: OwnStall;
  /** The interval the node sends heartbeats at. */
  readonly intervalMs: number;
}

/**
 * When a heartbeat just read shows its sender was last alive: the evidence another monitor's silence
 * clock restarts from when we vouch for the node ("heard it N ms ago").
 *
 * Normally now. But within one interval of waking from a stall of our own, a heartbeat may have sat in
 * our socket all through the stall: a node that crashed 269 ms into it still reads as "heard 51 ms ago",
 * and our vouch kept it alive 700-1,000 ms instead of 550. Its sender writes one every interval, so it is
 * dated by counting from the last one heard before: previous + interval, and never before the stall began
 * (what queued arrived after we last ran) nor after now. A lost heartbeat makes the date earlier than the
 * truth, never later — a vouch then claims less than it could, never more. (A sender that itself stalled
 * sends its next one less than an interval after the late one; now still caps the date.)
 */
export function heartbeatHeardAt(i: HeartbeatHeardAtInput): number {
  const { nowMs, stall } = i;
  if (!stall || nowMs < stall.wokeMs || nowMs - stall.wokeMs >= i.intervalMs) return nowMs;
  const counted = i.previousMs === undefined ? stall.fromMs : Math.max(i.previousMs + i.intervalMs, stall.fromMs);
  return Math.min(nowMs, counted);
}
