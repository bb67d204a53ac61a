import type { MembershipView, PeerTransition } from '@herald/core';
import { recordedMembershipMetrics, type MembershipMetricCall } from './membershipMetricCalls.js';
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
  /** The view is sent on every transition and this often besides (round trips, heartbeatsMissing come with time). */
  readonly viewRefreshMs: number;
  /** Metric calls are batched this long before they are sent. */
  readonly metricsFlushMs: number;
  readonly timers: Timers;
}

/** How often the worker looks whether the peer list became known. */
const LISTED_LOOK_MS = 100;

/**
 * What the membership worker thread sends the main thread (MembershipWorker): the view on every transition
 * and every viewRefreshMs, the moment the peer list is known, and the metric calls Membership makes, batched.
 */
export class MembershipThreadOutbox {
  readonly metrics: MembershipMetrics;
  private readonly sent = new SentView();
  private calls: MembershipMetricCall[] = [];
  private flushTimer: unknown;
  private refreshTimer: unknown;
  private listedTimer: unknown;
  private listed = false;
  private source: MembershipViewSource | undefined;

  constructor(private readonly o: MembershipThreadOutboxOptions) {
    this.metrics = recordedMembershipMetrics((call) => {
      this.calls.push(call);
      this.flushTimer ??= this.o.timers.setTimeout(() => this.flushMetrics(), this.o.metricsFlushMs);
    });
  }

  /** The first message: membership runs (its metrics are this outbox's). Then the periodic refresh and the look at the listed mark. */
  start(source: MembershipViewSource): void {
    this.source = source;
    this.listed = source.peersListed();
    this.o.post({ type: 'started', view: this.sent.pack(source.view()), peersListed: this.listed });
    this.refresh();
    this.lookListed();
  }

  /** A transition: sent at once. */
  change(view: MembershipView, transitions: readonly PeerTransition[]): void {
    this.o.post({ type: 'view', view: this.sent.pack(view), transitions, peersListed: this.source?.peersListed() ?? false });
  }

  /** The timers end; metric calls not sent yet are sent now. */
  stop(): void {
    this.source = undefined;
    this.o.timers.clearTimeout(this.refreshTimer);
    this.o.timers.clearTimeout(this.listedTimer);
    this.o.timers.clearTimeout(this.flushTimer);
    this.flushMetrics();
  }

  flushMetrics(): void {
    this.flushTimer = undefined;
    if (this.calls.length === 0) return;
    this.o.post({ type: 'metrics', calls: this.calls });
    this.calls = [];
  }

  private refresh(): void {
    this.refreshTimer = this.o.timers.setTimeout(() => {
      const source = this.source;
      if (!source) return;
      this.o.post({ type: 'view', view: this.sent.pack(source.view()), transitions: [], peersListed: source.peersListed() });
      this.refresh();
    }, this.o.viewRefreshMs);
  }

  // The peer list becoming known is no view transition, and the readiness gate waits for it: told at once.
  private lookListed(): void {
    this.listedTimer = this.o.timers.setTimeout(() => {
      const source = this.source;
      if (!source) return;
      if (source.peersListed() !== this.listed) {
        this.listed = source.peersListed();
        this.o.post({ type: 'view', view: this.sent.pack(source.view()), transitions: [], peersListed: this.listed });
      }
      this.lookListed();
    }, LISTED_LOOK_MS);
  }
}
