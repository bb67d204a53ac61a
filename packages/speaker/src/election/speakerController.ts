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
import type { MembershipSource } from './membershipSource.js';

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
  private readonly lastResults = new Map<string, ElectionResult>();
  private readonly statusPending = new Map<string, object>();
  private readonly conflictNoticed = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;

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
    this.addresses = new Reflector<Address>({ ...common, resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, list: crd('lbaddresses') });
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
    clearTimeout(this.retryTimer);
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
    const k = key(claim.address);
    if (this.draining) {
      this.handedOver.add(k);
      this.schedule();
      return;
    }
    const ip = formatAddress(claim.address);
    const knownHerald = this.heraldMacs().has(claim.mac);
    this.o.metrics.conflicts.inc({ family: claim.address.family === 4 ? 'IPv4' : 'IPv6', source: knownHerald ? 'herald' : 'foreign' });
    // Every claim is counted; logs, events and re-announcements are rate-limited per address and MAC so
    // two nodes that briefly disagree do not drive each other into a packet storm.
    const noticeKey = `${k}|${claim.mac}`;
    const last = this.conflictNoticed.get(noticeKey) ?? 0;
    if (Date.now() - last < 1_000) return;
    const firstInAWhile = Date.now() - last > 60_000;
    this.conflictNoticed.set(noticeKey, Date.now());
    this.o.log.warn({ event: 'conflict', address: ip, mac: claim.mac, interface: claim.interface, foreign: !knownHerald }, knownHerald ? 'another herald node claims an address this node announces' : 'IP conflict: a foreign MAC claims an announced address');
    if (firstInAWhile) {
      const name = lbAddressName(claim.address);
      this.o.writer.event(name, this.addresses.store.get(name)?.metadata?.uid, 'Warning', 'AddressConflict',
        knownHerald ? `${ip} is also claimed by another herald node (${claim.mac}); re-checking ownership` : `IP conflict: ${ip} is also claimed by ${claim.mac}, which is not a herald node`);
    }
    // Re-check ownership with fresh facts, and win the neighbours back if we still own it.
    this.recompute();
    if (this.o.announcer.isAnnouncing(claim.address)) this.o.announcer.reannounce(claim.address);
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
    for (const obj of this.addresses.store.values()) {
      const parsed = parseAddress(obj.spec?.address ?? '');
      if (!parsed.ok) continue;
      const address = parsed.value;
      const services = this.serviceFacts(obj.spec.services ?? []);
      if (services.length === 0) continue;
      const pool = this.pools.store.get(obj.spec.pool);
      const result = electOwner({ address, pool: { name: obj.spec.pool, labels: pool?.metadata?.labels }, advertisements: ads, nodes, services, sha256 });
      this.lastResults.set(obj.metadata.name, result);
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
      } else if (!result.owner) {
        this.reportNoOwner(obj, result, nodes);
      }
    }
    this.o.announcer.set(desired);
  }

  /** Called by the announcer when it stops answering for an address. */
  onStopped(s: Announcement): void {
    this.o.metrics.transitions.inc({ direction: 'stopped' });
    const r = this.lastResults.get(lbAddressName(s.address));
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

  /** Called by the announcer after the first gratuitous packet: only now does the status name this node. */
  onAnnounced(a: Announcement & { mac: string; at: Date }): void {
    const name = lbAddressName(a.address);
    const obj = this.addresses.store.get(name);
    const since = a.at.toISOString();
    const transitions = (obj?.status?.transitions ?? 0) + (obj?.status?.node === this.o.node ? 0 : 1);
    this.o.metrics.transitions.inc({ direction: 'started' });
    if (this.lastPeerLossAt && a.at.getTime() - this.lastPeerLossAt < 5_000) this.o.metrics.failoverSeconds.observe((a.at.getTime() - this.lastPeerLossAt) / 1000);
    this.o.log.info({ event: 'announceStarted', address: formatAddress(a.address), interface: a.interface, mac: a.mac, previousOwner: obj?.status?.node ?? null }, 'announcing');
    this.publishSoon();
    const status = { node: this.o.node, interface: a.interface, mac: a.mac, since, lastGratuitous: since, transitions, conditions: [{ type: 'Announced', status: 'True', reason: 'Announcing', message: `announced by ${this.o.node} on ${a.interface}`, lastTransitionTime: since }] };
    this.statusPending.set(name, status);
    if (obj?.status?.node !== this.o.node) {
      this.o.writer.event(name, obj?.metadata?.uid, 'Normal', 'AnnounceStarted', `${formatAddress(a.address)} is now answered by node ${this.o.node} on ${a.interface} (${a.mac})${obj?.status?.node ? `, previously ${obj.status.node}` : ''}`);
    }
    this.flushStatus();
  }

  /** With no owner anywhere, one deterministic node (the first live one by name) records why. */
  private reportNoOwner(obj: Address, result: ElectionResult, nodes: NodeFacts[]): void {
    const reporter = nodes.filter((n) => n.member).map((n) => n.name).sort()[0];
    const current = obj.status?.conditions?.find((c) => c.type === 'Announced');
    if (reporter !== this.o.node) return;
    if (!obj.status?.node && current?.reason === result.reason && current?.message === result.message) return;
    const now = new Date().toISOString();
    // null deletes the fields in a merge patch: nobody answers, so no node, interface or MAC is named.
    this.statusPending.set(obj.metadata.name, { node: null, interface: null, mac: null, since: null, lastGratuitous: null, conditions: [{ type: 'Announced', status: 'False', reason: result.reason, message: result.message, lastTransitionTime: now }] });
    this.flushStatus();
  }

  private flushStatus(): void {
    for (const [name, status] of [...this.statusPending]) {
      this.statusPending.delete(name);
      this.o.writer.patchStatus(name, status).catch((e: Error & { code?: number }) => {
        if (e.code === 404) return;
        // The API may be unreachable: keep the latest status and retry; announcing does not wait for it.
        if (!this.statusPending.has(name)) this.statusPending.set(name, status);
        this.o.log.debug({ event: 'statusWriteFailed', lbaddress: name, err: e.message }, 'LBAddress status write failed; will retry');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.flushStatus(), 2_000);
      });
    }
  }
}
