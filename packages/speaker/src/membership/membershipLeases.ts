import type { SpeakerLeaseState } from '@herald/core';
import type { SpeakerLeaseSeen } from './speakerLeaseWatch.js';

/** What Membership gives its Leases: this node's state to publish, and where the peers' Leases go. */
export interface MembershipLeaseHooks {
  /** Read at every renewal. */
  state(): SpeakerLeaseState;
  onUpsert(seen: SpeakerLeaseSeen): void;
  onDelete(node: string): void;
  onRenewal(result: 'ok' | 'error'): void;
  onRestart(reason: 'error' | 'gone' | 'inactive'): void;
  /** Asked before each renewal (the in-process Membership's maySend). */
  mayRenew?(): boolean;
}

/**
 * This node's speaker Lease and the watch on the peers' (ADR 0012): in-process, KubeLeases (NodeLease and
 * SpeakerLeaseWatch on this thread); in the membership worker, ThreadLeases, the main thread's by message,
 * so that the worker loads no Kubernetes client. Membership imports only this interface.
 */
export interface MembershipLeases {
  /** A peer's Lease without a duration lives this long. */
  readonly durationMs: number;
  /** The peers' Leases have been listed once: the peer list is known. */
  readonly synced: boolean;
  start(hooks: MembershipLeaseHooks): void;
  /** The published state changed: renew now. */
  poke(): void;
  stop(): void;
}
