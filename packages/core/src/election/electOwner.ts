import type { L2Advertisement } from '../api/v1beta1.js';
import { formatAddress, type IPAddress } from '../ip/address.js';
import { advertisementsForPool } from '../l2/advertisementSelection.js';
import { matchesAny } from '../pool/labelSelector.js';
import { chooseAnnounceInterface } from './announceInterface.js';
import { EXCLUDE_LABEL, type ElectionReason, type NodeFacts, type ServiceFacts } from './nodeFacts.js';

export interface ElectionInput {
  readonly address: IPAddress;
  readonly pool: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly advertisements: readonly L2Advertisement[];
  readonly nodes: readonly NodeFacts[];
  /** The Services on this address (several when shared). */
  readonly services: readonly ServiceFacts[];
  /** SHA-256 of a UTF-8 string; injected so core stays free of node:crypto. */
  readonly sha256: (text: string) => Uint8Array;
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

const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
};

const canServe = (e: { ready: boolean; serving: boolean }) => e.ready || e.serving;

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
  const none = (reason: ElectionReason, message: string): ElectionResult => ({ owner: undefined, reason, message, ranked: [], excluded });
  if (ads.length === 0) {
    for (const n of input.nodes) excluded.set(n.name, 'NotSelected');
    return none('NoL2Advertisement', `no L2Advertisement selects pool "${input.pool.name}"`);
  }
  if (input.services.length > 0 && input.services.every((s) => !s.endpoints.some(canServe))) {
    for (const n of input.nodes) excluded.set(n.name, 'NoLocalEndpoint');
    return none('NoReadyEndpoints', `no ready or serving endpoint for ${input.services.map((s) => s.key).join(', ')}`);
  }
  const localServices = input.services.filter((s) => s.local);
  const candidates: Candidate[] = [];
  for (const node of input.nodes) {
    const os = node.labels['kubernetes.io/os'];
    let reason: ElectionReason | undefined;
    if (!node.member) reason = 'NotMember';
    else if (os !== undefined && os !== 'linux') reason = 'NotLinux';
    else if (Object.prototype.hasOwnProperty.call(node.labels, EXCLUDE_LABEL)) reason = 'ExcludedByLabel';
    else if (node.networkUnavailable) reason = 'NetworkUnavailable';
    if (reason) {
      excluded.set(node.name, reason);
      continue;
    }
    const selecting = ads.filter((ad) => (ad.spec.nodeSelectors ?? []).length === 0 || matchesAny(ad.spec.nodeSelectors ?? [], node.labels));
    if (selecting.length === 0) {
      excluded.set(node.name, 'NotSelected');
      continue;
    }
    if (localServices.some((s) => !s.endpoints.some((e) => e.nodeName === node.name && canServe(e)))) {
      excluded.set(node.name, 'NoLocalEndpoint');
      continue;
    }
    // An advertisement without an interface list allows any interface; otherwise the lists add up.
    const allowed = selecting.some((ad) => (ad.spec.interfaces ?? []).length === 0) ? 'auto' : [...new Set(selecting.flatMap((ad) => ad.spec.interfaces ?? []))];
    const iface = chooseAnnounceInterface(input.address, node.interfaces, allowed, node.primaryInterface);
    if (!iface) {
      excluded.set(node.name, 'NoHealthyInterface');
      continue;
    }
    candidates.push({ node: node.name, interface: iface, draining: node.draining });
  }
  const keyed = candidates.map((c) => ({ c, hash: input.sha256(`${c.node}#${ip}`) }));
  keyed.sort((a, b) => (a.c.draining !== b.c.draining ? (a.c.draining ? 1 : -1) : compareBytes(a.hash, b.hash) || (a.c.node < b.c.node ? -1 : 1)));
  const ranked = keyed.map((k) => k.c);
  if (ranked.length === 0) {
    const reasons = [...new Set(excluded.values())].join(', ');
    return { owner: undefined, reason: 'NoEligibleNode', message: `no node can announce ${ip} (${reasons || 'no nodes'})`, ranked, excluded };
  }
  const owner = ranked[0] as Candidate;
  return { owner, reason: undefined, message: `${ip} on ${owner.node} (${owner.interface})`, ranked, excluded };
}
