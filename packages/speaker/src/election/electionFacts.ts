import * as k8s from '@kubernetes/client-node';
import {
  DEFAULT_CANDIDACY_HOLDS, EXCLUDE_LABEL, GROUP, VERSION, candidateNodes, electionFactsChanged, formatAddress, nextCandidacyChange, parseAddress, publishedInterfaces, serviceFacts,
  type AddressElectionInput, type IncrementalElection, type IPAddress, type IPAddressPool, type L2Advertisement, type LBAddress, type LinkFacts, type NodeFacts, type NodeInterface, type NodeObjectFacts, type ServiceFacts,
} from '@herald/core';
import { Reflector, withoutManagedFields, type KubeObject } from '@herald/kube';
import type { Logger } from 'pino';
import type { Announcer } from '../announce/announcer.js';
import { projectEndpointSlice, projectLBAddress, projectNode, projectService } from '../kube/cacheProjections.js';
import { EndpointSliceIndex } from './endpointSliceIndex.js';
import { HeraldMacIndex } from './heraldMacIndex.js';
import { LBAddressIndex } from './lbAddressIndex.js';
import type { MembershipSource, PeerState } from './membershipSource.js';

type Node = k8s.V1Node & KubeObject;
type Service = k8s.V1Service & KubeObject;
type Slice = k8s.V1EndpointSlice & KubeObject;
type Pool = IPAddressPool & KubeObject;
type Ad = L2Advertisement & KubeObject;
export type Address = LBAddress & KubeObject;

/** One address in the election, with the input it was last given. */
export interface InElection {
  obj: Address;
  address: IPAddress;
  ip: string;
  key: string;
  input: AddressElectionInput;
}

export const addressKey = (a: IPAddress): string => `${a.family}:${a.value}`;

export interface ElectionFactsOptions {
  node: string;
  kubeConfig: k8s.KubeConfig;
  log: Logger;
  announcer: Announcer;
  membership: MembershipSource;
  lbClass: string | undefined;
  election: IncrementalElection;
  heartbeatAddress?: string;
  startupHoldMs?: number;
  /** How long a starting peer that has published no interfaces yet is held eligible (candidateNodes). */
  unknownInterfacesHoldMs?: number;
  claimEvidenceMs?: number;
  /** Whether this node drains (it then ranks itself last everywhere). */
  draining: () => boolean;
  /** Some fact changed: gather and elect soon. */
  changed: () => void;
  /** Pools or advertisements changed: the published links may have too. */
  linksMayChange: () => void;
  /** An LBAddress was added or updated (its status may have changed under us), or deleted. */
  addressChanged: (type: 'added' | 'updated' | 'deleted', obj: Address) => void;
  /** An address left the election (by its key): nothing about handing it over may stay. */
  addressLeft: (key: string) => void;
  /** The live peers listing this address changed (at a gathering): a hand-over of it may end. */
  holdersChanged?: (ip: string) => void;
}

/**
 * The election's facts: the Kubernetes caches (watches only, so when the API server is unreachable they
 * simply stop changing), the indexes that say which LBAddresses a change touches, local links, and what
 * live peers answer. gather() hands the election what changed since the last gathering, bounded in time.
 */
export class ElectionFacts {
  readonly nodes: Reflector<Node>;
  readonly services: Reflector<Service>;
  readonly slices: Reflector<Slice>;
  readonly pools: Reflector<Pool>;
  readonly ads: Reflector<Ad>;
  readonly addresses: Reflector<Address>;
  private links: LinkFacts[] = [];
  private cachesSynced = false;
  /** Elects again when a starting peer's hold or a claim's proof of life runs out (nextCandidacyChange). */
  private candidacyTimer: NodeJS.Timeout | undefined;
  private candidacyTimerAt: number | undefined;
  private readonly sliceIndex = new EndpointSliceIndex();
  private readonly addressIndex = new LBAddressIndex();
  /** LBAddress names whose election facts must be read again. */
  private readonly dirtyAddresses = new Set<string>();
  /** Addresses taking part in the election (valid, with a Service of this speaker's class). */
  readonly inElection = new Map<string, InElection>();
  readonly nameOfIp = new Map<string, string>();
  readonly nameOfKey = new Map<string, string>();
  /** Node names given to the election, so it hears when one goes away. */
  private readonly electedNodes = new Set<string>();
  /** Peer → the addresses its heartbeats list while it is alive (none once dead), as of the last gathering. */
  private readonly peerHolds = new Map<string, readonly string[]>();
  /** Address → live peers listing it, kept up to date from the peers whose lists changed. */
  readonly heldBy = new Map<string, string[]>();
  /** Addresses whose holders changed since the status reporter last heard. */
  readonly heldChanged = new Set<string>();
  /** Addresses this node started or stopped announcing since the last gathering. */
  readonly ownChanged = new Set<string>();
  /** Peer node → last claim seen on the wire from one of its MACs (proof of life when heartbeats are lost one way). */
  readonly claimSeen = new Map<string, number>();
  /** Peer node → since when it is seen not ready (reset only once it has been ready: a crash loop does not renew the hold). */
  private readonly notReadySince = new Map<string, number>();
  /** MAC → node, from heartbeats and LBAddress statuses (now and before), kept up to date as they change. */
  private readonly macIndex: HeraldMacIndex;
  /** The nodes' facts (answered view) as of the last gathering. */
  lastNodes: NodeFacts[] = [];

  constructor(private readonly o: ElectionFactsOptions) {
    const kc = o.kubeConfig;
    this.macIndex = new HeraldMacIndex(() => o.membership.peers());
    o.membership.onChange(() => this.macIndex.peersChanged());
    // Listed in pages of plain JSON and projected as they arrive (Reflector's default list): typed list
    // results of 10,000 Services or EndpointSlices were a peak of their own. The caches keep only what the
    // speaker reads (cacheProjections.ts).
    const common = { kubeConfig: kc, log: o.log, onChange: () => o.changed() };
    // Each change marks only the LBAddresses whose election facts it touches (indexes below); node facts
    // are read afresh every round (one entry per node, cheap) and the election works out what they move.
    const touch = (names: Iterable<string>) => {
      for (const n of names) this.dirtyAddresses.add(n);
      o.changed();
    };
    this.nodes = new Reflector<Node>({ ...common, resource: 'nodes', path: '/api/v1/nodes', project: projectNode });
    this.services = new Reflector<Service>({
      ...common, resource: 'services', path: '/api/v1/services', project: projectService,
      onChange: (_type, obj) => touch(this.addressIndex.ofService(`${obj.metadata?.namespace}/${obj.metadata?.name}`)),
    });
    this.slices = new Reflector<Slice>({
      ...common, resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices', project: projectEndpointSlice,
      onChange: (type, obj, previous) => touch(this.sliceIndex.update(type, obj, previous).flatMap((svc) => [...this.addressIndex.ofService(svc)])),
    });
    // Pools and advertisements decide which links are published (publishedInterfaces): re-publish on change.
    this.pools = new Reflector<Pool>({
      ...common, resource: 'ipaddresspools', path: `/apis/${GROUP}/${VERSION}/ipaddresspools`, project: withoutManagedFields,
      onChange: (_type, obj) => {
        o.linksMayChange();
        touch(this.addressIndex.ofPool(obj.metadata.name));
      },
    });
    this.ads = new Reflector<Ad>({ ...common, resource: 'l2advertisements', path: `/apis/${GROUP}/${VERSION}/l2advertisements`, project: withoutManagedFields, onChange: () => { o.linksMayChange(); o.changed(); } });
    this.addresses = new Reflector<Address>({
      ...common, resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, project: projectLBAddress,
      onChange: (type, obj, previous) => {
        this.addressIndex.update(type, obj, previous);
        this.macIndex.update(type, obj.status, previous?.status);
        o.addressChanged(type, obj);
        // A status write (the owner's, after a take-over one per address) changes nothing the election
        // reads: no re-read, no round. The election's entry points at the cached object from now on.
        if (type === 'updated' && !electionFactsChanged(previous, obj)) {
          const e = this.inElection.get(obj.metadata.name);
          if (e) e.obj = obj;
          return;
        }
        touch([obj.metadata.name]);
      },
    });
  }

  private get reflectors(): Reflector<KubeObject>[] {
    return [this.nodes, this.services, this.slices, this.pools, this.ads, this.addresses] as Reflector<KubeObject>[];
  }

  /** Lists and watches every cache; resolves once all are synced. */
  async start(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.start()));
    this.cachesSynced = true;
  }

  stop(): void {
    clearTimeout(this.candidacyTimer);
    for (const r of this.reflectors) r.stop();
  }

  /**
   * The links peers are told about. None until the caches are synced: which links are published depends
   * on the pools and advertisements, and a partial list would make a starting node ineligible where it
   * will win (the node ranked next would take the address, then both answer); an empty one while starting
   * means "not known yet" to peers (candidateNodes: interfacesUnknown).
   */
  heartbeatLinks(): LinkFacts[] {
    return this.cachesSynced ? this.publishedLinks() : [];
  }

  /** Every cache has listed once (start() resolved). */
  get synced(): boolean {
    return this.cachesSynced;
  }

  setLinks(links: LinkFacts[]): void {
    this.links = links;
  }

  /** This node started or stopped answering an address: read at the next gathering. */
  ownAnswerChanged(address: IPAddress): void {
    this.ownChanged.add(formatAddress(address));
  }

  /** Nodes whose speaker would be a candidate somewhere: Linux, not excluded from load balancers. */
  expectedPeers(): string[] {
    const out: string[] = [];
    for (const n of this.nodes.store.values()) {
      const name = n.metadata?.name;
      const labels = n.metadata?.labels ?? {};
      if (!name || name === this.o.node || (labels['kubernetes.io/os'] ?? 'linux') !== 'linux' || EXCLUDE_LABEL in labels) continue;
      out.push(name);
    }
    return out;
  }

  /**
   * The links this node elects with and tells peers about: healthy ones that can carry an announced
   * address (publishedInterfaces). The LinkWatcher has already dropped excluded links (pod veths, CNI
   * bridges), so their churn never reaches here; links without a pool subnet are dropped here, so churn
   * of the rest changes neither the heartbeat nor the Lease.
   */
  publishedLinks(): LinkFacts[] {
    return publishedInterfaces({
      links: this.links,
      exclude: [],
      poolAddresses: [...this.pools.store.values()].flatMap((p) => p.spec?.addresses ?? []),
      advertisedInterfaces: [...this.ads.store.values()].flatMap((a) => a.spec?.interfaces ?? []),
      ...(this.o.heartbeatAddress ? { heartbeatAddress: this.o.heartbeatAddress } : {}),
    }).map((p) => p.link);
  }

  /**
   * The node whose interface has this MAC: from heartbeats, else from LBAddress statuses, current or
   * seen before (a peer that took one of our addresses has just overwritten the status naming the owner).
   */
  macOwner(mac: string): string | undefined {
    return this.macIndex.owner(mac);
  }

  /** Every herald MAC: peers' and those LBAddress statuses name (the same set until either changes). */
  heraldMacs(): ReadonlySet<string> {
    return this.macIndex.macs();
  }

  /** A peer as of the membership's last change, without building the whole peer map per claim. */
  peer(node: string): PeerState | undefined {
    return this.macIndex.peer(node);
  }

  /** Rebuilds of the MAC index so far (tests: claims cost no walk). */
  macIndexRebuilds(): number {
    return this.macIndex.rebuilds();
  }

  /**
   * Hands the facts that changed since the last gathering to the election. Reading thousands of addresses
   * (start, a pool edit) stops after `budgetMs`; returns true when some are left for the next gathering.
   */
  gather(peers: ReadonlyMap<string, PeerState>, now: number, budgetMs: number): boolean {
    const election = this.o.election;
    this.gatherAnswered(peers);
    // A starting peer's candidacy depends only on whether the address is answered: two views per node.
    this.trackNotReady(now);
    const answeredNodes = this.nodeFacts(true, now);
    const unansweredNodes = this.nodeFacts(false, now);
    this.armCandidacyTimer(now);
    this.lastNodes = answeredNodes;
    const names = new Set<string>();
    answeredNodes.forEach((n, i) => {
      names.add(n.name);
      election.setNode(n.name, { answered: n, unanswered: unansweredNodes[i]! });
    });
    for (const n of this.electedNodes) if (!names.has(n)) election.setNode(n, undefined);
    this.electedNodes.clear();
    for (const n of names) this.electedNodes.add(n);
    election.setAdvertisements([...this.ads.store.values()]);
    const started = performance.now();
    for (const name of this.dirtyAddresses) {
      this.dirtyAddresses.delete(name);
      this.readAddress(name);
      if (performance.now() - started > budgetMs) return true;
    }
    return false;
  }

  /** LBAddresses are left to read. */
  unread(): number {
    return this.dirtyAddresses.size;
  }

  private localInterfaces(): NodeInterface[] {
    return this.publishedLinks().map((l) => ({ name: l.name, subnets: l.subnets }));
  }

  private primaryInterface(): string | undefined {
    return this.links.find((l) => l.subnets.some((s) => s.split('/')[0] === this.o.heartbeatAddress))?.name;
  }

  /** This node's and its peers' facts for an answered, or an unanswered, address (candidateNodes). */
  private nodeFacts(answered: boolean, now: number): NodeFacts[] {
    const primary = this.primaryInterface();
    return candidateNodes({
      nodes: this.nodeObjects(),
      self: { name: this.o.node, draining: this.o.draining(), interfaces: this.localInterfaces(), ...(primary ? { primaryInterface: primary } : {}) },
      peers: this.o.membership.peers(),
      notReadySince: this.notReadySince,
      claimSeen: this.claimSeen,
      answered,
      nowMs: now,
      ...this.holds(),
    });
  }

  private holds() {
    return {
      startupHoldMs: this.o.startupHoldMs ?? DEFAULT_CANDIDACY_HOLDS.startupHoldMs,
      unknownInterfacesHoldMs: this.o.unknownInterfacesHoldMs ?? DEFAULT_CANDIDACY_HOLDS.unknownInterfacesHoldMs,
      claimEvidenceMs: this.o.claimEvidenceMs ?? DEFAULT_CANDIDACY_HOLDS.claimEvidenceMs,
    };
  }

  private armCandidacyTimer(now: number): void {
    const at = nextCandidacyChange({ notReadySince: this.notReadySince, claimSeen: this.claimSeen, nowMs: now, ...this.holds() });
    if (at === this.candidacyTimerAt) return;
    clearTimeout(this.candidacyTimer);
    this.candidacyTimerAt = at;
    if (at === undefined) return;
    this.candidacyTimer = setTimeout(() => {
      this.candidacyTimerAt = undefined;
      this.o.changed();
    }, at - now + 1);
    this.candidacyTimer.unref();
  }

  /** The Node objects as the election reads them. */
  private nodeObjects(): NodeObjectFacts[] {
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
      slices: (k) => this.sliceIndex.slicesOf(k) as Iterable<Slice>,
      lbClass: this.o.lbClass,
    });
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
      this.o.holdersChanged?.(ip);
      const name = this.nameOfIp.get(ip);
      const e = name === undefined ? undefined : this.inElection.get(name);
      if (!e) continue;
      const answered = this.isAnswered(e.address, ip);
      if (answered === e.input.answered) continue;
      e.input = { ...e.input, answered };
      this.o.election.setAnswered(name!, answered);
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
        this.o.addressLeft(before.key);
      }
      this.o.election.setAddress(name, undefined);
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
    this.inElection.set(name, { obj, address, ip, key: addressKey(address), input });
    this.nameOfIp.set(ip, name);
    this.nameOfKey.set(addressKey(address), name);
    this.o.election.setAddress(name, input);
  }
}
