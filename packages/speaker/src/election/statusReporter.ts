import {
  DEFAULT_STATUS_WRITE_WINDOW, formatAddress, lbAddressStatusPlan, noOwnerReporter, parseAddress, statusWriteOutcome, statusWritePriority, statusWriteWindow,
  type LBAddress, type LBAddressStatus, type NodeFacts, type OwnerResult, type StatusPlan, type StatusWritePriority, type StatusWriteWindowLimits,
} from '@herald/core';
import { Backoff, type KubeObject } from '@herald/kube';
import type { Logger } from 'pino';
import { projectLBAddress } from '../kube/cacheProjections.js';
import { apiErrorCode, type LBAddressWriter } from '../kube/lbAddressWriter.js';
import type { SpeakerMetrics } from '../metrics.js';
import type { PeerState } from './membershipSource.js';

type Address = LBAddress & KubeObject;
type ServiceLike = { metadata?: { uid?: string } };

/** After a 409, how long to wait for the watch to deliver the newer object before reading it directly. */
const CONFLICT_READ_AFTER_MS = 1_000;

export interface StatusReporterOptions {
  node: string;
  log: Logger;
  metrics: SpeakerMetrics;
  writer: LBAddressWriter;
  /** The LBAddress cache (reflector store): what the API server last told us. */
  addresses: ReadonlyMap<string, Address>;
  /** The Service cache, keyed namespace/name: Events on a Service need its uid. */
  services: ReadonlyMap<string, ServiceLike>;
  /** Status writes in flight at once: from `min`, widened while a backlog waits (statusWriteWindow). */
  window?: StatusWriteWindowLimits;
  /** First and longest wait before retrying a failed write (doubling, with jitter). */
  retry?: { initialMs: number; maxMs: number };
}

interface Announced {
  interface: string;
  mac: string;
  at: string;
}

/** One round of election facts for one address, kept until the next round. */
interface Observed {
  result: OwnerResult;
  heldBy: string[];
  reporter: string | undefined;
}

/**
 * Applies lbAddressStatusPlan to the API server: the one place LBAddress status is written.
 * - idempotent: a write happens only when the plan differs from the cached (or just-written) status;
 * - coalesced: a set of dirty names, so an object is queued at most once, and the plan is recomputed when
 *   its turn comes (the latest facts win, never a stale queued body);
 * - bounded: queue ≤ number of LBAddresses, one write in flight per object, and a window of writes in flight
 *   that widens while a backlog waits and the API server answers promptly, and halves when it throttles
 *   (statusWriteWindow): a takeover of 10,000 addresses drains as fast as the API server allows;
 * - ordered: a write that changes the node a status names (a failover) goes before routine ones
 *   (statusWritePriority), so it never waits behind a backlog of first statuses;
 * - optimistic: every write carries the resourceVersion it was decided on; a 409 waits for the cache to
 *   catch up (or reads once) and decides again;
 * - polite: failures back off per object, and the pump yields to the event loop between writes, so
 *   heartbeats are never starved.
 */
export class StatusReporter {
  private readonly observed = new Map<string, Observed>();
  private readonly announced = new Map<string, Announced>();
  /** Waiting writes, failovers first: a name is in at most one of the two. */
  private readonly urgent = new Set<string>();
  private readonly dirty = new Set<string>();
  private window: number;
  private readonly inFlight = new Set<string>();
  /** Our own write, newer than the cache until the watch delivers it: resourceVersion it replaced → object. */
  private readonly written = new Map<string, { replaced: string; object: Address }>();
  /** A write refused with 409 at this resourceVersion: wait for the watch to bring a newer one (or, once
   *  `timer` has fired, read it) before deciding again. */
  private readonly conflicted = new Map<string, { rv: string; timer: NodeJS.Timeout | undefined }>();
  private readonly retries = new Map<string, { backoff: Backoff; timer: NodeJS.Timeout | undefined }>();
  private pumping = false;
  private stopped = false;

  constructor(private readonly o: StatusReporterOptions) {
    this.window = this.limits().min;
    o.metrics.statusWindow.set(this.window);
  }

  /** The latest election result for an LBAddress (for logs). */
  lastResult(name: string): OwnerResult | undefined {
    return this.observed.get(name)?.result;
  }

  /**
   * One election round: every address with its result. Addresses missing from the round lose their facts
   * (nothing to say about them), and each address whose plan says "write" is queued.
   */
  observe(round: readonly { obj: Address; ip: string; result: OwnerResult }[], nodes: readonly NodeFacts[], peers: ReadonlyMap<string, PeerState>): void {
    const seen = new Set(round.map((r) => r.obj.metadata.name));
    const removed = [...this.observed.keys()].filter((name) => !seen.has(name));
    this.observeChanges(round, removed, noOwnerReporter(nodes), heldIndex(peers));
  }

  /**
   * Part of a round: the addresses whose result, holders or reporter changed, and those that left the
   * election. The rest keep what they were observed with.
   */
  observeChanges(
    changed: readonly { obj: Address; ip: string; result: OwnerResult }[],
    removed: readonly string[],
    reporter: string | undefined,
    held: ReadonlyMap<string, readonly string[]>,
  ): void {
    for (const name of removed) this.observed.delete(name);
    for (const { obj, ip, result } of changed) {
      const name = obj.metadata.name;
      this.observed.set(name, { result, reporter, heldBy: [...(held.get(ip) ?? [])] });
      this.markIfDue(name);
    }
    this.pump();
  }

  /** The LBAddress object changed (its status, maybe someone else's write): decide again on what it says now. */
  recheck(name: string): void {
    if (!this.observed.has(name)) return;
    this.markIfDue(name);
    this.pump();
  }

  /** This node sent its first gratuitous packet for the address: from now on its status may name this node. */
  announcedOn(name: string, a: Announced): void {
    this.announced.set(name, a);
    this.markIfDue(name);
    this.pump();
  }

  stoppedAnnouncing(name: string): void {
    this.announced.delete(name);
  }

  /** The LBAddress is gone: drop everything about it. */
  forget(name: string): void {
    this.observed.delete(name);
    this.announced.delete(name);
    this.dirty.delete(name);
    this.urgent.delete(name);
    this.written.delete(name);
    clearTimeout(this.conflicted.get(name)?.timer);
    this.conflicted.delete(name);
    clearTimeout(this.retries.get(name)?.timer);
    this.retries.delete(name);
    this.queueChanged();
  }

  stop(): void {
    this.stopped = true;
    for (const r of [...this.retries.values(), ...this.conflicted.values()]) clearTimeout(r.timer);
    this.retries.clear();
    this.conflicted.clear();
  }

  /** Sizes of every map, for tests and benchmarks that check nothing grows without bound. */
  sizes(): { observed: number; announced: number; dirty: number; inFlight: number; written: number; conflicted: number; retries: number } {
    return { observed: this.observed.size, announced: this.announced.size, dirty: this.dirty.size + this.urgent.size, inFlight: this.inFlight.size, written: this.written.size, conflicted: this.conflicted.size, retries: this.retries.size };
  }

  /** The status as this node last knew it: its own write when the cache has not caught up yet. */
  private current(name: string): Address | undefined {
    const cached = this.o.addresses.get(name);
    const w = this.written.get(name);
    if (w && cached?.metadata.resourceVersion === w.replaced) return w.object;
    this.written.delete(name);
    return cached;
  }

  /**
   * Remembers what this node wrote (or read) while the cache still holds the version it replaced. When the
   * watch has already moved the cache on, nothing is kept: current() would never return the copy, and with
   * thousands of owned addresses nothing else would drop it (~750 bytes each, bench/speaker/heapBreakdown.ts).
   */
  private keepWritten(name: string, replaced: string, object: Address): void {
    if ((this.o.addresses.get(name)?.metadata.resourceVersion ?? '') !== replaced) {
      this.written.delete(name);
      return;
    }
    this.written.set(name, { replaced, object: projectLBAddress(object) });
  }

  private plan(name: string): StatusPlan {
    const obj = this.current(name);
    const seen = this.observed.get(name);
    if (!obj || !seen) return { write: false, why: 'NotOwner' };
    return lbAddressStatusPlan({
      self: this.o.node,
      current: obj.status,
      election: { owner: seen.result.owner?.node, reason: seen.result.reason, message: seen.result.message },
      announced: this.announced.get(name),
      heldBy: seen.heldBy,
      reporter: seen.reporter,
      now: new Date().toISOString(),
    });
  }

  private limits(): StatusWriteWindowLimits {
    return this.o.window ?? DEFAULT_STATUS_WRITE_WINDOW;
  }

  /** Queues the address when its plan says "write", failovers first. */
  private markIfDue(name: string): void {
    const plan = this.plan(name);
    if (plan.write) this.mark(name, statusWritePriority(plan));
  }

  /** The priority the address would be written with now (a retry keeps a failover's place). */
  private priorityNow(name: string): StatusWritePriority {
    const plan = this.plan(name);
    return plan.write ? statusWritePriority(plan) : 'Routine';
  }

  private mark(name: string, priority: StatusWritePriority): void {
    // A pending retry already owns the next attempt; after a 409, wait for the watch (or the fallback timer).
    if (this.retries.get(name)?.timer) return;
    const c = this.conflicted.get(name);
    if (c?.timer && c.rv === this.o.addresses.get(name)?.metadata.resourceVersion) return;
    if (priority === 'OwnerChanged') {
      this.dirty.delete(name);
      this.urgent.add(name);
    } else if (!this.urgent.has(name)) this.dirty.add(name);
    this.queueChanged();
  }

  private queueChanged(): void {
    this.o.metrics.statusQueue.set(this.dirty.size + this.urgent.size);
  }

  private pump(): void {
    if (this.pumping || this.stopped) return;
    for (const queue of [this.urgent, this.dirty]) {
      for (const name of queue) {
        if (this.inFlight.size >= this.window) break;
        if (this.inFlight.has(name)) continue;
        queue.delete(name);
        this.start(name);
      }
    }
    this.queueChanged();
  }

  /** One write ended: widen or narrow the window of writes in flight (statusWriteWindow). */
  private ended(code: number | undefined, startedAt: number): void {
    const window = statusWriteWindow({
      // A network error's code is a string (ECONNRESET): no HTTP answer at all.
      window: this.window, outcome: statusWriteOutcome(typeof code === 'number' ? code : undefined), latencyMs: performance.now() - startedAt,
      backlog: this.dirty.size + this.urgent.size, limits: this.limits(),
    });
    if (window === this.window) return;
    this.window = window;
    this.o.metrics.statusWindow.set(window);
  }

  /** Runs the next round of the pump on a later turn of the event loop (heartbeats run in between). */
  private pumpSoon(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      this.pump();
    });
  }

  private start(name: string): void {
    const obj = this.current(name);
    const rv = obj?.metadata.resourceVersion;
    if (!obj || !rv) return;
    // What `written` is keyed on: our write stays "newer than the cache" until the cache leaves this version.
    const cachedRv = this.o.addresses.get(name)?.metadata.resourceVersion ?? '';
    const c = this.conflicted.get(name);
    if (c && c.rv !== rv) {
      clearTimeout(c.timer);
      this.conflicted.delete(name);
    } else if (c) {
      if (c.timer) return;
      // Refused at this version and the watch has not brought a newer one: read it once ourselves.
      this.inFlight.add(name);
      this.o.writer.read(name).then(
        (fresh) => {
          this.conflicted.delete(name);
          this.keepWritten(name, cachedRv, fresh as Address);
          this.mark(name, this.priorityNow(name));
        },
        (e: unknown) => this.failed(name, e),
      ).finally(() => this.settled(name));
      return;
    }
    // Decide on the latest facts now, not when the name was queued.
    const plan = this.plan(name);
    if (!plan.write) return;
    this.inFlight.add(name);
    const startedAt = performance.now();
    this.o.writer.patchStatus(name, plan.status, rv).then(
      (object) => {
        this.ended(200, startedAt);
        this.keepWritten(name, cachedRv, object as Address);
        this.retries.delete(name);
        this.wrote(obj, plan);
      },
      (e: unknown) => {
        const code = apiErrorCode(e);
        this.ended(code, startedAt);
        if (code === 404) return this.forget(name);
        if (code === 409) {
          // Someone else wrote first: decide again on what they wrote (the watch delivers it and recompute
          // re-queues; if the cache is still at this version by then, start() reads it once).
          const timer = setTimeout(() => {
            const entry = this.conflicted.get(name);
            if (!entry || this.stopped) return;
            entry.timer = undefined;
            this.mark(name, this.priorityNow(name));
            this.pump();
          }, CONFLICT_READ_AFTER_MS);
          this.conflicted.set(name, { rv, timer });
          this.o.log.debug({ event: 'statusConflict', lbaddress: name, resourceVersion: rv }, 'LBAddress changed since this node decided; deciding again');
          return;
        }
        this.failed(name, e);
      },
    ).finally(() => this.settled(name));
  }

  private settled(name: string): void {
    this.inFlight.delete(name);
    this.pumpSoon();
  }

  private failed(name: string, e: unknown): void {
    // The API may be unreachable: the data plane does not wait for status; retry with backoff.
    this.o.log.debug({ event: 'statusWriteFailed', lbaddress: name, code: apiErrorCode(e), err: (e as Error).message }, 'LBAddress status write failed; will retry');
    this.retryLater(name);
  }

  private retryLater(name: string): void {
    const r = this.retries.get(name) ?? { backoff: new Backoff(this.o.retry?.initialMs ?? 500, this.o.retry?.maxMs ?? 30_000), timer: undefined };
    this.retries.set(name, r);
    clearTimeout(r.timer);
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (this.stopped || !this.o.addresses.has(name)) return;
      this.mark(name, this.priorityNow(name));
      this.pump();
    }, r.backoff.next());
  }

  /** After a successful write: log and record the transition (Events on transitions only). */
  private wrote(obj: Address, plan: StatusPlan & { write: true }): void {
    const ip = obj.spec.address;
    if (plan.kind === 'NoOwner') {
      if (plan.previousNode) this.o.log.info({ event: 'noOwner', address: ip, previousNode: plan.previousNode, reason: plan.status.conditions?.[0]?.reason }, 'nobody announces the address');
      return;
    }
    const s = plan.status as LBAddressStatus;
    if (obj.status?.node === s.node) return;
    const parsed = parseAddress(ip);
    const shown = parsed.ok ? formatAddress(parsed.value) : ip;
    const message = `${shown} is now answered by node ${s.node} on ${s.interface} (${s.mac})${plan.previousNode ? `, previously ${plan.previousNode}` : ''}`;
    this.o.writer.lbAddressEvent(obj.metadata.name, obj.metadata.uid, 'Normal', 'AnnounceStarted', message);
    for (const ref of obj.spec.services ?? []) {
      const svc = this.o.services.get(`${ref.namespace}/${ref.name}`);
      this.o.writer.event({ kind: 'Service', apiVersion: 'v1', name: ref.name, namespace: ref.namespace, uid: svc?.metadata?.uid }, 'Normal', 'AnnounceStarted', message);
    }
  }
}

/** Address (canonical text) → live peers whose heartbeats list it. */
export function heldIndex(peers: ReadonlyMap<string, PeerState>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [name, p] of peers) {
    if (!p.alive) continue;
    for (const a of p.announcing) {
      const list = index.get(a);
      if (list) list.push(name);
      else index.set(a, [name]);
    }
  }
  return index;
}
