import type { DeadlineBudget, MembershipProtocolSetting, MembershipThreadPriority, PeerTransition, SpeakerLeaseState, ThreadScheduling, ThreadSchedulingRefusalReason } from '@herald/core';
import type { FromAnswerer, ToAnswerer } from '../announce/answerThreadProtocol.js';
import type { LocalMembershipState } from './membership.js';
import type { MembershipMetricCall } from './membershipMetricCalls.js';
import type { PackedView } from './sentView.js';
import type { SpeakerLeaseSeen } from './speakerLeaseWatch.js';

/** What the membership worker thread starts with (workerData): plain data and the main-loop counter. */
export interface MembershipThreadData {
  readonly node: string;
  readonly incarnation: number;
  readonly heartbeat: { readonly address: string; readonly port: number; readonly intervalMs: number; readonly deadAfterMs: number };
  /** The worker reads and watches the key file itself (HeartbeatKeyFile): a rotation needs no main thread. */
  readonly key: { readonly file: string; readonly graceMs: number; readonly pollMs: number };
  /** Per-node Leases, run by the main thread (ThreadLeases ↔ MembershipWorker): their duration. Absent: heartbeats alone. */
  readonly leases?: { readonly durationMs: number };
  readonly initialState: LocalMembershipState;
  readonly protocol: MembershipProtocolSetting;
  readonly log: { readonly level: string; readonly base: Record<string, unknown> };
  readonly mainLoop: { readonly buffer: SharedArrayBuffer; readonly boundMs: number };
  /**
   * The view is sent on every transition and this often besides (round trips, heartbeatsMissing come with
   * time), with the metric calls made meanwhile (MembershipThreadOutbox).
   */
  readonly viewRefreshMs: number;
  /** ARP/NDP are read and answered on this thread for the main thread's announcer (serveAnswers, AnswerPort). */
  readonly answers?: boolean;
  /** --membership-thread-priority: what the thread asks the kernel for first (raiseThisThread). Absent: off. */
  readonly priority?: MembershipThreadPriority;
  /** With priority `deadline`: the budget (--membership-thread-deadline-runtime / -period). Absent: core's default. */
  readonly deadline?: DeadlineBudget;
}

/** Main thread → worker. */
export type ToMembershipThread =
  | { readonly type: 'setLocalState'; readonly state: LocalMembershipState }
  | { readonly type: 'leave'; readonly copies?: number; readonly gapMs?: number }
  // On the same queue as setLocalState: an address is answered here before heartbeats say it is announced.
  | { readonly type: 'answers'; readonly message: ToAnswerer }
  | { readonly type: 'stop' }
  // The main thread's KubeLeases, for the worker's ThreadLeases (in order: the first list's upserts, then synced).
  // Renewals and watch restarts are counted on the main thread, which serves the metrics.
  | { readonly type: 'leaseUpsert'; readonly seen: SpeakerLeaseSeen }
  | { readonly type: 'leaseDelete'; readonly node: string }
  | { readonly type: 'leasesSynced' };

/**
 * Worker → main thread. `view` with no transitions is a refresh: nothing changed that listeners need.
 * Views are packed (SentView): every one must be unpacked, in order. `calls`: the metric calls made since
 * the previous message, folded per series (MembershipMetricBatch); `metrics` carries the last ones at stop.
 */
export type FromMembershipThread =
  | { readonly type: 'started'; readonly view: PackedView; readonly peersListed: boolean }
  | { readonly type: 'failed'; readonly message: string }
  // The thread's kernel id and the scheduling the kernel granted it (absent: as started), sent first.
  | { readonly type: 'scheduling'; readonly tid: number; readonly applied?: ThreadScheduling; readonly refused: readonly ThreadSchedulingRefusalReason[] }
  | { readonly type: 'view'; readonly view: PackedView; readonly transitions: readonly PeerTransition[]; readonly peersListed: boolean; readonly calls?: readonly MembershipMetricCall[] }
  | { readonly type: 'metrics'; readonly calls: readonly MembershipMetricCall[] }
  | { readonly type: 'answers'; readonly message: FromAnswerer }
  | { readonly type: 'left' }
  // ThreadLeases: start this node's Lease and the peers' watch with this state; renew now with this state; stop.
  | { readonly type: 'leasesStart'; readonly state: SpeakerLeaseState }
  | { readonly type: 'leaseState'; readonly state: SpeakerLeaseState }
  | { readonly type: 'leasesStop' }
  | { readonly type: 'stopped' };
