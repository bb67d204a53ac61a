import {
  ADDRESS_ASSIGNED, Allocator, advertisementsForPool, electOwner, formatAddress, lbAddressName, noOwnerReporter, parseAddress, candidateNodes, DEFAULT_CANDIDACY_HOLDS, planService,
  readSpeakerLease, currentIngress, validatePools, readHeartbeatHealthReport, HEARTBEAT_HEALTH_ANNOTATION, type ElectionResult, type HeartbeatHealthReport, type HeartbeatHealthUnreadable, type Result, type LBAddress, type ManagePlan, type NodeFacts, type PeerFacts, type PoolVerdict, type ServiceFacts, type ServiceView,
} from '@herald/core';
import type { ClusterFacts } from './clusterFacts.js';

/** How status and explain read the cluster: the same settings the binaries run with. */
export interface ViewOptions {
  /** Only Services of this loadBalancerClass are herald's (the controller's and speakers' --lb-class). */
  readonly lbClass: string | undefined;
  readonly nowMs: number;
  readonly sha256: (text: string) => Uint8Array;
}

/** A speaker as its Lease shows it: renewal, flags, and the heartbeat health the speaker writes there. */
export interface SpeakerState {
  readonly node: string;
  /** The Lease was renewed within its duration. */
  readonly alive: boolean;
  readonly ready: boolean;
  readonly draining: boolean;
  /** Seconds since the last renewal, if the Lease has a renewTime. */
  readonly renewedAgoSeconds: number | undefined;
  readonly leaseDurationSeconds: number | undefined;
  readonly heartbeatAddress: string | undefined;
  /** Interfaces the speaker publishes (name=subnets), the election's per-node interface facts. */
  readonly interfaces: readonly { readonly name: string; readonly subnets: readonly string[] }[];
  readonly warnings: readonly string[];
  /** The speaker process that renews the Lease (herald.dev/incarnation). */
  readonly incarnation: number | undefined;
  /** herald.dev/heartbeat-health as read; unreadable (absent, older format) is a reason, not an error. */
  readonly heartbeatHealth: Result<HeartbeatHealthReport, HeartbeatHealthUnreadable>;
  /** alive/ready/draining in one word: Ready, Draining, NotReady, Dead. */
  readonly state: 'Ready' | 'Draining' | 'NotReady' | 'Dead';
}

export interface AddressView {
  readonly address: string;
  readonly pool: string;
  readonly services: readonly string[];
  readonly object: LBAddress;
  /** electOwner over the live facts, as every speaker computes it. */
  readonly election: ElectionResult;
  /** Which speaker writes "nobody announces this" for it (noOwnerReporter), when nobody owns it. */
  readonly reporter: string | undefined;
}

export interface HeraldView {
  readonly verdicts: ReadonlyMap<string, PoolVerdict>;
  readonly allocator: Allocator;
  /** planService's plan for every herald Service, by namespace/name, from replaying the controller's first pass. */
  readonly plans: ReadonlyMap<string, ManagePlan>;
  readonly speakers: readonly SpeakerState[];
  readonly nodes: readonly NodeFacts[];
  readonly addresses: readonly AddressView[];
}

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace}/${o.metadata?.name}`;

/** A speaker's Lease read with the speakers' own parser; liveness from renewTime + leaseDurationSeconds. */
export function speakerStates(leases: ClusterFacts['leases'], nowMs: number): SpeakerState[] {
  const out: SpeakerState[] = [];
  for (const lease of leases) {
    const r = readSpeakerLease(lease as Parameters<typeof readSpeakerLease>[0]);
    if (!r.ok) continue;
    const info = r.value;
    const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : undefined;
    const alive = renew !== undefined && info.durationMs !== undefined && nowMs < renew + info.durationMs;
    const state = !alive ? 'Dead' : info.draining ? 'Draining' : info.ready ? 'Ready' : 'NotReady';
    out.push({
      node: info.node,
      alive,
      ready: info.ready,
      draining: info.draining,
      renewedAgoSeconds: renew === undefined ? undefined : Math.max(0, Math.round((nowMs - renew) / 1000)),
      leaseDurationSeconds: info.durationMs === undefined ? undefined : info.durationMs / 1000,
      heartbeatAddress: info.heartbeatAddress,
      interfaces: info.interfaces ?? [],
      warnings: info.warnings,
      incarnation: info.incarnation,
      heartbeatHealth: readHeartbeatHealthReport(lease.metadata?.annotations?.[HEARTBEAT_HEALTH_ANNOTATION]),
      state,
    });
  }
  return out.sort((a, b) => (a.node < b.node ? -1 : 1));
}

/**
 * The election's view of every node, as a speaker builds it (candidateNodes, with the speaker's default
 * holds), with peer liveness and interfaces from the Leases instead of heartbeats, and no node as self.
 * `answered`: someone announces the address now, so a starting speaker is not a candidate (peerCandidacy).
 */
export function electionNodes(facts: ClusterFacts, speakers: readonly SpeakerState[], answered: boolean, nowMs: number): NodeFacts[] {
  const peers = new Map<string, PeerFacts>();
  // A speaker counts a starting peer from when it first saw it not ready; the Lease's incarnation (the
  // process's start) is the nearest the CLI can read.
  const notReadySince = new Map<string, number>();
  for (const s of speakers) {
    const primary = s.interfaces.find((i) => i.subnets.some((c) => c.split('/')[0] === s.heartbeatAddress))?.name;
    peers.set(s.node, { alive: s.alive, ready: s.ready, draining: s.draining, interfaces: s.interfaces, ...(primary ? { primaryInterface: primary } : {}) });
    if (s.alive && !s.ready && s.incarnation !== undefined && s.incarnation <= nowMs) notReadySince.set(s.node, s.incarnation);
  }
  return candidateNodes({
    nodes: facts.nodes.map((n) => ({
      name: n.metadata?.name as string,
      labels: n.metadata?.labels ?? {},
      networkUnavailable: (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
    })),
    peers, notReadySince, claimSeen: new Map(), answered, nowMs, ...DEFAULT_CANDIDACY_HOLDS,
  });
}

/** The Services on an address as the election sees them (speakerController.serviceFacts). */
export function serviceFacts(facts: ClusterFacts, refs: readonly { namespace: string; name: string }[], lbClass: string | undefined): ServiceFacts[] {
  const out: ServiceFacts[] = [];
  for (const ref of refs) {
    const svc = facts.services.find((s) => s.metadata?.namespace === ref.namespace && s.metadata?.name === ref.name);
    if (!svc || svc.spec?.type !== 'LoadBalancer' || (svc.spec.loadBalancerClass ?? undefined) !== lbClass) continue;
    const endpoints = [];
    for (const slice of facts.slices) {
      if (slice.metadata?.namespace !== ref.namespace || slice.metadata?.labels?.['kubernetes.io/service-name'] !== ref.name) continue;
      for (const e of slice.endpoints ?? []) {
        const ready = e.conditions?.ready !== false;
        endpoints.push({ ...(e.nodeName ? { nodeName: e.nodeName } : {}), ready, serving: e.conditions?.serving ?? ready });
      }
    }
    out.push({ key: `${ref.namespace}/${ref.name}`, local: svc.spec.externalTrafficPolicy === 'Local', endpoints });
  }
  return out;
}

/**
 * Replays the controller's first pass (services holding an address first, then the rest, by key) through
 * planService on a fresh Allocator, and runs electOwner for every LBAddress: the binaries' decisions over
 * the facts read now. Pure: the clock and sha256 come in.
 */
export function heraldView(facts: ClusterFacts, o: ViewOptions): HeraldView {
  const { pools, verdicts } = validatePools(facts.pools as Parameters<typeof validatePools>[0]);
  const allocator = new Allocator();
  allocator.setPools(pools);
  const nsLabels = new Map(facts.namespaces.map((n) => [n.metadata?.name, n.metadata?.labels ?? {}]));
  const byKey = new Map(facts.services.map((s) => [keyOf(s), s]));
  const lbAddresses = new Map(facts.addresses.map((a) => [a.metadata.name, a]));
  const plans = new Map<string, ManagePlan>();
  const keys = [...byKey.keys()].sort();
  const has = (k: string) => currentIngress((byKey.get(k) ?? {}) as Parameters<typeof currentIngress>[0]).length > 0;
  for (const key of [...keys.filter(has), ...keys.filter((k) => !has(k))]) {
    const svc = byKey.get(key)!;
    const plan = planService(
      {
        allocator,
        lbClass: o.lbClass,
        namespaceLabels: nsLabels.get(svc.metadata?.namespace) ?? {},
        hasAdvertisement: (pool) => {
          const p = facts.pools.find((x) => x.metadata.name === pool);
          return !!p && advertisementsForPool({ name: pool, labels: p.metadata.labels }, facts.advertisements as L2Ads).length > 0;
        },
        lbAddressOf: (a) => lbAddresses.get(lbAddressName(a)),
      },
      key,
      svc as unknown as ServiceView,
    );
    if (plan.kind === 'manage') plans.set(key, plan);
  }
  const speakers = speakerStates(facts.leases, o.nowMs);
  const answeredNodes = electionNodes(facts, speakers, true, o.nowMs);
  const unansweredNodes = electionNodes(facts, speakers, false, o.nowMs);
  const reporter = noOwnerReporter(speakers.map((s) => ({ name: s.node, member: s.alive, draining: s.draining, ready: s.ready })));
  const addresses: AddressView[] = [];
  for (const obj of facts.addresses) {
    const parsed = parseAddress(obj.spec?.address ?? '');
    if (!parsed.ok) continue;
    const election = electAddress(facts, obj, obj.status?.node ? answeredNodes : unansweredNodes, o);
    addresses.push({
      address: formatAddress(parsed.value),
      pool: obj.spec.pool,
      services: (obj.spec.services ?? []).map((s) => `${s.namespace}/${s.name}`),
      object: obj,
      election,
      reporter: election.owner ? undefined : reporter,
    });
  }
  addresses.sort((a, b) => (a.address < b.address ? -1 : 1));
  return { verdicts, allocator, plans, speakers, nodes: answeredNodes, addresses };
}

type L2Ads = Parameters<typeof advertisementsForPool>[1];

/** electOwner for one LBAddress with the given node facts, exactly as a speaker calls it; undefined for an unparsable address. */
export function electAddress(facts: ClusterFacts, obj: LBAddress, nodes: readonly NodeFacts[], o: Pick<ViewOptions, 'lbClass' | 'sha256'>): ElectionResult {
  const parsed = parseAddress(obj.spec?.address ?? '');
  if (!parsed.ok) throw new Error(`LBAddress ${obj.metadata.name}: ${parsed.error.message}`);
  const pool = facts.pools.find((p) => p.metadata.name === obj.spec.pool);
  return electOwner({
    address: parsed.value,
    pool: { name: obj.spec.pool, ...(pool?.metadata.labels ? { labels: pool.metadata.labels } : {}) },
    advertisements: facts.advertisements as L2Ads,
    nodes,
    services: serviceFacts(facts, obj.spec.services ?? [], o.lbClass),
    sha256: o.sha256,
  });
}

/** The AddressAssigned condition the Service shows now (the controller's last word), if any. */
export function shownCondition(svc: { status?: { conditions?: readonly { type: string; status: string; reason: string; message: string; lastTransitionTime?: unknown }[] } }) {
  return svc.status?.conditions?.find((c) => c.type === ADDRESS_ASSIGNED);
}
