/**
 * Leader election over a coordination.k8s.io Lease, decided on plain data with client-go's rules:
 * - Expiry is judged from the time *this* process first observed the current version of the record,
 *   plus the holder's leaseDuration — never from the holder's renewTime, which is another machine's wall
 *   clock (a standby whose clock runs ahead would take over from a live leader).
 * - Every time here is monotonic milliseconds (performance.now()), so wall-clock steps change nothing.
 * - A leader that has not renewed successfully within renewDeadline of its last successful write steps
 *   down, before it makes any other call. renewDeadline < leaseDuration, so it stops before any standby
 *   can judge the lease expired (a standby observes a renewal only after the leader sent it).
 * The adapter (leaderElector.ts) reads the Lease, asks here, and writes what this says.
 */

export type LeaseAction = 'create' | 'acquire' | 'renew' | 'wait' | 'stepDown';

export type LeaseReason =
  /** There is no Lease: create it, naming us. */
  | 'LeaseAbsent'
  /** We lead and the record still names us. */
  | 'HeldByUs'
  /** We do not lead, yet the record names us: this identity (same Pod) restarted; take it back at once. */
  | 'HeldByThisIdentity'
  /** The record names nobody (released). */
  | 'NoHolder'
  /** The record has not changed for a whole leaseDuration since this process first saw it. */
  | 'HolderExpired'
  /** Another holder's record changed within leaseDuration of our observation. */
  | 'HeldByOther'
  /** We lead, but the record names someone else: leadership is gone. */
  | 'TakenByOther'
  /** We lead, but no renewal succeeded within renewDeadline of the last one. */
  | 'RenewDeadlineExceeded';

/** The parts of a Lease the decision reads. */
export interface LeaseRecordView {
  /** Changes with every write of the Lease (its resourceVersion); compared as opaque text. */
  readonly version: string;
  readonly holder: string | undefined;
  readonly leaseDurationMs: number;
}

/** A record version and the monotonic time at which this process first saw it. */
export interface LeaseObservation extends LeaseRecordView {
  readonly observedAtMs: number;
}

export interface LeaseDecisionInput {
  readonly identity: string;
  /** Monotonic now. */
  readonly nowMs: number;
  readonly renewDeadlineMs: number;
  /** The Lease as just read; undefined when there is none. */
  readonly record: LeaseRecordView | undefined;
  /** What this process observed before this read. */
  readonly observed: LeaseObservation | undefined;
  /** Monotonic time at which our last successful write of the Lease was sent; undefined while not leading. */
  readonly renewedAtMs: number | undefined;
}

export interface LeaseDecision {
  readonly action: LeaseAction;
  readonly reason: LeaseReason;
  /** The observation to keep for the next decision. */
  readonly observed: LeaseObservation | undefined;
  /** For `wait`: how long until the observed record would expire if nothing changes. */
  readonly expiresInMs?: number;
}

/** True while a leader may still act: its last successful renewal was sent less than renewDeadline ago. */
export function leaseStillHeld(o: { nowMs: number; renewedAtMs: number | undefined; renewDeadlineMs: number }): boolean {
  return o.renewedAtMs !== undefined && o.nowMs - o.renewedAtMs < o.renewDeadlineMs;
}

/** Keeps the first-seen time of an unchanged record; a new version (or holder) starts a new observation. */
export function observeLease(observed: LeaseObservation | undefined, record: LeaseRecordView | undefined, nowMs: number): LeaseObservation | undefined {
  if (!record) return undefined;
  if (observed && observed.version === record.version && observed.holder === record.holder) return observed;
  return { ...record, observedAtMs: nowMs };
}

/** What to do after reading the Lease (or before any call, with the last record, to check the deadline). */
export function decideLease(i: LeaseDecisionInput): LeaseDecision {
  const leading = i.renewedAtMs !== undefined;
  const observed = observeLease(i.observed, i.record, i.nowMs);
  if (leading && !leaseStillHeld(i)) return { action: 'stepDown', reason: 'RenewDeadlineExceeded', observed };
  if (!i.record || !observed) return { action: 'create', reason: 'LeaseAbsent', observed };
  const holder = i.record.holder || undefined;
  if (holder === i.identity) return leading ? { action: 'renew', reason: 'HeldByUs', observed } : { action: 'acquire', reason: 'HeldByThisIdentity', observed };
  if (leading && holder !== undefined) return { action: 'stepDown', reason: 'TakenByOther', observed };
  if (holder === undefined) return { action: 'acquire', reason: 'NoHolder', observed };
  const expiresInMs = observed.observedAtMs + observed.leaseDurationMs - i.nowMs;
  if (expiresInMs <= 0) return { action: 'acquire', reason: 'HolderExpired', observed };
  return { action: 'wait', reason: 'HeldByOther', observed, expiresInMs };
}
