import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  ANNOTATION, Allocator, GROUP, LBAddressSync, VERSION, advertisementsForPool, currentIngress, formatAddress, lbAddressName, parseAddress, planService, planWriteRetry, sameList, serviceKey, validatePools, writeFailureReason,
  type Condition, type ForgetPlan, type IPAddress, type IPAddressPool, type L2Advertisement, type LBAddress, type PlannedEvent, type PoolVerdict, type ServiceObject,
  type ServicePlan, type ServiceView, type ServiceWorld,
} from '@herald/core';
import type { Logger } from 'pino';
import { isFenced, Reflector, sleep, withoutManagedFields, type ChangeType, type KubeObject } from '@herald/kube';
import { projectLBAddress, projectNamespace, projectService } from '../kube/cacheProjections.js';
import type { KubeWriter } from '../kube/kubeWriter.js';
import type { ServiceStatusWriter } from '../kube/serviceStatusWriter.js';
import type { ControllerMetrics } from '../metrics.js';
import { conditionsDiffer, findCondition, mergeConditions, type ConditionInput } from './conditions.js';
import { desiredPoolStatus } from './poolStatus.js';

type Service = k8s.V1Service & KubeObject;
type Namespace = k8s.V1Namespace & KubeObject;
type Pool = IPAddressPool & KubeObject;
type Ad = L2Advertisement & KubeObject;
type Address = LBAddress & KubeObject;

const LIVENESS_WINDOW_MS = 60_000;
/** Pool status counts (ASSIGNED, AVAILABLE) are written at most this often per pool. */
const POOL_COUNTS_INTERVAL_MS = 1_000;

export interface ServiceControllerOptions {
  kubeConfig: k8s.KubeConfig;
  log: Logger;
  metrics: ControllerMetrics;
  writer: KubeWriter;
  /** Every Service status write goes through it: coalesced per Service, backed off per Service. */
  statusWriter: ServiceStatusWriter;
  lbClass: string | undefined;
  /** Backoff bounds for LBAddress and pool status writes (the same policy as Service status). */
  writeBackoff: { initialMs: number; maxMs: number };
}

/** What herald wants a Service to show (from the plan), and the event its write makes. */
interface DesiredServiceState {
  readonly ingress: string[];
  readonly pool: string | undefined;
  readonly conditions: ConditionInput[];
  readonly transition: PlannedEvent | undefined;
}

/** The fingerprint of a Service whose status herald is clearing (or has cleared). */
const RELEASED = 'released';

interface Written {
  resourceVersion: string | undefined;
  fingerprint: string;
  /** True until this fingerprint's writes have finished: echoes meanwhile show a half-written Service. */
  inFlight?: boolean;
  /** resourceVersions our own writes for this fingerprint produced; their echoes need no second look. */
  ours?: Set<string>;
}

/**
 * Keeps every LoadBalancer Service's address, conditions and annotation, the LBAddress objects and the
 * pool status in line with the pools. Caches are always warm (hot standby); only `lead()` writes.
 * Decisions come from core (planService, validatePools); this class gathers facts and applies plans.
 */
export class ServiceController {
  private readonly services: Reflector<Service>;
  private readonly namespaces: Reflector<Namespace>;
  private readonly pools: Reflector<Pool>;
  private readonly ads: Reflector<Ad>;
  private readonly addresses: Reflector<Address>;
  private allocator = new Allocator();
  /** Which LBAddress objects the next syncCluster compares: what changed since the last one, not all of them. */
  private lbSync = new LBAddressSync(this.allocator);
  private verdicts: ReadonlyMap<string, PoolVerdict> = new Map();
  private readonly queue = new Set<string>();
  private readonly pending = new Set<string>();
  private readonly written = new Map<string, Written>();
  private readonly aliasWarned = new Set<string>();
  /** Pools whose metric series we export, so a deleted pool's series can be removed. */
  private exported = new Set<string>();
  private poolsDirty = true;
  private clusterDirty = true;
  /** True while the writes of the last syncCluster run: the next one plans against the caches they update. */
  private clusterWriting = false;
  private clusterSyncs = 0;
  private leading = false;
  private synced = false;
  private firstPassDone = false;
  private wake: (() => void) | undefined;
  /** Monotonic time the leader's loop (or, during the first pass, its writes) last made progress. */
  private lastLoop = performance.now();
  private clusterWriteFailures = 0;
  private clusterRetry: ReturnType<typeof setTimeout> | undefined;
  private readonly poolCountsWrittenAt = new Map<string, number>();
  private poolCountsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: ServiceControllerOptions) {
    const kc = o.kubeConfig;
    // Each Reflector lists its path in pages of plain JSON and caches a projection (what this class reads).
    const common = { kubeConfig: kc, log: o.log, project: withoutManagedFields };
    const restarts = (resource: string) => (reason: string) => o.metrics.watchRestarts.inc({ resource, reason });
    this.services = new Reflector<Service>({ ...common, resource: 'services', path: '/api/v1/services', project: projectService, onChange: (t, s) => this.onService(t, s), onRestart: restarts('services') });
    this.namespaces = new Reflector<Namespace>({ ...common, resource: 'namespaces', path: '/api/v1/namespaces', project: projectNamespace, onChange: (t, n, p) => this.onNamespace(t, n, p), onRestart: restarts('namespaces') });
    this.pools = new Reflector<Pool>({ ...common, resource: 'ipaddresspools', path: `/apis/${GROUP}/${VERSION}/ipaddresspools`, onChange: (t, p, prev) => this.onPool(t, p, prev), onRestart: restarts('ipaddresspools') });
    this.ads = new Reflector<Ad>({ ...common, resource: 'l2advertisements', path: `/apis/${GROUP}/${VERSION}/l2advertisements`, onChange: () => this.markAllServices(), onRestart: restarts('l2advertisements') });
    this.addresses = new Reflector<Address>({ ...common, resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, project: projectLBAddress, onChange: (t, a, p) => this.onLBAddress(t, a, p), onRestart: restarts('lbaddresses') });
  }

  /** Starts every watch; resolves when all caches hold a full list. */
  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.namespaces.start(), this.pools.start(), this.ads.start(), this.addresses.start()]);
    this.synced = true;
  }

  stop(): void {
    for (const r of [this.services, this.namespaces, this.pools, this.ads, this.addresses]) r.stop();
    this.wake?.();
  }

  /** Readiness: a standby once its caches are synced; the leader once its first full pass is done. */
  ready(): boolean {
    return this.synced && (!this.leading || this.firstPassDone);
  }

  /** Liveness: a standby while it serves; the leader while its loop progressed within the last 60 s. */
  healthy(): boolean {
    return !this.leading || performance.now() - this.lastLoop < LIVENESS_WINDOW_MS;
  }

  private beat(): void {
    this.lastLoop = performance.now();
  }

  /** Waits for the writer to go idle; while its writes keep finishing, that counts as the loop's progress. */
  private async drainWrites(): Promise<void> {
    let idle = false;
    const done = this.o.writer.idle().then(() => (idle = true));
    let settled = this.o.writer.settled;
    while (!idle) {
      await Promise.race([done, sleep(1_000)]);
      if (this.o.writer.settled !== settled) this.beat();
      settled = this.o.writer.settled;
    }
  }

  // ---- facts in -------------------------------------------------------------------------------

  private enqueue(key: string): void {
    this.queue.add(key);
    this.wake?.();
  }

  private markAllServices(): void {
    for (const key of this.services.store.keys()) this.queue.add(key);
    this.clusterDirty = true;
    this.wake?.();
  }

  private onService(type: ChangeType, svc: Service): void {
    const key = serviceKey(svc as ServiceObject);
    if (type === 'deleted') this.written.delete(key);
    this.enqueue(key);
  }

  private onNamespace(type: ChangeType, ns: Namespace, previous: Namespace | undefined): void {
    if (type === 'updated' && JSON.stringify(ns.metadata?.labels ?? {}) === JSON.stringify(previous?.metadata?.labels ?? {})) return;
    const prefix = `${ns.metadata?.name}/`;
    for (const key of this.services.store.keys()) if (key.startsWith(prefix)) this.queue.add(key);
    this.wake?.();
  }

  private onPool(type: ChangeType, pool: Pool, previous: Pool | undefined): void {
    // Our own status writes come back as updates; only spec and labels change allocation.
    if (type === 'updated' && JSON.stringify(pool.spec) === JSON.stringify(previous?.spec) && JSON.stringify(pool.metadata?.labels) === JSON.stringify(previous?.metadata?.labels)) return;
    this.poolsDirty = true;
    this.markAllServices();
  }

  private onLBAddress(type: ChangeType, a: Address, previous: Address | undefined): void {
    // A spec that is not what herald wrote (or an object come or gone) is compared again on the next sync;
    // our own writes come back here too and compare equal.
    const specChanged = type !== 'updated' || JSON.stringify(a.spec ?? {}) !== JSON.stringify(previous?.spec ?? {});
    // The Announced condition of the Services on it follows the speaker's status.
    const statusChanged = type !== 'updated' || JSON.stringify(a.status ?? {}) !== JSON.stringify(previous?.status ?? {});
    if (!specChanged && !statusChanged) return;
    if (specChanged) {
      this.lbSync.touch(a.metadata?.name as string);
      this.clusterDirty = true;
    }
    if (statusChanged) for (const s of [...(a.spec?.services ?? []), ...(previous?.spec?.services ?? [])]) this.queue.add(`${s.namespace}/${s.name}`);
    this.wake?.();
  }

  // ---- the active replica's loop ---------------------------------------------------------------

  /** Runs while this replica leads: re-claims every assigned address first, then follows changes. */
  async lead(signal: AbortSignal): Promise<void> {
    // A standby promoted after a long wait must not look stalled: its heartbeat starts now.
    this.beat();
    this.leading = true;
    this.firstPassDone = false;
    this.allocator = new Allocator();
    this.lbSync = new LBAddressSync(this.allocator);
    this.written.clear();
    this.o.statusWriter.dropAll();
    this.refreshPools();
    const keys = [...this.services.store.keys()].sort();
    const hasAddress = (k: string) => currentIngress(this.services.store.get(k) ?? {}).length > 0;
    // Already-assigned Services re-claim their addresses before anything new is handed out.
    for (const key of [...keys.filter(hasAddress), ...keys.filter((k) => !hasAddress(k))]) this.reconcile(key);
    this.beat();
    await this.drainWrites();
    this.syncCluster();
    await this.drainWrites();
    this.firstPassDone = true;
    this.o.log.info({ event: 'initialSyncDone', services: keys.length, assigned: this.allocator.assignedServices() }, 'initial pass done');
    while (!signal.aborted) {
      this.beat();
      const clusterDue = this.clusterDirty && !this.clusterWriting;
      if (this.queue.size === 0 && !this.poolsDirty && !clusterDue) {
        await new Promise<void>((resolve) => {
          // Every way out removes the others: an abort listener left behind per idle wait piled up into
          // MaxListenersExceededWarning.
          const done = () => {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const t = setTimeout(done, 10_000);
          this.wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
        this.wake = undefined;
        continue;
      }
      if (this.poolsDirty) this.refreshPools();
      const batch = [...this.queue].sort();
      this.queue.clear();
      for (const key of batch) this.reconcile(key);
      // LBAddress objects and pool counts follow, one sync at a time; Service status writes do not wait for
      // them (nor they for the status writes), so a burst of new Services is not held up by bookkeeping.
      if (this.clusterDirty && !this.clusterWriting) this.syncCluster();
      // Yield so watch events (including our own writes coming back) are handled between batches.
      await new Promise((r) => setImmediate(r));
    }
    // Whatever is still queued or backing off was decided by a leader that no longer is one.
    this.o.statusWriter.dropAll();
    this.leading = false;
  }

  private refreshPools(): void {
    const objects = [...this.pools.store.values()];
    const { pools, verdicts } = validatePools(objects);
    this.allocator.setPools(pools);
    // A pool edit may move addresses between pools or owners: compare every object once.
    this.lbSync.compareAll();
    this.verdicts = verdicts;
    this.poolsDirty = false;
    this.clusterDirty = true;
    for (const v of verdicts.values()) this.o.metrics.poolValid.set({ pool: v.pool }, v.valid ? 1 : 0);
    // A deleted pool's series go with it, or HeraldAddressPoolInvalid would fire for it forever.
    for (const pool of this.exported) {
      if (verdicts.has(pool)) continue;
      this.o.metrics.poolValid.remove({ pool });
      for (const family of ['IPv4', 'IPv6']) {
        this.o.metrics.poolAddresses.remove({ pool, family });
        this.o.metrics.poolInUse.remove({ pool, family });
      }
    }
    this.exported = new Set(verdicts.keys());
  }

  /** Facts in, plan out, plan applied: the decisions are planService's (core, table-tested). */
  private reconcile(key: string): void {
    const end = this.o.metrics.reconcileDuration.startTimer();
    try {
      const svc = this.services.store.get(key);
      const plan = planService(this.world(svc), key, svc as unknown as ServiceView | undefined);
      this.follow(plan, svc);
      if (plan.kind === 'forget') return this.forget(key, svc, plan);
      this.apply(svc as Service, { ingress: plan.status.ingress, pool: plan.pool, conditions: plan.status.conditions, transition: plan.transition }, plan.reason);
    } finally {
      end();
    }
  }

  private world(svc: Service | undefined): ServiceWorld {
    return {
      allocator: this.allocator,
      lbClass: this.o.lbClass,
      namespaceLabels: (svc && this.namespaces.store.get(svc.metadata?.namespace as string)?.metadata?.labels) ?? {},
      hasAdvertisement: (pool) => {
        const poolObj = this.pools.store.get(pool);
        return poolObj ? advertisementsForPool({ name: pool, labels: poolObj.metadata?.labels }, [...this.ads.store.values()]).length > 0 : false;
      },
      lbAddressOf: (a) => this.addresses.store.get(lbAddressName(a)),
    };
  }

  /** What follows any plan: release events, deprecations, LBAddress sync, and Services waiting on a changed address. */
  private follow(plan: ServicePlan, svc: Service | undefined): void {
    for (const r of plan.released) {
      this.o.metrics.addressesReleased.inc({ reason: r.reason });
      this.o.log.warn({ event: 'addressReleased', service: plan.key, address: formatAddress(r.address), reason: r.reason, detail: r.detail }, 'address taken back');
    }
    for (const e of plan.events) {
      if (e.once !== undefined) {
        if (this.aliasWarned.has(e.once)) continue;
        this.aliasWarned.add(e.once);
      }
      if (svc) this.o.writer.event(this.target(svc), e.type, e.reason, e.message);
    }
    if (plan.addressesChanged) this.clusterDirty = true;
    if (plan.kind === 'manage' && plan.waiting) this.pending.add(plan.key);
    else this.pending.delete(plan.key);
    if (plan.retryWaiting) this.retryPending(plan.key);
  }

  /** Services that failed for want of an address get another go once some address's users changed. */
  private retryPending(except: string): void {
    for (const k of this.pending) if (k !== except) this.queue.add(k);
  }

  /** A Service that is gone, or no longer ours: its addresses were freed by the plan; clear what we wrote on it. */
  private forget(key: string, svc: Service | undefined, plan: ForgetPlan): void {
    if (!svc) return this.o.statusWriter.forget(key);
    if (!plan.clear) return;
    // A LoadBalancer of another class belongs to another controller (perhaps another herald, which applies
    // as the same field manager): never clear it. The class of a LoadBalancer cannot change, so a Service
    // herald handled leaves it only by changing type, and is cleared then.
    if (svc.spec?.type === 'LoadBalancer') return;
    // Something herald wrote is still there: its conditions, or an address next to the pool annotation of an
    // older herald. (The annotation itself stays: herald may no longer write Service metadata.)
    const heraldConditions = ((svc.status?.conditions ?? []) as unknown as Condition[]).filter((c) => c.type.startsWith('herald.dev/'));
    const ours = heraldConditions.length > 0 || (currentIngress(svc).length > 0 && svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool] !== undefined);
    if (!ours) return;
    const rv = svc.metadata?.resourceVersion;
    const last = this.written.get(key);
    // Echoes of our own clearing writes, or a clearing still under way: nothing new to do.
    if (last?.fingerprint === RELEASED && (last.inFlight || last.resourceVersion === rv || (rv !== undefined && last.ours?.has(rv)))) return;
    const entry: Written = { resourceVersion: rv, fingerprint: RELEASED, inFlight: true, ours: new Set() };
    this.written.set(key, entry);
    this.o.log.info({ event: 'addressReleased', service: key, reason: plan.why }, 'Service no longer handled by herald; clearing its status');
    const target = { namespace: svc.metadata?.namespace as string, name: svc.metadata?.name as string, uid: svc.metadata?.uid, resourceVersion: rv };
    void this.o.statusWriter.release(target, heraldConditions.map((c) => c.type)).then((r) => {
      if (r.outcome === 'written' && r.resourceVersion) entry.ours?.add(r.resourceVersion);
      entry.inFlight = false;
    });
  }

  private target(svc: Service) {
    return { kind: 'Service' as const, name: svc.metadata?.name as string, namespace: svc.metadata?.namespace, uid: svc.metadata?.uid };
  }

  /** Compares desired with what the Service shows (or what we last wrote) and hands at most one write to the status writer. */
  private apply(svc: Service, desired: DesiredServiceState, reason: string): void {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    // A digest, not the JSON itself: one is kept per Service, and with 10,000 Services the JSON (the
    // conditions' messages name the address) was 4 MiB of the heap. Only equality is ever asked of it.
    const fingerprint = createHash('sha1').update(JSON.stringify({ ingress: desired.ingress, pool: desired.pool, conditions: desired.conditions })).digest('base64');
    const last = this.written.get(key);
    const rv = svc.metadata?.resourceVersion;
    // An echo of a state older than our write (watch events can trail the write's response) must not be
    // written a second time.
    if (last && last.fingerprint === fingerprint && (last.inFlight || last.resourceVersion === rv || (rv !== undefined && last.ours?.has(rv)))) return;
    const existing = (svc.status?.conditions ?? []) as unknown as Condition[];
    const ingressChanged = !sameList(currentIngress(svc), desired.ingress);
    const conditionsChanged = conditionsDiffer(existing, desired.conditions);
    // herald.dev/allocated-from-pool is no longer written (the controller may write Service status only);
    // the pool is in the AddressAssigned condition and the LBAddress. An old annotation is left in place.
    if (!ingressChanged && !conditionsChanged) {
      this.written.set(key, { resourceVersion: svc.metadata?.resourceVersion, fingerprint });
      return;
    }
    if (desired.transition) this.transition(svc, desired.transition, reason, desired.ingress);
    const entry: Written = { resourceVersion: rv, fingerprint, inFlight: true, ours: new Set() };
    this.written.set(key, entry);
    // Only herald's own conditions: server-side apply merges them by type with everyone else's.
    const ours = new Set(desired.conditions.map((c) => c.type));
    const status = {
      loadBalancer: { ingress: desired.ingress.map((ip) => ({ ip })) },
      conditions: mergeConditions(existing, desired.conditions, new Date().toISOString()).filter((c) => ours.has(c.type)),
    };
    const target = { namespace: svc.metadata?.namespace as string, name: svc.metadata?.name as string, uid: svc.metadata?.uid, resourceVersion: rv };
    void this.o.statusWriter.apply(target, status).then((r) => {
      if (r.outcome === 'written') {
        if (r.resourceVersion) entry.ours?.add(r.resourceVersion);
        entry.inFlight = false;
      } else if (r.outcome === 'stopped') {
        // Refused content: look again (and write again) only when the Service changes.
        entry.inFlight = false;
      } else if (this.written.get(key) === entry) {
        // Replaced, gone or dropped: the next look at this Service decides afresh.
        this.written.delete(key);
      }
    });
  }

  private transition(svc: Service, event: PlannedEvent, reason: string, ingress: string[]): void {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    if (event.type === 'Normal') {
      this.o.log.info({ event: 'addressAssigned', service: key, addresses: ingress, detail: event.message }, 'address assigned');
    } else {
      this.o.metrics.allocationFailures.inc({ reason });
      this.o.log.warn({ event: 'addressNotAssigned', service: key, reason, detail: event.message }, 'no address for Service');
    }
    this.o.writer.event(this.target(svc), event.type, event.reason, event.message);
  }

  /** LBAddress objects and pool status follow the allocator; run after the writes of a batch. */
  private syncCluster(): void {
    this.clusterDirty = false;
    const plan = this.lbSync.plan(this.addresses.store as ReadonlyMap<string, LBAddress>);
    const writes: Promise<unknown>[] = [];
    let failed = false;
    const fail = (what: string) => (e: Error) => {
      // Refused because leadership is gone: the new leader owns these objects now.
      if (isFenced(e)) return;
      failed = true;
      // Whatever happens next (the watch catching up, a retry), this object is compared again.
      if (!what.startsWith('pool ')) this.lbSync.touch(what);
      this.clusterWriteFailed(what, e);
    };
    const owner = (pool: string) => {
      const uid = this.pools.store.get(pool)?.metadata?.uid;
      return uid ? { name: pool, uid } : undefined;
    };
    for (const c of plan.create) writes.push(this.o.writer.createLBAddress(c.name, c.spec, owner(c.spec.pool)).catch(fail(c.name)));
    for (const u of plan.update) writes.push(this.o.writer.patchLBAddressSpec(u.name, u.spec, owner(u.spec.pool)).catch(fail(u.name)));
    for (const d of plan.delete) writes.push(this.o.writer.deleteLBAddress(d).catch(fail(d)));

    this.o.metrics.servicesAssigned.set(this.allocator.assignedServices());
    this.o.metrics.servicesPending.set(this.pending.size);
    for (const pool of this.pools.store.values()) {
      const name = pool.metadata.name;
      const verdict = this.verdicts.get(name);
      if (!verdict) continue;
      const usage = this.allocator.usage(name);
      const { counts, conditions } = desiredPoolStatus(usage, verdict);
      for (const [family, u] of [['IPv4', usage?.v4], ['IPv6', usage?.v6]] as const) {
        this.o.metrics.poolAddresses.set({ pool: name, family }, Number(u?.total ?? 0n));
        this.o.metrics.poolInUse.set({ pool: name, family }, Number(u?.inUse ?? 0n));
      }
      const existing = pool.status ?? {};
      const countsChanged = Object.entries(counts).some(([k, v]) => (existing as Record<string, unknown>)[k] !== v);
      const verdictChanged = conditionsDiffer(existing.conditions ?? [], conditions) || existing.observedGeneration !== pool.metadata.generation;
      if (!countsChanged && !verdictChanged) continue;
      // Counts alone are written at most once per interval: in a burst of new Services they change with every
      // sync, and one pool write per Service was a third of the API server's write load. A verdict goes at once.
      const sinceMs = performance.now() - (this.poolCountsWrittenAt.get(name) ?? -Infinity);
      if (!verdictChanged && sinceMs < POOL_COUNTS_INTERVAL_MS) {
        this.poolCountsLater(POOL_COUNTS_INTERVAL_MS - sinceMs);
        continue;
      }
      this.poolCountsWrittenAt.set(name, performance.now());
      const status = { ...counts, observedGeneration: pool.metadata.generation, conditions: mergeConditions(existing.conditions ?? [], conditions, new Date().toISOString(), pool.metadata.generation) };
      const before = findCondition(existing.conditions, 'Valid');
      if (before && before.status !== (verdict.valid ? 'True' : 'False')) {
        this.o.writer.event({ kind: 'IPAddressPool', name, uid: pool.metadata.uid }, verdict.valid ? 'Normal' : 'Warning', verdict.reason, verdict.message);
      } else if (!before && !verdict.valid) {
        this.o.writer.event({ kind: 'IPAddressPool', name, uid: pool.metadata.uid }, 'Warning', verdict.reason, verdict.message);
      }
      writes.push(this.o.writer.patchPoolStatus(name, status).catch(fail(`pool ${name}`)));
    }
    const sync = ++this.clusterSyncs;
    this.clusterWriting = writes.length > 0;
    void Promise.all(writes).then(() => {
      // A newer sync (a new term of leadership) owns the flag now.
      if (sync === this.clusterSyncs) this.clusterWriting = false;
      // Changes that came in meanwhile are planned now (the loop waits for this while they are pending).
      if (this.clusterDirty) this.wake?.();
      if (failed || this.clusterWriteFailures === 0) return;
      this.o.log.info({ event: 'clusterWritesRecovered', failures: this.clusterWriteFailures }, 'LBAddress and pool status writes succeed again');
      this.clusterWriteFailures = 0;
    });
  }

  /** Plans the pools' counts again once the interval since their last write has passed. */
  private poolCountsLater(delayMs: number): void {
    if (this.poolCountsTimer) return;
    this.poolCountsTimer = setTimeout(() => {
      this.poolCountsTimer = undefined;
      this.clusterDirty = true;
      this.wake?.();
    }, Math.ceil(delayMs));
    this.poolCountsTimer.unref();
  }

  /**
   * LBAddress and pool writes are re-planned as a whole (syncCluster), so they back off as one: a streak of
   * failures waits per planWriteRetry, logs a warning once at the start of the streak, and refused content
   * (422…) waits for the next change instead of a timer. 409/404 mean the cache is behind: re-plan when the
   * watch catches up, as before.
   */
  private clusterWriteFailed(what: string, e: Error): void {
    const code = (e as { code?: number }).code;
    this.o.metrics.writeFailures.inc({ kind: what.startsWith('pool ') ? 'poolStatus' : 'lbaddress', reason: writeFailureReason(code) });
    if (code === 404 || code === 409) {
      // The object changed or vanished under us (the cache is behind): the watch brings the news; re-plan then.
      this.clusterDirty = true;
      return;
    }
    const decision = planWriteRetry({ code, failures: ++this.clusterWriteFailures, initialMs: this.o.writeBackoff.initialMs, maxMs: this.o.writeBackoff.maxMs, jitter: Math.random() });
    const fields = { event: 'clusterWriteFailed', object: what, reason: writeFailureReason(code), code, err: e.message, failures: this.clusterWriteFailures, action: decision.action };
    if (this.clusterWriteFailures === 1) this.o.log.warn(fields, 'LBAddress or pool status write failed');
    else this.o.log.debug(fields, 'LBAddress or pool status write failed again');
    if (decision.action !== 'retry' || this.clusterRetry) return;
    this.clusterRetry = setTimeout(() => {
      this.clusterRetry = undefined;
      this.clusterDirty = true;
      this.wake?.();
    }, decision.delayMs);
    this.clusterRetry.unref();
  }
}

export const parseIngress = (ip: string): IPAddress | undefined => {
  const r = parseAddress(ip);
  return r.ok ? r.value : undefined;
};
