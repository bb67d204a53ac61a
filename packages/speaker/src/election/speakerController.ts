import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  GROUP, VERSION, electOwner, formatAddress, lbAddressName, parseAddress, publishedInterfaces,
  type ElectionResult, type IPAddress, type IPAddressPool, type L2Advertisement, type LBAddress, type LinkFacts, type NodeFacts, type NodeInterface, type ServiceFacts,
} from '@herald/core';
import { Reflector, type KubeObject } from '@herald/kube';
import type { Logger } from 'pino';
import type { Announcement, Announcer } from '../announce/announcer.js';
import type { Claim } from '../announce/interfaceResponder.js';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import type { SpeakerMetrics } from '../metrics.js';
import { ConflictMonitor } from './conflictMonitor.js';
import type { MembershipSource } from './membershipSource.js';
import { StatusReporter } from './statusReporter.js';

type Node = k8s.V1Node & KubeObject;
type Service = k8s.V1Service & KubeObject;
type Slice = k8s.V1EndpointSlice & KubeObject;
type Pool = IPAddressPool & KubeObject;
type Ad = L2Advertisement & KubeObject;
type Address = LBAddress & KubeObject;

export interface SpeakerControllerOptions {
  node: string;
  kubeConfig: k8s.KubeConfig;
  log: Logger;
  metrics: SpeakerMetrics;
  announcer: Announcer;
  writer: LBAddressWriter;
  membership: MembershipSource;
  lbClass: string | undefined;
  /** How long a draining owner keeps answering when it sees no successor's claim (DESIGN: 2 s). */
  handoverTimeoutMs?: number;
  /** This node's heartbeat address: the interface holding it is where off-subnet addresses are announced. */
  heartbeatAddress?: string;
  /**
   * After start, how long to listen before electing, so peers are heard first. Without it a starting
   * speaker sees itself alone, claims everything, and fights the real owners until membership settles.
   */
  startupGraceMs?: number;
}

const sha256 = (text: string) => new Uint8Array(createHash('sha256').update(text).digest());
const key = (a: IPAddress) => `${a.family}:${a.value}`;

/**
 * The speaker's loop: from cached facts (Kubernetes objects, local links, membership) it elects an owner
 * for every LBAddress and makes the announcer match. It reads the API through watches only, so when the
 * API server is unreachable the caches simply stop changing and announcements go on; membership changes
 * (heartbeats) still move addresses.
 */
export class SpeakerController {
  private readonly nodes: Reflector<Node>;
  private readonly services: Reflector<Service>;
  private readonly slices: Reflector<Slice>;
  private readonly pools: Reflector<Pool>;
  private readonly ads: Reflector<Ad>;
  private readonly addresses: Reflector<Address>;
  private links: LinkFacts[] = [];
  private draining = false;
  private drainStartedAt = 0;
  private scheduled = false;
  private synced = false;
  private lastPeerLossAt = 0;
  private readonly handedOver = new Set<string>();
  /** LBAddress status and transition Events (statusReporter.ts); conflicts on the wire (conflictMonitor.ts). */
  readonly status: StatusReporter;
  readonly conflicts: ConflictMonitor;

  constructor(private readonly o: SpeakerControllerOptions) {
    const kc = o.kubeConfig;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const crd = (plural: string) => async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items: never[] };
    const common = { kubeConfig: kc, log: o.log, onChange: () => this.schedule() };
    this.nodes = new Reflector<Node>({ ...common, resource: 'nodes', path: '/api/v1/nodes', list: () => core.listNode() as never });
    this.services = new Reflector<Service>({ ...common, resource: 'services', path: '/api/v1/services', list: () => core.listServiceForAllNamespaces() as never });
    this.slices = new Reflector<Slice>({ ...common, resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices', list: () => discovery.listEndpointSliceForAllNamespaces() as never });
    // Pools and advertisements decide which links are published (publishedInterfaces): re-publish on change.
    const republish = { ...common, onChange: () => { this.publishSoon(); this.schedule(); } };
    this.pools = new Reflector<Pool>({ ...republish, resource: 'ipaddresspools', path: `/apis/${GROUP}/${VERSION}/ipaddresspools`, list: crd('ipaddresspools') });
    this.ads = new Reflector<Ad>({ ...republish, resource: 'l2advertisements', path: `/apis/${GROUP}/${VERSION}/l2advertisements`, list: crd('l2advertisements') });
    this.addresses = new Reflector<Address>({
      ...common, resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, list: crd('lbaddresses'),
      onChange: (type, obj) => {
        if (type === 'deleted') this.forget(obj.metadata.name);
        this.schedule();
      },
    });
    this.status = new StatusReporter({ node: o.node, log: o.log, metrics: o.metrics, writer: o.writer, addresses: this.addresses.store, services: this.services.store });
    this.conflicts = new ConflictMonitor({
      log: o.log, metrics: o.metrics, writer: o.writer, announcer: o.announcer,
      heraldMacs: () => this.heraldMacs(),
      uid: (name) => this.addresses.store.get(name)?.metadata.uid,
      recheck: () => this.schedule(),
    });
    o.membership.onChange(() => this.onMembership());
  }

  async start(): Promise<void> {
    const started = Date.now();
    await Promise.all([this.nodes, this.services, this.slices, this.pools, this.ads, this.addresses].map((r) => r.start()));
    const wait = (this.o.startupGraceMs ?? 1_000) - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.synced = true;
    this.schedule();
  }

  stop(): void {
    for (const r of [this.nodes, this.services, this.slices, this.pools, this.ads, this.addresses]) r.stop();
    this.status.stop();
  }

  ready(): boolean {
    return this.synced;
  }

  setLinks(links: LinkFacts[]): void {
    this.links = links;
    this.publishLocalState();
    this.schedule();
  }

  /** SIGTERM: rank this node last everywhere so successors announce first; resolves when nothing is held. */
  async drain(): Promise<void> {
    this.draining = true;
    this.drainStartedAt = Date.now();
    this.publishLocalState();
    this.schedule();
    const timeout = this.o.handoverTimeoutMs ?? 2_000;
    while (this.o.announcer.announcing().length > 0 && Date.now() - this.drainStartedAt < timeout + 500) {
      await new Promise((r) => setTimeout(r, 20));
      this.recompute();
    }
  }

  /** A claim seen on the wire: a successor taking over (during a drain) or a conflict. */
  onClaim(claim: Claim): void {
    if (this.draining) {
      this.handedOver.add(key(claim.address));
      this.schedule();
      return;
    }
    this.conflicts.onClaim(claim);
  }

  /** An LBAddress was deleted: nothing about it may stay in memory. */
  private forget(name: string): void {
    this.status.forget(name);
    this.conflicts.forget(name);
  }

  private heraldMacs(): Set<string> {
    const macs = new Set<string>();
    for (const a of this.addresses.store.values()) if (a.status?.mac) macs.add(a.status.mac);
    for (const p of this.o.membership.peers().values()) for (const m of p.macs ?? []) macs.add(m);
    return macs;
  }

  private onMembership(): void {
    const peers = this.o.membership.peers();
    for (const [name, p] of peers) {
      const before = this.seenAlive.get(name);
      if (before && !p.alive) this.lastPeerLossAt = Date.now();
      this.seenAlive.set(name, p.alive);
    }
    this.schedule();
  }
  private readonly seenAlive = new Map<string, boolean>();

  private schedule(): void {
    if (this.scheduled || !this.synced) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.recompute();
    });
  }

  /**
   * The links this node elects with and tells peers about: healthy ones that can carry an announced
   * address (publishedInterfaces). The LinkWatcher has already dropped excluded links (pod veths, CNI
   * bridges), so their churn never reaches here; links without a pool subnet are dropped here, so churn
   * of the rest changes neither the heartbeat nor the Lease.
   */
  private publishedLinks(): LinkFacts[] {
    return publishedInterfaces({
      links: this.links,
      exclude: [],
      poolAddresses: [...this.pools.store.values()].flatMap((p) => p.spec?.addresses ?? []),
      advertisedInterfaces: [...this.ads.store.values()].flatMap((a) => a.spec?.interfaces ?? []),
      ...(this.o.heartbeatAddress ? { heartbeatAddress: this.o.heartbeatAddress } : {}),
    }).map((p) => p.link);
  }

  private localInterfaces(): NodeInterface[] {
    return this.publishedLinks().map((l) => ({ name: l.name, subnets: l.subnets }));
  }

  /** Membership trims what does not fit one datagram (fitHeartbeat) and never throws. */
  private publishLocalState(): void {
    this.o.membership.setLocalState({
      draining: this.draining,
      interfaces: this.publishedLinks().map((l) => ({ name: l.name, subnets: [...l.subnets], ...(l.mac ? { mac: l.mac } : {}) })),
      announcing: this.o.announcer.announcing().map((a) => formatAddress(a.address)),
    });
  }

  private nodeFacts(): NodeFacts[] {
    const peers = this.o.membership.peers();
    const out: NodeFacts[] = [];
    for (const n of this.nodes.store.values()) {
      const name = n.metadata?.name as string;
      const networkUnavailable = (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True');
      const labels = n.metadata?.labels ?? {};
      if (name === this.o.node) {
        const primary = this.links.find((l) => l.subnets.some((s) => s.split('/')[0] === this.o.heartbeatAddress))?.name;
        out.push({ name, labels, networkUnavailable, member: true, draining: this.draining, interfaces: this.localInterfaces(), ...(primary ? { primaryInterface: primary } : {}) });
        continue;
      }
      const p = peers.get(name);
      out.push({ name, labels, networkUnavailable, member: !!p?.alive, draining: !!p?.draining, interfaces: p?.interfaces ?? [], ...(p?.primaryInterface ? { primaryInterface: p.primaryInterface } : {}) });
    }
    return out;
  }

  private serviceFacts(refs: readonly { namespace: string; name: string }[]): ServiceFacts[] {
    const out: ServiceFacts[] = [];
    for (const ref of refs) {
      const svc = this.services.store.get(`${ref.namespace}/${ref.name}`);
      if (!svc || svc.spec?.type !== 'LoadBalancer' || (svc.spec.loadBalancerClass ?? undefined) !== this.o.lbClass) continue;
      const endpoints = [];
      for (const s of this.slices.store.values()) {
        if (s.metadata?.namespace !== ref.namespace || s.metadata?.labels?.['kubernetes.io/service-name'] !== ref.name) continue;
        for (const e of s.endpoints ?? []) {
          const ready = e.conditions?.ready !== false;
          endpoints.push({ nodeName: e.nodeName, ready, serving: e.conditions?.serving ?? ready });
        }
      }
      out.push({ key: `${ref.namespace}/${ref.name}`, local: svc.spec.externalTrafficPolicy === 'Local', endpoints });
    }
    return out;
  }

  private recompute(): void {
    const nodes = this.nodeFacts();
    const ads = [...this.ads.store.values()];
    const desired: Announcement[] = [];
    const peers = this.o.membership.peers();
    const round: { obj: Address; ip: string; result: ElectionResult }[] = [];
    for (const obj of this.addresses.store.values()) {
      const parsed = parseAddress(obj.spec?.address ?? '');
      if (!parsed.ok) continue;
      const address = parsed.value;
      const services = this.serviceFacts(obj.spec.services ?? []);
      if (services.length === 0) continue;
      const pool = this.pools.store.get(obj.spec.pool);
      const result = electOwner({ address, pool: { name: obj.spec.pool, labels: pool?.metadata?.labels }, advertisements: ads, nodes, services, sha256 });
      round.push({ obj, ip: formatAddress(address), result });
      const k = key(address);
      if (result.owner?.node === this.o.node) {
        desired.push({ address, interface: result.owner.interface });
        this.handedOver.delete(k);
      } else if (this.draining && this.o.announcer.isAnnouncing(address)) {
        // Make-before-break: keep answering until the successor claims the address, or the timeout.
        const successor = result.owner?.node;
        const claimed = this.handedOver.has(k) || (successor !== undefined && (peers.get(successor)?.announcing ?? []).includes(formatAddress(address)));
        const current = this.o.announcer.announcing().find((a) => key(a.address) === k);
        if (!claimed && current && Date.now() - this.drainStartedAt < (this.o.handoverTimeoutMs ?? 2_000)) desired.push(current);
      }
    }
    this.o.announcer.set(desired);
    this.status.observe(round, nodes, peers);
  }

  /** Called by the announcer when it stops answering for an address. */
  onStopped(s: Announcement): void {
    this.o.metrics.transitions.inc({ direction: 'stopped' });
    this.status.stoppedAnnouncing(lbAddressName(s.address));
    const r = this.status.lastResult(lbAddressName(s.address));
    this.o.log.info({ event: 'announceStopped', address: formatAddress(s.address), interface: s.interface, newOwner: r?.owner?.node ?? null, reason: r?.reason ?? (this.draining ? 'Draining' : 'NotOwner') }, 'stopped announcing');
    this.publishSoon();
  }

  /** Heartbeats carry the announced list; coalesce a burst of changes into one update. */
  private publishSoon(): void {
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      this.publishLocalState();
    });
  }
  private publishScheduled = false;

  /** Called by the announcer after the first gratuitous packet: only now may the status name this node. */
  onAnnounced(a: Announcement & { mac: string; at: Date }): void {
    const name = lbAddressName(a.address);
    const previous = this.addresses.store.get(name)?.status?.node;
    this.o.metrics.transitions.inc({ direction: 'started' });
    if (this.lastPeerLossAt && a.at.getTime() - this.lastPeerLossAt < 5_000) this.o.metrics.failoverSeconds.observe((a.at.getTime() - this.lastPeerLossAt) / 1000);
    this.o.log.info({ event: 'announceStarted', address: formatAddress(a.address), interface: a.interface, mac: a.mac, previousOwner: previous ?? null }, 'announcing');
    this.publishSoon();
    this.status.announcedOn(name, { interface: a.interface, mac: a.mac, at: a.at.toISOString() });
  }
}
