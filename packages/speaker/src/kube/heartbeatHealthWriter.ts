import * as k8s from '@kubernetes/client-node';
import {
  formatHeartbeatHealthReport, HEARTBEAT_HEALTH_ANNOTATION, HEARTBEAT_HEALTH_REASONS, heartbeatHealth, heartbeatHealthKey, heartbeatHealthOk, heartbeatHealthReport,
  healthWriteAt, speakerLeaseName, type HeartbeatHealth, type HeartbeatHealthReason, type MembershipView,
} from '@herald/core';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { requestTimeout } from '../membership/kubeRequestTimeout.js';
import { monotonicNow, realTimers, type Timers } from '../membership/timers.js';

/** What the writer needs from membership: the stable MembershipView contract and its change signal. */
export interface HealthSource {
  view(): MembershipView;
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
}

export interface HeartbeatHealthWriterOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly namespace: string;
  readonly node: string;
  /** This speaker's incarnation: a reader tells a report left by an earlier process from this one's. */
  readonly incarnation: number;
  readonly membership: HealthSource;
  readonly log: Logger;
  readonly registry: Registry;
  /** A change is written once it has lasted this long (default 2 s): a joining peer is one write, a blip none. */
  readonly settleMs?: number;
  /** Changes cost at most one write per this on average (default 10 s, the Lease renewal interval)... */
  readonly minIntervalMs?: number;
  /** ...after a burst of this many (default 3): a problem and its repair both show at once. */
  readonly burst?: number;
  /** An unchanged health is written again this often, keeping its times fresh (default 60 s). */
  readonly refreshMs?: number;
  readonly retryMs?: number;
  /** How often the view is looked at besides membership changes (default 1 s): round trips and joins are no transitions. */
  readonly checkMs?: number;
  readonly requestTimeoutMs?: number;
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly wallNow?: () => number;
}

export const DEFAULT_HEALTH_SETTLE_MS = 2_000;
export const DEFAULT_HEALTH_MIN_INTERVAL_MS = 10_000;
export const DEFAULT_HEALTH_BURST = 3;
export const DEFAULT_HEALTH_REFRESH_MS = 60_000;

/**
 * Publishes this speaker's heartbeat health (core heartbeatHealth over the membership view) as the
 * annotation herald.dev/heartbeat-health on its own Lease, for `kubectl herald status`. One merge-patch of
 * that one annotation when the health changes (reason, counts, names) and the change lasts settleMs, at
 * most `burst` per burst × minIntervalMs, and a refresh every refreshMs: never a write per heartbeat
 * (healthWriteAt). The Lease itself is NodeLease's; a patch that
 * finds no Lease (not created yet, or just deleted) is retried with backoff like any failed write.
 */
export class HeartbeatHealthWriter {
  private readonly api: k8s.CoordinationV1Api;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly metrics: ReturnType<typeof createHealthMetrics>;
  private readonly onChange = () => this.evaluate();
  private timer: unknown;
  private running = false;
  private inFlight = false;
  private written: { key: string; atMs: number } | undefined;
  private recentWrites: number[] = [];
  private differentSince: number | undefined;
  private failed: { atMs: number; count: number } | undefined;
  private reason: HeartbeatHealthReason | undefined;

  private get burst(): number {
    return this.o.burst ?? DEFAULT_HEALTH_BURST;
  }

  constructor(private readonly o: HeartbeatHealthWriterOptions) {
    this.api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.timers = o.timers ?? realTimers;
    this.now = o.now ?? monotonicNow;
    this.wallNow = o.wallNow ?? Date.now;
    this.metrics = createHealthMetrics(o.registry);
    this.differentSince = this.now();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.membership.on('change', this.onChange);
    this.evaluate();
  }

  stop(): void {
    this.running = false;
    this.o.membership.off('change', this.onChange);
    this.timers.clearTimeout(this.timer);
  }

  private evaluate(): void {
    if (!this.running) return;
    const now = this.now();
    const view = this.o.membership.view();
    const health = heartbeatHealth(view);
    this.noteReason(health);
    const key = heartbeatHealthKey(health);
    if (this.written?.key === key) this.differentSince = undefined;
    else this.differentSince ??= now;
    const at = healthWriteAt({
      key,
      ...(this.written ? { written: this.written } : {}),
      recentWritesMs: this.recentWrites,
      ...(this.differentSince === undefined ? {} : { differentSinceMs: this.differentSince }),
      ...(this.failed ? { failed: this.failed } : {}),
      nowMs: now,
      settleMs: this.o.settleMs ?? DEFAULT_HEALTH_SETTLE_MS,
      minIntervalMs: this.o.minIntervalMs ?? DEFAULT_HEALTH_MIN_INTERVAL_MS,
      burst: this.burst,
      refreshMs: this.o.refreshMs ?? DEFAULT_HEALTH_REFRESH_MS,
      retryMs: this.o.retryMs ?? 1_000,
    });
    const checkMs = this.o.checkMs ?? 1_000;
    if (at <= now && !this.inFlight) void this.write(health, key, view, now);
    this.timers.clearTimeout(this.timer);
    // A write in flight looks again when it ends (write() calls evaluate); the timer is only the fallback.
    this.timer = this.timers.setTimeout(() => this.evaluate(), this.inFlight ? checkMs : Math.max(50, Math.min(checkMs, at - now)));
  }

  /** Gauge and log on a change of the word, whether or not the write that follows succeeds. */
  private noteReason(h: HeartbeatHealth): void {
    if (h.reason === this.reason) return;
    for (const r of HEARTBEAT_HEALTH_REASONS) this.metrics.health.set({ reason: r }, r === h.reason ? 1 : 0);
    const fields = { event: 'heartbeatHealthChanged', reason: h.reason, from: this.reason ?? null, peers: h.peers, heartbeatsBroken: h.heartbeatsBroken, silent: h.silent };
    if (heartbeatHealthOk(h.reason)) this.o.log.info(fields, `heartbeat health: ${h.reason}: ${h.message}`);
    else this.o.log.warn(fields, `heartbeat health: ${h.reason}: ${h.message}`);
    this.reason = h.reason;
  }

  private async write(health: HeartbeatHealth, key: string, view: MembershipView, now: number): Promise<void> {
    this.inFlight = true;
    const wall = this.wallNow();
    const report = heartbeatHealthReport(health, {
      at: new Date(wall).toISOString(),
      incarnation: this.o.incarnation,
      // Monotonic ages placed on the wall clock, as the Lease renewTime is.
      ...(health.lastHeartbeatAgoMs === undefined ? {} : { lastHeartbeatAt: new Date(wall - health.lastHeartbeatAgoMs - (now - view.atMs)).toISOString() }),
    });
    const name = speakerLeaseName(this.o.node);
    try {
      await this.api.patchNamespacedLease(
        { name, namespace: this.o.namespace, body: { metadata: { annotations: { [HEARTBEAT_HEALTH_ANNOTATION]: formatHeartbeatHealthReport(report) } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, requestTimeout(this.o.requestTimeoutMs ?? 5_000)),
      );
      this.written = { key, atMs: now };
      this.recentWrites = [...this.recentWrites, now].slice(-this.burst);
      this.differentSince = undefined;
      this.failed = undefined;
      this.metrics.writes.inc({ result: 'ok' });
      this.o.log.debug({ event: 'heartbeatHealthWritten', lease: `${this.o.namespace}/${name}`, reason: health.reason }, 'heartbeat health written to the speaker Lease');
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.failed = { atMs: this.now(), count: (this.failed?.count ?? 0) + 1 };
      this.metrics.writes.inc({ result: 'error' });
      // The first failures are expected at start (NodeLease has not created the Lease yet): debug, then warn.
      const fields = { event: 'heartbeatHealthWriteFailed', lease: `${this.o.namespace}/${name}`, err: `${(e as Error).message ?? String(e)}${code === undefined ? '' : ` (${String(code)})`}`, failures: this.failed.count };
      if (this.failed.count === 3) this.o.log.warn(fields, 'cannot write the heartbeat health to the speaker Lease');
      else this.o.log.debug(fields, 'cannot write the heartbeat health to the speaker Lease');
    } finally {
      this.inFlight = false;
    }
    this.evaluate();
  }
}

function createHealthMetrics(registry: Registry) {
  const registers = [registry];
  const m = {
    health: new Gauge({ name: 'herald_membership_heartbeat_health', help: 'This speaker\'s heartbeat health: 1 for the current reason (Healthy, Joining, SomePeersUnheard, NoHeartbeats, HeartbeatsBroken)', labelNames: ['reason'], registers }),
    writes: new Counter({ name: 'herald_membership_heartbeat_health_writes_total', help: 'Writes of the heartbeat health annotation to this node\'s speaker Lease, by result', labelNames: ['result'], registers }),
  };
  for (const result of ['ok', 'error']) m.writes.inc({ result }, 0);
  return m;
}
