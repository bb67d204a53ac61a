import type { IPAddress } from '../ip/address.js';
import type { NodeInterface } from './nodeFacts.js';
import { parseSubnet, type SubnetLookup } from './subnetTable.js';

/** The prefix length of the most specific subnet on `iface` that holds `address`, or -1. */
function longestMatch(address: IPAddress, iface: NodeInterface, subnet: SubnetLookup): number {
  let best = -1;
  for (const cidr of iface.subnets) {
    const a = subnet(cidr);
    if (!a || a.family !== address.family) continue;
    const bits = address.family === 4 ? 32 : 128;
    const shift = BigInt(bits - a.prefixLength);
    if (a.value >> shift === address.value >> shift && a.prefixLength > best) best = a.prefixLength;
  }
  return best;
}

/**
 * The one interface a node announces `address` on. `allowed` lists the names L2Advertisements permit, or
 * 'auto'. Preference: the interface whose subnet holds the address (most specific wins), then the one
 * carrying the node's heartbeat address (the LAN the announced addresses live on), then the first by name.
 */
export function chooseAnnounceInterface(
  address: IPAddress,
  interfaces: readonly NodeInterface[],
  allowed: readonly string[] | 'auto',
  primaryInterface?: string,
  subnet: SubnetLookup = parseSubnet,
): string | undefined {
  const usable = interfaces.filter((i) => allowed === 'auto' || allowed.includes(i.name));
  if (usable.length === 0) return undefined;
  let best: NodeInterface | undefined;
  let bestLen = -1;
  for (const i of usable) {
    const len = longestMatch(address, i, subnet);
    if (len > bestLen || (len === bestLen && len >= 0 && best && i.name < best.name)) {
      best = i;
      bestLen = len;
    }
  }
  if (best && bestLen >= 0) return best.name;
  if (primaryInterface && usable.some((i) => i.name === primaryInterface)) return primaryInterface;
  return [...usable].sort((a, b) => (a.name < b.name ? -1 : 1))[0]?.name;
}

