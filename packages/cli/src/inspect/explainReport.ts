import { ANNOTATION, ADDRESS_ASSIGNED, ANNOUNCED, describeExclusions, NODE_REASON_ORDER, type ElectionReason } from '@herald/core';
import type { AddressView, HeraldView } from './heraldView.js';

/** A condition or Event, as explain lists transitions. */
export interface Transition {
  time: string;
  source: string;
  reason: string;
  message: string;
}

export interface ExplainAddress {
  address: string;
  pool: string;
  /** Other Services on this address in the same namespace; other namespaces are never named. */
  sharedWith: string[];
  /** Who answers now, as the speakers wrote it on the LBAddress (they see heartbeats; this tool sees Leases). */
  answeredBy: string | null;
  /** electOwner over the facts read now (peer liveness from Leases). */
  owner: { node: string; interface: string } | null;
  /** Why the speakers' answer and this election differ, when they do. */
  note: string | null;
  /** electOwner's reason when nobody may announce it. */
  noOwnerReason: string | null;
  message: string;
  /** Eligible nodes in election order: sha256(node#address) ascending, draining last. */
  ranking: { rank: number; node: string; interface: string; draining: boolean; sha256: string }[];
  excluded: { node: string; reason: string; why: string }[];
  /** What the speakers wrote on the LBAddress. */
  reported: { node: string; interface: string; mac: string; since: string; transitions: number; announced: string };
}

export interface ExplainReport {
  service: string;
  /** Why herald does not handle it (OtherClass, NotLoadBalancer, Deleted), or null. */
  notHerald: string | null;
  assigned: {
    /** AddressAssigned as the Service shows it now. */
    shown: { status: string; reason: string; message: string; since: string } | null;
    /** planService over the facts read now. */
    planned: { reason: string; message: string; addresses: string[] } | null;
  };
  pool: { name: string; why: string; valid: boolean | null; verdict: string } | null;
  addresses: ExplainAddress[];
  transitions: Transition[];
}

interface ServiceLike {
  metadata?: { namespace?: string; name?: string; annotations?: Record<string, string> };
  spec?: { type?: string; loadBalancerClass?: string };
  status?: { conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime?: unknown }[] };
}

const iso = (t: unknown): string => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : '');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** "NotLinux (not a Linux node)": core's wording for one node reason, as in condition messages. */
export const reasonWithHint = (reason: ElectionReason): string => describeExclusions(new Map([['-', reason]])).replace(/: -$/, '');

function poolWhy(svc: ServiceLike, pool: string): string {
  const a = svc.metadata?.annotations ?? {};
  const asked = a[ANNOTATION.addressPool] ?? a['metallb.io/address-pool'] ?? a['metallb.universe.tf/address-pool'];
  if (asked !== undefined) return `the Service asks for it (${ANNOTATION.addressPool}: ${asked})`;
  if (a[ANNOTATION.loadBalancerIPs] !== undefined) return `it holds the requested address (${ANNOTATION.loadBalancerIPs}: ${a[ANNOTATION.loadBalancerIPs]})`;
  return `the first pool, by priority then name, that allows this Service and had a free address (pool "${pool}")`;
}

/** Why the speakers may answer differently from the election computed here: they judge liveness by heartbeats. */
function differenceNote(reported: string | undefined, elected: string | undefined, speakers: HeraldView['speakers']): string | null {
  if ((reported ?? '') === (elected ?? '')) return null;
  const lease = elected ? speakers.find((s) => s.node === elected) : undefined;
  if (lease && reported) {
    return `the speakers moved it to ${reported}; ${elected}'s Lease was renewed ${lease.renewedAgoSeconds ?? '?'}s ago (duration ${lease.leaseDurationSeconds ?? '?'}s): a speaker that stopped shows in heartbeats at once and in its Lease only when it expires, or a hand-over is under way`;
  }
  if (!reported && elected) return `${elected} is elected but has not reported announcing it yet (starting, or the status write is pending)`;
  return `the speakers still report ${reported}, which is no longer elected: a hand-over is under way, or its speaker stopped before clearing the status`;
}

function explainAddress(a: AddressView, namespace: string, self: string, sha256: (t: string) => Uint8Array, speakers: HeraldView['speakers']): ExplainAddress {
  const e = a.election;
  const s = a.object.status;
  const announced = s?.conditions?.find((c) => c.type === 'Announced');
  const sameNs = a.services.filter((k) => k !== self && k.startsWith(`${namespace}/`));
  // electOwner names the Services without endpoints: only this namespace's may be shown.
  const message = e.reason === 'NoReadyEndpoints' ? `no ready or serving endpoint for any Service on ${a.address}` : e.message;
  const order = (r: ElectionReason) => NODE_REASON_ORDER.indexOf(r);
  return {
    address: a.address,
    pool: a.pool,
    sharedWith: sameNs,
    answeredBy: s?.node ?? null,
    owner: e.owner ? { node: e.owner.node, interface: e.owner.interface } : null,
    note: differenceNote(s?.node, e.owner?.node, speakers),
    noOwnerReason: e.reason ?? null,
    message,
    ranking: e.ranked.map((c, i) => ({ rank: i + 1, node: c.node, interface: c.interface, draining: c.draining, sha256: hex(sha256(`${c.node}#${a.address}`)).slice(0, 12) })),
    excluded: [...e.excluded]
      .sort(([na, ra], [nb, rb]) => order(ra) - order(rb) || (na < nb ? -1 : 1))
      .map(([node, reason]) => ({ node, reason, why: reasonWithHint(reason).slice(reason.length).replace(/^ \((.*)\)$/, '$1') })),
    reported: {
      node: s?.node ?? '',
      interface: s?.interface ?? '',
      mac: s?.mac ?? '',
      since: s?.since ?? '',
      transitions: s?.transitions ?? 0,
      // The speakers' NoReadyEndpoints message names every Service on the address: show this tool's own wording instead.
      announced: announced ? `${announced.status} ${announced.reason}: ${announced.reason === 'NoReadyEndpoints' ? `no ready or serving endpoint for any Service on ${a.address}` : announced.message}` : '',
    },
  };
}

/** Everything explain says about one Service, from the replayed decisions and what the objects show. */
export function explainReport(
  view: HeraldView,
  svc: ServiceLike | undefined,
  key: string,
  o: { lbClass: string | undefined; events: readonly { time: string; type: string; reason: string; message: string }[]; sha256: (t: string) => Uint8Array },
): ExplainReport {
  const [namespace] = key.split('/') as [string];
  const notHerald = !svc ? 'Deleted' : svc.spec?.type !== 'LoadBalancer' ? 'NotLoadBalancer' : (svc.spec?.loadBalancerClass ?? undefined) !== o.lbClass ? 'OtherClass' : null;
  const shownCond = svc?.status?.conditions?.find((c) => c.type === ADDRESS_ASSIGNED);
  const plan = view.plans.get(key);
  const pool = plan?.pool;
  const verdict = pool ? view.verdicts.get(pool) : undefined;
  const addresses = plan ? view.addresses.filter((a) => a.services.includes(key)).map((a) => explainAddress(a, namespace, key, o.sha256, view.speakers)) : [];
  const transitions: Transition[] = [];
  for (const c of svc?.status?.conditions ?? []) {
    if (c.type === ADDRESS_ASSIGNED || c.type === ANNOUNCED) transitions.push({ time: iso(c.lastTransitionTime), source: `condition ${c.type.replace('herald.dev/', '')}=${c.status}`, reason: c.reason, message: c.message });
  }
  for (const a of addresses) {
    if (a.reported.since) transitions.push({ time: a.reported.since, source: `LBAddress ${a.address}`, reason: 'Announcing', message: `${a.reported.node} on ${a.reported.interface} (transition ${a.reported.transitions})` });
  }
  for (const e of o.events) transitions.push({ time: e.time, source: `event ${e.type}`, reason: e.reason, message: e.message });
  transitions.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return {
    service: key,
    notHerald,
    assigned: {
      shown: shownCond ? { status: shownCond.status, reason: shownCond.reason, message: shownCond.message, since: iso(shownCond.lastTransitionTime) } : null,
      planned: plan ? { reason: plan.reason, message: plan.status.conditions[0]?.message ?? '', addresses: plan.status.ingress } : null,
    },
    pool: pool && svc ? { name: pool, why: poolWhy(svc, pool), valid: verdict ? verdict.valid : null, verdict: verdict ? `${verdict.reason}${verdict.message ? `: ${verdict.message}` : ''}` : 'pool object not found' } : null,
    addresses,
    transitions: transitions.slice(-10),
  };
}
