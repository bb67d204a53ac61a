/**
 * Evidence that this member, not its peer, is the slow or deaf one (Lifeguard's local health, Dadgar et
 * al. 2017), one word each for logs and metrics:
 * - `TimerLate`: our own timer fired more than stallThreshold late — the event loop stalled, and every
 *   silence we measured across the stall is partly our own;
 * - `Refuted`: a peer declared us dead — we were silent to our monitors, so our own judgements are
 *   suspect too.
 * Not a signal: a suspicion of ours cleared by another monitor's vouch (it heard the suspect, we did not).
 * Tried: it fires mostly when ring views differ (a member expects a node that heartbeats others), not when
 * we are deaf, and the doubled probe timeout it caused delayed crash detection by up to 470 ms in the
 * simulation's churn (swimSimulation.test.ts).
 */
export const LOCAL_HEALTH_SIGNALS = ['TimerLate', 'Refuted'] as const;
export type LocalHealthSignal = (typeof LOCAL_HEALTH_SIGNALS)[number];

/** 0 = healthy. Each signal raises the level by one (up to maxMultiplier − 1); it decays one step per decayMs. */
export interface LocalHealth {
  readonly level: number;
  /** When the current level was reached (the next decay step is decayMs after it). */
  readonly sinceMs: number;
}

export interface LocalHealthTuning {
  /** One level is forgiven after this long without a signal. */
  readonly healthDecayMs: number;
  /** The largest multiplier the level can reach (level + 1). */
  readonly maxHealthMultiplier: number;
}

export const HEALTHY: LocalHealth = Object.freeze({ level: 0, sinceMs: -Infinity });

/** `h` as it stands at `nowMs`: one level less per healthDecayMs without a signal. */
export function decayLocalHealth(h: LocalHealth, nowMs: number, t: LocalHealthTuning): LocalHealth {
  if (h.level === 0) return h;
  const steps = Math.floor((nowMs - h.sinceMs) / t.healthDecayMs);
  if (steps <= 0) return h;
  return h.level <= steps ? HEALTHY : { level: h.level - steps, sinceMs: h.sinceMs + steps * t.healthDecayMs };
}

/** After a signal at `nowMs`: one level up from the decayed level, capped at maxHealthMultiplier − 1. */
export function raiseLocalHealth(h: LocalHealth, _signal: LocalHealthSignal, nowMs: number, t: LocalHealthTuning): LocalHealth {
  const level = Math.min(decayLocalHealth(h, nowMs, t).level + 1, Math.max(0, t.maxHealthMultiplier - 1));
  return level === 0 ? HEALTHY : { level, sinceMs: nowMs };
}

/** What probe timeouts are multiplied by at `nowMs`: 1 when healthy, at most maxHealthMultiplier. */
export function localHealthMultiplier(h: LocalHealth, nowMs: number, t: LocalHealthTuning): number {
  return Math.min(decayLocalHealth(h, nowMs, t).level + 1, Math.max(1, t.maxHealthMultiplier));
}

/**
 * The deadline of a suspicion that was pending while this member stalled: at least `graceMs` after waking
 * (one heartbeat interval), never earlier than it was. Its Acks, or the suspect's own heartbeats, may be
 * queued unread in our socket — the adapter's judging tick can run before the socket is read again — and
 * a suspect that stalled with us (one overloaded host) speaks as soon as it wakes. Not a whole new probe
 * window: when the suspect really crashed, this monitor's judgement is late by the grace only.
 *
 * Once per suspicion (`graced`: it had its grace already): after one wake-up the socket has been read,
 * so what was queued has been heard. A starved member (every wake-up over the stall threshold late, as
 * forty speakers on two cores are) otherwise moved the deadline past its next wake-up every time, and
 * never declared a crashed peer.
 */
export function deadlineAfterStall(o: { readonly deadlineMs: number; readonly nowMs: number; readonly graceMs: number; readonly graced?: boolean }): number {
  return o.graced ? o.deadlineMs : Math.max(o.deadlineMs, o.nowMs + o.graceMs);
}

/**
 * When a peer's silence counts from after this member stalled: the peer is not blamed for the time we
 * slept through (`lateMs`, how late our timer fired — datagrams that arrived meanwhile may still sit
 * unread), and at most from one interval before waking, as a single long stall always was. The silence
 * before the stall still counts: restarting the clock from waking on every late timer meant that a
 * starved member, late on every wake-up, never suspected a crashed peer at all.
 */
export function silenceAfterStall(o: { readonly heardAtMs: number; readonly nowMs: number; readonly lateMs: number; readonly intervalMs: number }): number {
  return Math.min(Math.max(o.heardAtMs, o.nowMs - o.intervalMs), o.heardAtMs + o.lateMs);
}
