import type { IPAddressPoolStatus, PoolUsage, PoolVerdict } from '@herald/core';
import type { ConditionInput } from '@herald/core';

const INT64_MAX = (1n << 63n) - 1n;
const capped = (n: bigint): number => Number(n > INT64_MAX ? INT64_MAX : n);

/** Pool status from the allocator's counts and the validation verdict. */
export function desiredPoolStatus(usage: PoolUsage | undefined, verdict: PoolVerdict): { counts: Omit<IPAddressPoolStatus, 'conditions'>; conditions: ConditionInput[] } {
  const u = usage ?? { v4: { total: 0n, inUse: 0n }, v6: { total: 0n, inUse: 0n } };
  // An invalid pool hands out nothing (its kept addresses still count as assigned): AVAILABLE says 0.
  const free = (f: { total: bigint; inUse: bigint }) => (verdict.valid && f.total > f.inUse ? f.total - f.inUse : 0n);
  return {
    counts: {
      assignedIPv4: capped(u.v4.inUse),
      assignedIPv6: capped(u.v6.inUse),
      availableIPv4: capped(free(u.v4)),
      availableIPv6: capped(free(u.v6)),
      assigned: capped(u.v4.inUse + u.v6.inUse),
      available: (free(u.v4) + free(u.v6)).toString(),
    },
    conditions: [
      { type: 'Valid', status: verdict.valid ? 'True' : 'False', reason: verdict.reason, message: verdict.valid ? `serving ${verdict.message}` : verdict.message },
      {
        type: 'Conflict',
        status: verdict.reason === 'Conflict' ? 'True' : 'False',
        reason: verdict.reason === 'Conflict' ? 'OverlapsOlderPool' : 'NoOverlap',
        message: verdict.reason === 'Conflict' ? verdict.message : 'no address of this pool belongs to another pool',
      },
    ],
  };
}
