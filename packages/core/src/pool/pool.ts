import type { ServiceAllocation } from '../api/v1beta1.js';
import type { Family } from '../ip/address.js';
import type { IPSet } from '../ip/ipSet.js';

/**
 * A pool as the allocator uses it. `addresses` is what may be handed out; `held` additionally covers
 * addresses of a pool that is currently invalid, so existing allocations inside it are kept (bad input
 * loses nothing) while no new address comes from it.
 */
export interface Pool {
  readonly name: string;
  readonly addresses: IPSet;
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: ServiceAllocation | undefined;
  readonly valid: boolean;
}

/** IPv4 addresses ending in .0 or .255 break some clients and routers (MetalLB's avoidBuggyIPs). */
export const isBuggyAddress = (family: Family, value: bigint): boolean =>
  family === 4 && ((value & 255n) === 0n || (value & 255n) === 255n);

/** How many .0/.255 addresses lie in [first, last] (IPv4), without walking. */
export function countBuggy(first: bigint, last: bigint): bigint {
  const upTo = (x: bigint): bigint => (x < 0n ? 0n : x / 256n + 1n + (x >= 255n ? (x - 255n) / 256n + 1n : 0n));
  return upTo(last) - upTo(first - 1n);
}

/** Pools with a serviceAllocation priority come first (lower first); 0 or none is the lowest priority. */
export function poolOrder(a: Pool, b: Pool): number {
  const pa = a.serviceAllocation?.priority || Number.MAX_SAFE_INTEGER;
  const pb = b.serviceAllocation?.priority || Number.MAX_SAFE_INTEGER;
  if (pa !== pb) return pa - pb;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
