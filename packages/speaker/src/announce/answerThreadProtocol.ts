import type { AnswerChange, IPAddress, MacAddress, ProvisionalAddress, StandbyAddress, WireReason } from '@herald/core';

/**
 * Why a frame was not answered (the `reason` label of herald_speaker_frames_ignored_total): a core
 * decision's, a frame for another station, or — on the answering thread only — a main thread wedged beyond
 * its bound (peers are taking this node's addresses, so its answers stop as its heartbeats do).
 */
export type AnswerIgnoreReason = WireReason | 'OtherHost' | 'MainLoopStalled';

/** What the answering side counts, sent to the main thread's registry in batches: [metric, label, count]. */
export type AnswerCount = readonly ['requestsReceived' | 'repliesSent' | 'gratuitousSent', 'IPv4' | 'IPv6', number] | readonly ['ignored', AnswerIgnoreReason, number] | readonly ['sendErrors', string, number];

/**
 * Main thread (announcer) → answering side: the changes, in order, as one batch per event-loop turn; the
 * standby plan (what to answer at once when a peer dies: standbyPlan), replacing the previous one; and the
 * provisional addresses the main thread's election did not give to this node (released).
 */
export type ToAnswerer =
  | { readonly type: 'changes'; readonly changes: readonly AnswerChange[]; readonly batch: number }
  | { readonly type: 'standby'; readonly plan: readonly (readonly [peer: string, addresses: readonly StandbyAddress[]])[] }
  | { readonly type: 'release'; readonly addresses: readonly ProvisionalAddress[] }
  | { readonly type: 'close' };

/** Answering side → main thread. */
export type FromAnswerer =
  | { readonly type: 'claim'; readonly address: IPAddress; readonly mac: MacAddress; readonly interface: string }
  /** A peer died: these planned addresses are answered and announced now, provisionally, until the announcer confirms. */
  | { readonly type: 'tookOver'; readonly peer: string; readonly addresses: readonly ProvisionalAddress[] }
  | { readonly type: 'counts'; readonly counts: readonly AnswerCount[] }
  /** Every change up to this batch is applied: the addresses it added are answered from now on. */
  | { readonly type: 'applied'; readonly batch: number }
  | { readonly type: 'socketFailed'; readonly interface: string; readonly code: string; readonly message: string }
  | { readonly type: 'closed' };
