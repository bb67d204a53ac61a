import type { MembershipView, PeerTransition } from '@herald/core';
import { MembershipMetricBatch } from './membershipMetricBatch.js';
import { recordedMembershipMetrics } from './membershipMetricCalls.js';
import type { MembershipMetrics } from './membershipMetrics.js';
import type { FromMembershipThread } from './membershipThreadProtocol.js';
import { SentView } from './sentView.js';
import type { Timers } from './timers.js';

/** What the view and the listed mark are read from: the worker's Membership. */
export interface MembershipViewSource {
  view(): MembershipView;
  peersListed(): boolean;
}

export interface MembershipThreadOutboxOptions {
  readonly post: (m: FromMembershipThread) => void;
  /**
   * The view is sent on every transition and this often besides (round trips, heartbeatsMissing come with
   * time), with the metric calls made meanwhile.
   */
  readonly viewRefreshMs: number;
  readonly timers: Timers;
}

/**
 * What the membership worker thread sends the main thread (MembershipWorker). An idle member wakes the
 * main thread once per viewRefreshMs: one message with the view and the metric calls since the last one,
 * folded per series (MembershipMetricBatch). A transition goes at once with the calls made so far; the
 * peer list becoming known goes as soon as the worker is told (lookListed after each message from the
 * main thread), not found by polling. Issue 11 goal 7: the first cut sent the metric calls every 100 ms
 * one entry per call, and looked at the listed mark every 100 ms — 16 wake-ups a second while idle.
 */
export class MembershipThreadOutbox {
  readonly metrics: MembershipMetrics;
  private readonly sent = new SentView();
  private readonly batch = new MembershipMetricBatch();
  private refreshTimer: unknown;
  private listed = false;
  private source: MembershipViewSource | undefined;

  constructor(private readonly o: MembershipThreadOutboxOptions) {
    this.metrics = recordedMembershipMetrics((call) => this.batch.add(call));
  }

  /** The first message: membership runs (its metrics are this outbox's). Then the refresh. */
  start(source: MembershipViewSource): void {
    this.source = source;
    this.listed = source.peersListed();
    this.o.post({ type: 'started', view: this.sent.pack(source.view()), peersListed: this.listed });
    // What starting counted (published interfaces, key loads) is on /metrics from the start.
    if (this.batch.size > 0) this.o.post({ type: 'metrics', calls: this.batch.take() });
    this.refresh();
  }

  /** A transition: sent at once. */
  change(view: MembershipView, transitions: readonly PeerTransition[]): void {
    this.listed = this.source?.peersListed() ?? this.listed;
    this.postView(view, transitions);
  }

  /** The peer list may have become known (the main thread's Leases said so): sent at once if it did. */
  lookListed(): void {
    const source = this.source;
    if (!source || source.peersListed() === this.listed) return;
    this.listed = source.peersListed();
    this.postView(source.view(), []);
  }

  /** The refresh ends; metric calls not sent yet are sent now. */
  stop(): void {
    this.source = undefined;
    this.o.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.batch.size > 0) this.o.post({ type: 'metrics', calls: this.batch.take() });
  }

  private postView(view: MembershipView, transitions: readonly PeerTransition[]): void {
    this.o.post({ type: 'view', view: this.sent.pack(view), transitions, peersListed: this.listed, ...(this.batch.size > 0 ? { calls: this.batch.take() } : {}) });
  }

  private refresh(): void {
    this.refreshTimer = this.o.timers.setTimeout(() => {
      const source = this.source;
      if (!source) return;
      this.listed = source.peersListed();
      this.postView(source.view(), []);
      this.refresh();
    }, this.o.viewRefreshMs);
  }
}
