import type { IPAddressPool } from '../api/v1beta1.js';
import { IPSet } from '../ip/ipSet.js';
import { parseRange, type IPRange } from '../ip/range.js';
import type { Pool } from './pool.js';

export type PoolReason = 'Valid' | 'InvalidAddress' | 'OverlappingAddresses' | 'Conflict' | 'DuplicateEntry';

export interface PoolVerdict {
  readonly pool: string;
  readonly valid: boolean;
  readonly reason: PoolReason;
  readonly message: string;
  /** The older pool this one overlaps, when reason is Conflict. */
  readonly conflictsWith?: string;
}

export interface ValidatedPools {
  /** Every pool, valid or not, in no particular order; invalid ones only hold existing allocations. */
  readonly pools: Pool[];
  readonly verdicts: ReadonlyMap<string, PoolVerdict>;
}

const age = (p: IPAddressPool): string => p.metadata.creationTimestamp ?? '';

/**
 * Turns IPAddressPool objects into pools and a verdict each. A pool whose address text does not parse, or
 * which overlaps itself, is invalid; a pool overlapping an older pool is the one in Conflict (older by
 * creationTimestamp, then name), so adding a pool can never take addresses away from an existing one.
 */
export function validatePools(objects: readonly IPAddressPool[]): ValidatedPools {
  const ordered = [...objects].sort((a, b) => (age(a) < age(b) ? -1 : age(a) > age(b) ? 1 : a.metadata.name < b.metadata.name ? -1 : 1));
  const pools: Pool[] = [];
  const verdicts = new Map<string, PoolVerdict>();
  const accepted: { name: string; set: IPSet }[] = [];
  for (const obj of ordered) {
    const name = obj.metadata.name;
    const ranges: IPRange[] = [];
    let verdict: PoolVerdict | undefined;
    const seen = new Map<string, number>();
    (obj.spec.addresses ?? []).forEach((text, i) => {
      const r = parseRange(text);
      if (!r.ok) {
        verdict ??= { pool: name, valid: false, reason: 'InvalidAddress', message: `spec.addresses[${i}]: ${r.error.message}` };
        return;
      }
      if (seen.has(text)) {
        verdict ??= { pool: name, valid: false, reason: 'DuplicateEntry', message: `spec.addresses[${i}]: "${text}" repeats spec.addresses[${seen.get(text)}]` };
      }
      seen.set(text, i);
      const overlap = ranges.findIndex((o) => o.family === r.value.family && o.first <= r.value.last && r.value.first <= o.last);
      if (overlap >= 0 && !verdict) {
        verdict = {
          pool: name,
          valid: false,
          reason: 'OverlappingAddresses',
          message: `spec.addresses[${i}] "${text}" overlaps another entry of the same pool`,
        };
      }
      ranges.push(r.value);
    });
    const set = IPSet.of(ranges);
    if (!verdict) {
      for (const older of accepted) {
        const common = older.set.intersect(set);
        if (!common.isEmpty) {
          verdict = {
            pool: name,
            valid: false,
            reason: 'Conflict',
            conflictsWith: older.name,
            message: `spec.addresses: ${common.toStrings().join(', ')} already belong to pool "${older.name}", which is older; remove the overlap`,
          };
          break;
        }
      }
    }
    verdict ??= { pool: name, valid: true, reason: 'Valid', message: `${set.toStrings().join(', ')}` };
    if (verdict.valid) accepted.push({ name, set });
    verdicts.set(name, verdict);
    pools.push({
      name,
      addresses: set,
      autoAssign: obj.spec.autoAssign ?? true,
      avoidBuggyIPs: obj.spec.avoidBuggyIPs ?? false,
      serviceAllocation: obj.spec.serviceAllocation,
      valid: verdict.valid,
    });
  }
  return { pools, verdicts };
}
