import type { L2Advertisement } from '../api/v1beta1.js';
import { formatAddress, type IPAddress } from '../ip/address.js';
import { advertisementsForPool } from '../l2/advertisementSelection.js';
import { matchesAny } from '../pool/labelSelector.js';
import { chooseAnnounceInterface } from './announceInterface.js';
import { EXCLUDE_LABEL, type ElectionReason, type NodeFacts, type ServiceFacts } from './nodeFacts.js';
import { parseSubnet, type SubnetLookup } from './subnetTable.js';

export interface ElectionInput {
  readonly address: IPAddress;
  readonly pool: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly advertisements: readonly L2Advertisement[];
  readonly nodes: readonly NodeFacts[];
  /** The Services on this address (several when shared). */
  readonly services: readonly ServiceFacts[];
  /** SHA-256 of a UTF-8 string; injected so core stays free of node:crypto. */
  readonly sha256: (text: string) => Uint8Array;
  /** Parsed interface subnets (a SubnetTable's lookup keeps them across elections); parsed each time if absent. */
  readonly subnet?: SubnetLookup;
}

export interface Candidate {
  readonly node: string;
  readonly interface: string;
  readonly draining: boolean;
}

export interface ElectionResult {
  /** The announcing node and interface, or undefined with `reason`. */
  readonly owner: Candidate | undefined;
  readonly reason: ElectionReason | undefined;
  readonly message: string;
  /** Every eligible node in rank order (owner first). */
  readonly ranked: readonly Candidate[];
  /** Why each other node is not a candidate. */
  readonly excluded: ReadonlyMap<string, ElectionReason>;
}

export const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
};

const canServe = (e: { ready: boolean; serving: boolean }) => e.ready || e.serving;

type NodeCheck = readonly [ElectionReason, (node: NodeFacts, selectingAds: number, localServices: readonly ServiceFacts[]) => boolean];

/** Per-node checks before an interface is chosen; the first failing one is the node's reason. */
const NODE_CHECKS: readonly NodeCheck[] = [
  ['NotLinux', (n) => n.labels['kubernetes.io/os'] !== undefined && n.labels['kubernetes.io/os'] !== 'linux'],
  ['ExcludedByLabel', (n) => Object.prototype.hasOwnProperty.call(n.labels, EXCLUDE_LABEL)],
  ['NotSelected', (_n, selecting) => selecting === 0],
  ['NetworkUnavailable', (n) => n.networkUnavailable],
  ['NotMember', (n) => !n.member],
  ['NoLocalEndpoint', (n, _s, local) => local.some((s) => !s.endpoints.some((e) => e.nodeName === n.name && canServe(e)))],
];

/** Reading order of node reasons in messages: the checks, then the interface choice. */
export const NODE_REASON_ORDER: readonly ElectionReason[] = [...NODE_CHECKS.map(([r]) => r), 'NoHealthyInterface'];
const HINTS: Partial<Record<ElectionReason, string>> = {
  NotLinux: 'not a Linux node',
  ExcludedByLabel: `labelled ${EXCLUDE_LABEL}`,
  NotSelected: "no L2Advertisement's nodeSelectors match",
  NetworkUnavailable: 'Node condition NetworkUnavailable=True',
  NotMember: 'no live, ready herald-speaker',
  NoLocalEndpoint: 'externalTrafficPolicy Local and no ready endpoint there',
  NoHealthyInterface: 'no healthy interface allowed for this address',
};
/** At most this many node names per reason, so a condition message stays readable on a large cluster. */
const NAMES_PER_REASON = 10;

/** "NotSelected (…): n2, n3; NotMember (…): n1": reasons in fix-first order, nodes by name. */
export function describeExclusions(excluded: ReadonlyMap<string, ElectionReason>): string {
  if (excluded.size === 0) return 'no nodes';
  const byReason = new Map<ElectionReason, string[]>();
  for (const [node, reason] of excluded) byReason.set(reason, [...(byReason.get(reason) ?? []), node]);
  const rank = (r: ElectionReason) => (NODE_REASON_ORDER.includes(r) ? NODE_REASON_ORDER.indexOf(r) : NODE_REASON_ORDER.length);
  return [...byReason]
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .map(([reason, nodes]) => {
      const sorted = [...nodes].sort();
      const more = sorted.length > NAMES_PER_REASON ? ` and ${sorted.length - NAMES_PER_REASON} more` : '';
      return `${reason}${HINTS[reason] ? ` (${HINTS[reason]})` : ''}: ${sorted.slice(0, NAMES_PER_REASON).join(', ')}${more}`;
    })
    .join('; ');
}

/** The pool- and Service-wide reasons nobody may announce an address, before any node is looked at. */
export function addressGate(
  pool: { readonly name: string },
  ads: readonly L2Advertisement[],
  services: readonly ServiceFacts[],
): { readonly reason: ElectionReason; readonly message: string; readonly nodeReason: ElectionReason } | undefined {
  if (ads.length === 0) return { reason: 'NoL2Advertisement', message: `no L2Advertisement selects pool "${pool.name}"`, nodeReason: 'NotSelected' };
  if (services.length > 0 && services.every((s) => !s.endpoints.some(canServe))) {
    return { reason: 'NoReadyEndpoints', message: `no ready or serving endpoint for ${services.map((s) => s.key).join(', ')}`, nodeReason: 'NoLocalEndpoint' };
  }
  return undefined;
}

/**
 * Whether one node may announce `address`, and on which interface: the first failing check is its reason,
 * in the order a user has to act on them (what the node is and how it is configured, then its live state:
 * a Windows node never runs a speaker, so NotMember would hide NotLinux).
 */
export function nodeEligibility(
  address: IPAddress,
  node: NodeFacts,
  ads: readonly L2Advertisement[],
  localServices: readonly ServiceFacts[],
  subnet: SubnetLookup = parseSubnet,
): { readonly ok: true; readonly interface: string } | { readonly ok: false; readonly reason: ElectionReason } {
  const selecting = ads.filter((ad) => (ad.spec.nodeSelectors ?? []).length === 0 || matchesAny(ad.spec.nodeSelectors ?? [], node.labels));
  const reason = NODE_CHECKS.find(([, fails]) => fails(node, selecting.length, localServices))?.[0];
  if (reason) return { ok: false, reason };
  if (node.interfacesUnknown) return { ok: true, interface: UNKNOWN_INTERFACE };
  // An advertisement without an interface list allows any interface; otherwise the lists add up.
  const allowed = selecting.some((ad) => (ad.spec.interfaces ?? []).length === 0) ? 'auto' : [...new Set(selecting.flatMap((ad) => ad.spec.interfaces ?? []))];
  const iface = chooseAnnounceInterface(address, node.interfaces, allowed, node.primaryInterface, subnet);
  return iface ? { ok: true, interface: iface } : { ok: false, reason: 'NoHealthyInterface' };
}

/** A node that fails a check no address can change (what it is, or no live speaker): it can own nothing. */
export function excludedEverywhere(node: NodeFacts): boolean {
  return NODE_CHECKS.slice(0, 2).some(([, fails]) => fails(node, 1, [])) || node.networkUnavailable || !node.member;
}

/** The interface of a starting peer that has not published its interfaces yet (NodeFacts.interfacesUnknown). */
export const UNKNOWN_INTERFACE = '';
export const ownerMessage = (ip: string, owner: Candidate): string =>
  `${ip} on ${owner.node} (${owner.interface === UNKNOWN_INTERFACE ? 'starting, interfaces not yet published' : owner.interface})`;
export const noEligibleNodeMessage = (ip: string, excluded: ReadonlyMap<string, ElectionReason>): string => `no node can announce ${ip}: ${describeExclusions(excluded)}`;

/**
 * Which node answers for one address. Every speaker evaluates this with the same facts and gets the same
 * answer, so no per-address lease is written. Ranking is sha256(node + "#" + address) ascending, as in
 * MetalLB, with draining nodes last: adding a node moves only the addresses it now wins, and removing a
 * node that owns nothing moves nothing.
 */
export function electOwner(input: ElectionInput): ElectionResult {
  const ip = formatAddress(input.address);
  const ads = advertisementsForPool(input.pool, input.advertisements);
  const excluded = new Map<string, ElectionReason>();
  const gate = addressGate(input.pool, ads, input.services);
  if (gate) {
    for (const n of input.nodes) excluded.set(n.name, gate.nodeReason);
    return { owner: undefined, reason: gate.reason, message: gate.message, ranked: [], excluded };
  }
  const localServices = input.services.filter((s) => s.local);
  const candidates: Candidate[] = [];
  for (const node of input.nodes) {
    const e = nodeEligibility(input.address, node, ads, localServices, input.subnet);
    if (!e.ok) excluded.set(node.name, e.reason);
    else candidates.push({ node: node.name, interface: e.interface, draining: node.draining });
  }
  const keyed = candidates.map((c) => ({ c, hash: input.sha256(`${c.node}#${ip}`) }));
  keyed.sort((a, b) => (a.c.draining !== b.c.draining ? (a.c.draining ? 1 : -1) : compareBytes(a.hash, b.hash) || (a.c.node < b.c.node ? -1 : 1)));
  const ranked = keyed.map((k) => k.c);
  if (ranked.length === 0) return { owner: undefined, reason: 'NoEligibleNode', message: noEligibleNodeMessage(ip, excluded), ranked, excluded };
  const owner = ranked[0] as Candidate;
  return { owner, reason: undefined, message: ownerMessage(ip, owner), ranked, excluded };
}
