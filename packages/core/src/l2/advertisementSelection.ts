import type { L2Advertisement } from '../api/v1beta1.js';
import { matchesAny } from '../pool/labelSelector.js';

/**
 * The L2Advertisements that apply to a pool: those naming it, those whose pool selectors match its labels,
 * and those that name no pools and have no selectors (they apply to every pool). Names of pools that do
 * not exist are simply never matched.
 */
export function advertisementsForPool(
  pool: { name: string; labels?: Readonly<Record<string, string>> },
  advertisements: readonly L2Advertisement[],
): L2Advertisement[] {
  return advertisements.filter((ad) => {
    const names = ad.spec.ipAddressPools ?? [];
    const selectors = ad.spec.ipAddressPoolSelectors ?? [];
    if (names.length === 0 && selectors.length === 0) return true;
    return names.includes(pool.name) || matchesAny(selectors, pool.labels ?? {});
  });
}
