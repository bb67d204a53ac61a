import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  EXCLUDE_LABEL, GROUP, VERSION, addressHandover, candidateNodes, formatAddress, lbAddressName, parseAddress, publishedInterfaces, serviceFacts, startupReadiness,
  IncrementalElection, noOwnerReporter,
  type AddressElectionInput, type HandoverReason, type OwnerResult, type ReadinessReason, type IPAddress, type IPAddressPool, type L2Advertisement, type LBAddress, type LinkFacts, type NodeFacts, type NodeInterface, type NodeObjectFacts, type ServiceFacts,
} from '@herald/core';
import { Reflector, type KubeObject } from '@herald/kube';
import type { Logger } from 'pino';
import type { Announcement, Announcer } from '../announce/announcer.js';
import type { Claim } from '../announce/interfaceResponder.js';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import type { SpeakerMetrics } from '../metrics.js';
import { ConflictMonitor } from './conflictMonitor.js';
import { EndpointSliceIndex } from './endpointSliceIndex.js';
import { LBAddressIndex } from './lbAddressIndex.js';
import type { MembershipSource, PeerState } from './membershipSource.js';
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
  /** How long an old owner keeps answering when it sees no successor's claim (DESIGN: 2 s). */
  handoverTimeoutMs?: number;
  /** This node's heartbeat address: the interface holding it is where off-subnet addresses are announced. */
  heartbeatAddress?: string;
  /**
   * After this speaker flags itself ready, how long before it claims addresses: long enough for one
   * heartbeat carrying the flag to reach peers, so a peer that answers an address sees the claim as a
   * hand-over rather than a conflict. Default 250 ms (2.5 × the default heartbeat interval).
   */
  claimAfterReadyMs?: number;
  /**
   * How long a starting peer keeps the unanswered addresses it will win before it must be ready, counted
   * from when it was first seen not ready (across restarts, until it has been ready once). Default 30 s:
   * a whole cluster starting on busy machines takes that long, and a speaker stuck starting (API
   * unreachable) must not keep new addresses unanswered for ever.
   */
  startupHoldMs?: number;
  /**
   * Longest stretch of election work in one turn of the event loop; the rest continues on the next turn
   * (heartbeats and ARP replies run in between). Default 20 ms.
   */
  electionSliceMs?: number;
  /** At start, how long to wait for speakers of Nodes that show none yet (whole-cluster start). Default 10 s. */
  peerWaitMs?: number;
  /** How long a claim seen on the wire from a herald peer counts as proof that it is alive. Default 30 s. */
  claimEvidenceMs?: number;
}

/** One address in the election, with the input it was last given. */
interface InElection {
  obj: Address;
  address: IPAddress;
  ip: string;
  key: string;
  input: AddressElectionInput;
}

/** Status plans per event-loop turn (each compares an LBAddress status with the election's view). */
const STATUS_SLICE = 500;

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
  private scheduled = false;
  /** Caches listed once. */
  private cachesSynced = false;
  /** The readiness gate passed: heartbeats and the Lease say ready. */
  private isReady = false;
  /** Ready, and peers have had a heartbeat to learn it: the election is applied. */
  private electing = false;
  private readiness: ReadinessReason | undefined;
  private readinessTimer: NodeJS.Timeout | undefined;
  private handoverTimer: NodeJS.Timeout | undefined;
  private lastPeerLossAt = 0;
  /** LBAddress status and transition Events (statusReporter.ts); conflicts on the wire (conflictMonitor.ts). */
  readonly status: StatusReporter;
  readonly conflicts: ConflictMonitor;
  /** Address key → when this node stopped being its owner while still answering (make-before-break). */
  private readonly lostAt = new Map<string, number>();
  /** Address key → a claim seen on the wire while this node was handing the address over. */
  private readonly wireClaims = new Map<string, number>();
  /** Why this node last stopped answering an address, for the announceStopped log. */
  private readonly handoverReasons = new Map<string, HandoverReason>();
  /** MAC → node, as LBAddress statuses have named them. */
  private readonly statusMacs = new Map<string, string>();
  /** Peer node → last claim seen on the wire from one of its MACs (proof of life when heartbeats are lost one way). */
  private readonly claimSeen = new Map<string, number>();
  /** Peer node → since when it is seen not ready (reset only once it has been ready: a crash loop does not renew the hold). */
  private readonly notReadySince = new Map<string, number>();
  /** Every address's election, re-run only where facts changed (IncrementalElection). */
  private readonly election = new IncrementalElection({ sha256 });
  private readonly sliceIndex = new EndpointSliceIndex();
  private readonly addressIndex = new LBAddressIndex();
  /** LBAddress names whose election facts must be read again. */
  private readonly dirtyAddresses = new Set<string>();
  /** Addresses taking part in the election (valid, with a Service of this speaker's class). */
  private readonly inElection = new Map<string, InElection>();
  private readonly nameOfIp = new Map<string, string>();
  private readonly nameOfKey = new Map<string, string>();
  /** Node names given to the election, so it hears when one goes away. */
  private readonly electedNodes = new Set<string>();
  /** LBAddress name → what this node answers for it (as owner, or as an old owner handing over). */
  private readonly desired = new Map<string, Announcement>();
  /** Peer → the addresses its heartbeats list while it is alive (none once dead), as of the last gathering. */
  private readonly peerHolds = new Map<string, readonly string[]>();
  /** Address → live peers listing it, kept up to date from the peers whose lists changed. */
  private readonly heldBy = new Map<string, string[]>();
  /** Addresses whose holders changed since the status reporter last heard. */
  private readonly heldChanged = new Set<string>();
  /** Addresses this node started or stopped announcing since the last gathering. */
  private readonly ownChanged = new Set<string>();
  private reporter: string | undefined;
  private lastNodes: NodeFacts[] = [];
  /** Addresses whose status must be decided again (worked off STATUS_SLICE per turn). */
  private readonly statusBacklog = new Set<string>();
  /** The status reporter has seen every address once (it then hears only about changes). */
  private statusPrimed = false;
  private firstElectionRunning = false;

  constructor(private readonly o: SpeakerControllerOptions) {
    const kc = o.kubeConfig;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const crd = (plural: string) => async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items: never[] };
    const common = { kubeConfig: kc, log: o.log, onChange: () => this.schedule() };
    // Each change marks only the LBAddresses whose election facts it touches (indexes below); node facts
    // are read afresh every round (one entry per node, cheap) and the election works out what they move.
    const touch = (names: Iterable<string>) => {
      for (const n of names) this.dirtyAddresses.add(n);
      this.schedule();
    };
    this.nodes = new Reflector<Node>({ ...common, resource: 'nodes', path: '/api/v1/nodes', list: () => core.listNode() as never });
    this.services = new Reflector<Service>({
      ...common, resource: 'services', path: '/api/v1/services', list: () => core.listServiceForAllNamespaces() as never,
      onChange: (_type, obj) => touch(this.addressIndex.ofService(`${obj.metadata?.namespace}/${obj.metadata?.name}`)),
    });
    this.slices = new Reflector<Slice>({
      ...common, resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices', list: () => discovery.listEndpointSliceForAllNamespaces() as never,
      onChange: (type, obj, previous) => touch(this.sliceIndex.update(type, obj, previous).flatMap((svc) => [...this.addressIndex.ofService(svc)])),
    });
    // Pools and advertisements decide which links are published (publishedInterfaces): re-publish on change.
    this.pools = new Reflector<Pool>({
      ...common, resource: 'ipaddresspools', path: `/apis/${GROUP}/${VERSION}/ipaddresspools`, list: crd('ipaddresspools'),
      onChange: (_type, obj) => {
        this.publishSoon();
        touch(this.addressIndex.ofPool(obj.metadata.name));
      },
    });
    this.ads = new Reflector<Ad>({ ...common, resource: 'l2advertisements', path: `/apis/${GROUP}/${VERSION}/l2advertisements`, list: crd('l2advertisements'), onChange: () => { this.publishSoon(); this.schedule(); } });
    this.addresses = new Reflector<Address>({
      ...common, resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, list: crd('lbaddresses'),
      onChange: (type, obj, previous) => {
        const name = obj.metadata.name;
        this.addressIndex.update(type, obj, previous);
        if (type === 'deleted') this.forget(name);
        else {
          this.rememberStatusMac(obj.status);
          // Its status may have changed under us (another speaker's write, our own echo): decide again.
          this.status.recheck(name);
        }
        touch([name]);
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

  /**
   * Lists and watches the caches, then passes the readiness gate (DESIGN.md): caches synced, peer Leases
   * listed, every listed peer heard once; then the first election runs and this node flags itself ready.
   * Until then it announces nothing and peers rank it as a candidate for no answered address. Resolves
   * when the caches are synced (never, while the API server cannot be reached).
   */
  async start(): Promise<void> {
    this.checkReadiness();
    await Promise.all([this.nodes, this.services, this.slices, this.pools, this.ads, this.addresses].map((r) => r.start()));
    this.cachesSynced = true;
    this.checkReadiness();
  }

  stop(): void {
    this.stopped = true;
    for (const r of [this.nodes, this.services, this.slices, this.pools, this.ads, this.addresses]) r.stop();
    this.status.stop();
    clearTimeout(this.readinessTimer);
    clearTimeout(this.handoverTimer);
  }

  ready(): boolean {
    return this.isReady;
  }

  /** Nodes whose speaker would be a candidate somewhere: Linux, not excluded from load balancers. */
  private expectedPeers(): string[] {
    const out: string[] = [];
    for (const n of this.nodes.store.values()) {
      const name = n.metadata?.name;
      const labels = n.metadata?.labels ?? {};
      if (!name || name === this.o.node || (labels['kubernetes.io/os'] ?? 'linux') !== 'linux' || EXCLUDE_LABEL in labels) continue;
      out.push(name);
    }
    return out;
  }
  private peersKnownAt: number | undefined;

  private checkReadiness(): void {
    clearTimeout(this.readinessTimer);
    if (this.isReady || this.draining) return;
    const peers = [...this.o.membership.peers()].map(([node, p]) => ({ node, alive: p.alive, judgedBy: p.judgedBy, heartbeatsBroken: p.heartbeatsBroken }));
    const peersListed = this.o.membership.peersListed();
    if (this.cachesSynced && peersListed) this.peersKnownAt ??= Date.now();
    const r = startupReadiness({
      cachesSynced: this.cachesSynced, peersListed, peers,
      expectedPeers: this.expectedPeers(), waitedMs: Date.now() - (this.peersKnownAt ?? Date.now()), peerWaitMs: this.o.peerWaitMs ?? 10_000,
    });
    if (r.reason !== this.readiness) this.o.log.info({ event: r.ready ? 'ready' : 'notReady', reason: r.reason }, r.message);
    this.readiness = r.reason;
    if (!r.ready) {
      // Facts arrive from watches and heartbeats; a short poll keeps this gate out of their code paths.
      this.readinessTimer = setTimeout(() => this.checkReadiness(), 50);
      return;
    }
    // The first election, on the facts that made us ready (spread over turns of the event loop); applied
    // once peers have heard the flag.
    if (this.firstElectionRunning) return;
    this.firstElectionRunning = true;
    void this.firstElection();
  }

  private async firstElection(): Promise<void> {
    while (this.electRound()) await new Promise<void>((r) => setImmediate(r));
    this.firstElectionRunning = false;
    if (this.draining || this.stopped) return;
    const owned = [...this.desired.values()].length;
    this.isReady = true;
    this.publishLocalState();
    this.o.log.info({ event: 'firstElection', owned }, `first election: this node will answer ${owned} address(es)`);
    this.readinessTimer = setTimeout(() => {
      this.electing = true;
      this.gatherNeeded = true;
      this.recompute();
    }, this.o.claimAfterReadyMs ?? 250);
  }
  private stopped = false;

  setLinks(links: LinkFacts[]): void {
    this.links = links;
    this.publishLocalState();
    this.schedule();
  }

  /** SIGTERM: rank this node last everywhere so successors announce first; resolves when nothing is held. */
  async drain(): Promise<void> {
    this.draining = true;
    clearTimeout(this.readinessTimer);
    const started = Date.now();
    this.publishLocalState();
    this.schedule();
    const timeout = this.o.handoverTimeoutMs ?? 2_000;
    while (this.o.announcer.announcing().length > 0 && Date.now() - started < timeout + 500) {
      await new Promise((r) => setTimeout(r, 20));
      this.gatherNeeded = true;
      if (this.electing) this.recompute();
    }
  }

  /**
   * The node whose interface has this MAC: from heartbeats, else from LBAddress statuses, current or
   * seen before (a peer that took one of our addresses has just overwritten the status naming the owner).
   */
  private macOwner(mac: string): string | undefined {
    for (const [node, p] of this.o.membership.peers()) if (p.macs?.includes(mac)) return node;
    for (const a of this.addresses.store.values()) if (a.status?.mac === mac && a.status.node) return a.status.node;
    return this.statusMacs.get(mac);
  }

  private rememberStatusMac(status: { node?: string | null; mac?: string | null } | undefined): void {
    if (!status?.mac || !status.node || this.statusMacs.get(status.mac) === status.node) return;
    // Bounded: a few MACs per node; a cluster that somehow shows more simply starts over.
    if (this.statusMacs.size >= 4_096) this.statusMacs.clear();
    this.statusMacs.set(status.mac, status.node);
  }

  /** A claim seen on the wire: a successor taking over (make-before-break), a peer proving it is alive, or a conflict. */
  onClaim(claim: Claim): void {
    const k = key(claim.address);
    const now = Date.now();
    const claimant = this.macOwner(claim.mac);
    // Heartbeats from the claimant may be lost one way: its claim proves it alive, and the ranking decides.
    // Only a herald peer's claim re-runs the election here; foreign claims go to the rate-limited monitor.
    if (claimant !== undefined && claimant !== this.o.node && !this.o.membership.peers().get(claimant)?.alive) {
      this.claimSeen.set(claimant, now);
      this.gatherNeeded = true;
      if (this.electing) this.recompute();
    }
    if (this.lostAt.has(k)) {
      // This node is handing the address over: the claim is the successor's, so stop now.
      this.wireClaims.set(k, now);
      this.gatherNeeded = true;
      if (this.electing) this.recompute();
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
      // Heartbeats judge it again: a claim seen earlier must not outlive a later death.
      if (p.alive) this.claimSeen.delete(name);
      this.seenAlive.set(name, p.alive);
    }
    this.schedule();
  }
  private readonly seenAlive = new Map<string, boolean>();

  /** Facts changed: gather them and elect on a later turn (coalesced). */
  private schedule(): void {
    this.gatherNeeded = true;
    this.soon();
  }

  private soon(): void {
    if (this.scheduled || !this.electing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.recompute();
    });
  }
  /** Some fact changed since the last gathering (a round that only continues pending work skips it). */
  private gatherNeeded = true;

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
      ready: this.isReady,
      interfaces: this.publishedLinks().map((l) => ({ name: l.name, subnets: [...l.subnets], ...(l.mac ? { mac: l.mac } : {}) })),
      announcing: this.o.announcer.announcing().map((a) => formatAddress(a.address)),
    });
  }

  /** This node's and its peers' facts for an answered, or an unanswered, address (candidateNodes). */
  private nodeFacts(answered: boolean, now: number): NodeFacts[] {
    return candidateNodes({
      nodes: this.nodeObjects,
      self: { name: this.o.node, draining: this.draining, interfaces: this.localInterfaces(), ...(this.primaryInterface() ? { primaryInterface: this.primaryInterface()! } : {}) },
      peers: this.o.membership.peers(),
      notReadySince: this.notReadySince,
      claimSeen: this.claimSeen,
      answered,
      nowMs: now,
      startupHoldMs: this.o.startupHoldMs ?? 30_000,
      claimEvidenceMs: this.o.claimEvidenceMs ?? 30_000,
    });
  }

  private primaryInterface(): string | undefined {
    return this.links.find((l) => l.subnets.some((s) => s.split('/')[0] === this.o.heartbeatAddress))?.name;
  }

  /** The Node objects as the election reads them. */
  private get nodeObjects(): NodeObjectFacts[] {
    return [...this.nodes.store.values()].map((n) => ({
      name: n.metadata?.name as string,
      labels: n.metadata?.labels ?? {},
      networkUnavailable: (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
    }));
  }

  /** Since when each peer is seen not ready (heartbeats carry a flag, not a time); reset only once it is ready. */
  private trackNotReady(now: number): void {
    const peers = this.o.membership.peers();
    for (const n of this.nodes.store.values()) {
      const name = n.metadata?.name as string;
      const p = peers.get(name);
      if (name === this.o.node || !p) continue;
      if (p.alive && p.ready) this.notReadySince.delete(name);
      else if (p.alive && !this.notReadySince.has(name)) this.notReadySince.set(name, now);
    }
  }

  private serviceFacts(refs: readonly { namespace: string; name: string }[]): ServiceFacts[] {
    return serviceFacts({
      refs,
      service: (k) => this.services.store.get(k),
      slices: (k) => this.slicesOf(k),
      lbClass: this.o.lbClass,
    });
  }

  private slicesOf(serviceKey: string): Iterable<Slice> {
    return this.sliceIndex.slicesOf(serviceKey) as Iterable<Slice>;
  }

  private recompute(): void {
    const pending = this.electRound();
    this.o.announcer.set([...this.desired.values()]);
    // Left-over election work continues on the next turn, after heartbeats and replies had theirs.
    if (pending) this.soon();
  }

  /**
   * One round: gathers the facts that changed since the last round, lets the election re-elect what they
   * can move (for at most electionSliceMs), and decides per re-elected or handing-over address whether this
   * node answers (addressHandover). Returns true when election work is left for another turn.
   */
  private electRound(): boolean {
    const now = Date.now();
    const peers = this.o.membership.peers();
    const gather = this.gatherNeeded;
    this.gatherNeeded = false;
    if (gather) this.gather(peers, now);
    // What the announcer holds, built only when an address being decided is announced (O(owned)).
    let current: Map<string, Announcement> | undefined;
    const heldNow = (e: InElection) => {
      if (!this.o.announcer.isAnnouncing(e.address)) return undefined;
      current ??= new Map(this.o.announcer.announcing().map((a) => [key(a.address), a]));
      return current.get(e.key);
    };
    const started = performance.now();
    const changed: string[] = [];
    do {
      for (const c of this.election.flush(32)) changed.push(c.name);
    } while (this.election.pending() > 0 && performance.now() - started < this.sliceMs);

    const timeoutMs = this.o.handoverTimeoutMs ?? 2_000;
    let nextDeadline = Infinity;
    const handingOver = [...this.lostAt.keys()].flatMap((k) => {
      const name = this.nameOfKey.get(k);
      return name === undefined ? [] : [name];
    });
    for (const name of new Set([...changed, ...handingOver])) {
      const e = this.inElection.get(name);
      const result = this.election.result(name);
      if (!e || !result) {
        this.desired.delete(name);
        continue;
      }
      const { address, ip, key: k } = e;
      const owner = result.owner?.node === this.o.node;
      const held = heldNow(e);
      const successor = owner ? undefined : result.owner?.node;
      const h = addressHandover({
        owner, successor, held: !!held, lostAtMs: this.lostAt.get(k), wireClaimed: this.wireClaims.has(k),
        successorAnnouncing: successor !== undefined && (peers.get(successor)?.announcing ?? []).includes(ip),
        nowMs: now, timeoutMs,
      });
      if (h.lostAtMs === undefined) {
        this.lostAt.delete(k);
        this.wireClaims.delete(k);
      } else this.lostAt.set(k, h.lostAtMs);
      if (h.answer === 'own') this.desired.set(name, { address, interface: result.owner!.interface });
      else if (h.answer === 'keep' && held) {
        this.desired.set(name, held);
        nextDeadline = Math.min(nextDeadline, h.deadlineMs ?? now);
      } else {
        this.desired.delete(name);
        if (held) this.handoverReasons.set(name, h.reason);
      }
    }
    // Nothing else wakes the election when a successor never claims: re-check at the earliest timeout.
    clearTimeout(this.handoverTimer);
    if (nextDeadline !== Infinity) this.handoverTimer = setTimeout(() => this.schedule(), Math.max(0, nextDeadline - now) + 5);
    // Status is reported only from elections whose outcome is applied (not the first one before readiness).
    if (this.electing) this.observeStatus(changed, gather ? { nodes: this.lastNodes } : undefined);
    return this.election.pending() > 0 || this.dirtyAddresses.size > 0 || this.statusBacklog.size > 0;
  }

  /** Hands the facts that changed since the last gathering to the election. */
  private gather(peers: ReadonlyMap<string, PeerState>, now: number): void {
    this.gatherAnswered(peers);
    // A starting peer's candidacy depends only on whether the address is answered: two views per node.
    this.trackNotReady(now);
    const answeredNodes = this.nodeFacts(true, now);
    const unansweredNodes = this.nodeFacts(false, now);
    this.lastNodes = answeredNodes;
    const names = new Set<string>();
    answeredNodes.forEach((n, i) => {
      names.add(n.name);
      this.election.setNode(n.name, { answered: n, unanswered: unansweredNodes[i]! });
    });
    for (const n of this.electedNodes) if (!names.has(n)) this.election.setNode(n, undefined);
    this.electedNodes.clear();
    for (const n of names) this.electedNodes.add(n);
    this.election.setAdvertisements([...this.ads.store.values()]);
    // Reading thousands of addresses (start, a pool edit) is election work too: bounded like the rest.
    const started = performance.now();
    for (const name of this.dirtyAddresses) {
      this.dirtyAddresses.delete(name);
      this.readAddress(name);
      if (performance.now() - started > this.sliceMs / 2) {
        this.gatherNeeded = true;
        break;
      }
    }
  }

  private get sliceMs(): number {
    return this.o.electionSliceMs ?? 20;
  }

  /**
   * Which addresses some live node answers (a peer's heartbeat lists it, or this node announces it), from
   * the peers whose lists changed and this node's own starts and stops: an address whose answer flips may
   * change a starting peer's candidacy. Cost follows what changed, not the number of addresses.
   */
  private gatherAnswered(peers: ReadonlyMap<string, PeerState>): void {
    const touched = new Set(this.ownChanged);
    this.ownChanged.clear();
    const update = (peer: string, list: readonly string[]) => {
      const before = this.peerHolds.get(peer) ?? [];
      if (before.length === list.length && before.every((ip, i) => ip === list[i])) return;
      const was = new Set(before);
      const is = new Set(list);
      for (const ip of was) {
        if (is.has(ip)) continue;
        const holders = this.heldBy.get(ip)?.filter((n) => n !== peer) ?? [];
        if (holders.length > 0) this.heldBy.set(ip, holders);
        else this.heldBy.delete(ip);
        touched.add(ip);
        this.heldChanged.add(ip);
      }
      for (const ip of is) {
        if (was.has(ip)) continue;
        const holders = this.heldBy.get(ip);
        if (holders) holders.push(peer);
        else this.heldBy.set(ip, [peer]);
        touched.add(ip);
        this.heldChanged.add(ip);
      }
      if (list.length > 0) this.peerHolds.set(peer, list);
      else this.peerHolds.delete(peer);
    };
    for (const [name, p] of peers) update(name, p.alive ? p.announcing : []);
    for (const name of [...this.peerHolds.keys()]) if (!peers.has(name)) update(name, []);
    for (const ip of touched) {
      const name = this.nameOfIp.get(ip);
      const e = name === undefined ? undefined : this.inElection.get(name);
      if (!e) continue;
      const answered = this.isAnswered(e.address, ip);
      if (answered === e.input.answered) continue;
      e.input = { ...e.input, answered };
      this.election.setAnswered(name!, answered);
    }
  }

  private isAnswered(address: IPAddress, ip: string): boolean {
    return this.heldBy.has(ip) || this.o.announcer.isAnnouncing(address);
  }

  /** Reads one LBAddress's election facts from the caches and hands them to the election. */
  private readAddress(name: string): void {
    const obj = this.addresses.store.get(name);
    const parsed = parseAddress(obj?.spec?.address ?? '');
    const services = obj && parsed.ok ? this.serviceFacts(obj.spec.services ?? []) : [];
    const before = this.inElection.get(name);
    if (!obj || !parsed.ok || services.length === 0) {
      if (before) {
        this.inElection.delete(name);
        this.nameOfIp.delete(before.ip);
        this.nameOfKey.delete(before.key);
        this.lostAt.delete(before.key);
        this.wireClaims.delete(before.key);
      }
      this.election.setAddress(name, undefined);
      return;
    }
    const address = parsed.value;
    const ip = formatAddress(address);
    if (before && before.ip !== ip) {
      this.nameOfIp.delete(before.ip);
      this.nameOfKey.delete(before.key);
    }
    const pool = this.pools.store.get(obj.spec.pool);
    const input: AddressElectionInput = { address, pool: { name: obj.spec.pool, labels: pool?.metadata?.labels }, services, answered: this.isAnswered(address, ip) };
    this.inElection.set(name, { obj, address, ip, key: key(address), input });
    this.nameOfIp.set(ip, name);
    this.nameOfKey.set(key(address), name);
    this.election.setAddress(name, input);
  }


  /**
   * Tells the status reporter what changed: re-elected addresses, addresses whose holders changed, and,
   * when the no-owner reporter changed (or on the first applied round), every address.
   */
  private observeStatus(changed: readonly string[], gathered: { nodes: readonly NodeFacts[] } | undefined): void {
    const names = this.statusBacklog;
    for (const n of changed) names.add(n);
    for (const ip of this.heldChanged) {
      const name = this.nameOfIp.get(ip);
      if (name !== undefined) names.add(name);
    }
    this.heldChanged.clear();
    if (gathered) {
      const reporter = noOwnerReporter(gathered.nodes);
      if (!this.statusPrimed || reporter !== this.reporter) for (const n of this.inElection.keys()) names.add(n);
      this.reporter = reporter;
      this.statusPrimed = true;
    }
    // Planning a status is work per address too: at most STATUS_SLICE per turn, the rest on the next.
    const entries: { obj: Address; ip: string; result: OwnerResult }[] = [];
    const removed: string[] = [];
    for (const name of names) {
      if (entries.length + removed.length >= STATUS_SLICE) break;
      names.delete(name);
      const e = this.inElection.get(name);
      const result = this.election.result(name);
      if (e && result) entries.push({ obj: e.obj, ip: e.ip, result });
      else removed.push(name);
    }
    this.status.observeChanges(entries, removed, this.reporter, this.heldBy);
  }


  /** Called by the announcer when it stops answering for an address. */
  onStopped(s: Announcement): void {
    // Read at the next round's gathering (as the announced set always was), without forcing a round.
    this.ownChanged.add(formatAddress(s.address));
    this.gatherNeeded = true;
    this.o.metrics.transitions.inc({ direction: 'stopped' });
    const name = lbAddressName(s.address);
    this.status.stoppedAnnouncing(name);
    const r = this.status.lastResult(name);
    const handover = this.handoverReasons.get(name);
    this.handoverReasons.delete(name);
    this.o.log.info({ event: 'announceStopped', address: formatAddress(s.address), interface: s.interface, newOwner: r?.owner?.node ?? null, reason: r?.reason ?? (this.draining ? 'Draining' : 'NotOwner'), handover: handover ?? null }, 'stopped announcing');
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
    this.ownChanged.add(formatAddress(a.address));
    this.gatherNeeded = true;
    const name = lbAddressName(a.address);
    const previous = this.addresses.store.get(name)?.status?.node;
    this.o.metrics.transitions.inc({ direction: 'started' });
    if (this.lastPeerLossAt && a.at.getTime() - this.lastPeerLossAt < 5_000) this.o.metrics.failoverSeconds.observe((a.at.getTime() - this.lastPeerLossAt) / 1000);
    this.o.log.info({ event: 'announceStarted', address: formatAddress(a.address), interface: a.interface, mac: a.mac, previousOwner: previous ?? null }, 'announcing');
    this.publishSoon();
    this.status.announcedOn(name, { interface: a.interface, mac: a.mac, at: a.at.toISOString() });
  }
}
