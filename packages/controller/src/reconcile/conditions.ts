import type { Condition, ConditionInput } from '@herald/core';

export { ADDRESS_ASSIGNED, ANNOUNCED, type ConditionInput } from '@herald/core';

/**
 * Replaces our conditions in a list and keeps everyone else's. lastTransitionTime moves only when the
 * status flips, as the Kubernetes API conventions ask.
 */
export function mergeConditions(existing: readonly Condition[], ours: readonly ConditionInput[], now: string, generation?: number): Condition[] {
  const out: Condition[] = existing.filter((c) => !ours.some((o) => o.type === c.type));
  for (const o of ours) {
    const before = existing.find((c) => c.type === o.type);
    out.push({
      ...o,
      lastTransitionTime: before && before.status === o.status ? before.lastTransitionTime : now,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    });
  }
  return out;
}

/** True if our conditions differ in status, reason or message (timestamps do not count). */
export function conditionsDiffer(existing: readonly Condition[], ours: readonly ConditionInput[]): boolean {
  return ours.some((o) => {
    const c = existing.find((e) => e.type === o.type);
    return !c || c.status !== o.status || c.reason !== o.reason || c.message !== o.message;
  });
}

export const findCondition = (list: readonly Condition[] | undefined, type: string): Condition | undefined => list?.find((c) => c.type === type);
