import { parseAddress, type IPAddress } from '../ip/address.js';
import { parseRange, type IPRange } from '../ip/range.js';
import { excludedBy, type InterfacePattern } from './interfaceExclude.js';
import { linkHealth, type LinkFacts } from './linkHealth.js';

export interface PublishedInterfacesInput {
  /** Every link of the node as netlink reports it. */
  readonly links: readonly LinkFacts[];
  readonly exclude: readonly InterfacePattern[];
  /** `spec.addresses` of every IPAddressPool (CIDR, single IP or range text; bad entries are skipped). */
  readonly poolAddresses: readonly string[];
  /** Interface names any L2Advertisement lists in `spec.interfaces`. */
  readonly advertisedInterfaces: readonly string[];
  /** This node's heartbeat address: the link holding it carries off-subnet addresses. */
  readonly heartbeatAddress?: string;
}

/** Why a healthy, non-excluded link is published; the heartbeat link sorts first. */
export type PublishReason = 'HeartbeatInterface' | 'NamedByAdvertisement' | 'PoolSubnet';

export interface PublishedInterface {
  readonly link: LinkFacts;
  readonly reason: PublishReason;
}

function subnetRange(cidr: string): { range: IPRange; address: IPAddress } | undefined {
  const [ip, len] = cidr.split('/');
  const a = parseAddress(ip ?? '');
  const prefix = Number(len);
  if (!a.ok || !Number.isInteger(prefix)) return undefined;
  const bits = a.value.family === 4 ? 32 : 128;
  if (prefix < 0 || prefix > bits) return undefined;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  return { address: a.value, range: { family: a.value.family, first: a.value.value & ~host, last: a.value.value | host } };
}

const overlaps = (a: IPRange, b: IPRange): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

/**
 * The links a node tells its peers about (heartbeat, Lease) and elects with: only those that can carry
 * an announced address. A link is published when it is healthy (linkHealth), matches no exclude pattern,
 * and either holds the heartbeat address (off-subnet addresses are announced there), is named by an
 * L2Advertisement, or has a subnet that overlaps a pool. Pod veths, bridges and tunnels have none of
 * these, so pod churn changes nothing peers see. Order: heartbeat link first, then by name — what a
 * heartbeat keeps when it has to trim.
 */
export function publishedInterfaces(i: PublishedInterfacesInput): PublishedInterface[] {
  const pools = i.poolAddresses.flatMap((t) => {
    const r = parseRange(t);
    return r.ok ? [r.value] : [];
  });
  const named = new Set(i.advertisedInterfaces);
  const hb = i.heartbeatAddress === undefined ? undefined : parseAddress(i.heartbeatAddress);
  const holdsHeartbeat = (subnets: readonly { address: IPAddress }[]) =>
    hb?.ok === true && subnets.some((s) => s.address.family === hb.value.family && s.address.value === hb.value.value);
  const out: PublishedInterface[] = [];
  for (const link of i.links) {
    if (linkHealth(link) !== 'Healthy' || excludedBy(link.name, i.exclude) !== undefined) continue;
    const subnets = link.subnets.map(subnetRange).filter((s) => s !== undefined);
    const reason: PublishReason | undefined =
      holdsHeartbeat(subnets)
        ? 'HeartbeatInterface'
        : named.has(link.name)
          ? 'NamedByAdvertisement'
          : subnets.some((s) => pools.some((p) => overlaps(s.range, p)))
            ? 'PoolSubnet'
            : undefined;
    if (reason) out.push({ link, reason });
  }
  return out.sort((a, b) => Number(b.reason === 'HeartbeatInterface') - Number(a.reason === 'HeartbeatInterface') || (a.link.name < b.link.name ? -1 : a.link.name > b.link.name ? 1 : 0));
}
