import type { LBAddress } from '@herald/core';

type Address = LBAddress & { metadata: { name: string } };

/** LBAddress names by the Services ("namespace/name") and the pool they name, kept in step with the reflector. */
export class LBAddressIndex {
  private readonly byService = new Map<string, Set<string>>();
  private readonly byPool = new Map<string, Set<string>>();

  update(type: 'added' | 'updated' | 'deleted', obj: Address, previous: Address | undefined): void {
    const name = obj.metadata.name;
    if (previous) this.index(name, previous, false);
    if (type !== 'deleted') this.index(name, obj, true);
  }

  ofService(key: string): ReadonlySet<string> {
    return this.byService.get(key) ?? new Set();
  }

  ofPool(pool: string): ReadonlySet<string> {
    return this.byPool.get(pool) ?? new Set();
  }

  private index(name: string, a: Address, add: boolean): void {
    const keys: [Map<string, Set<string>>, string][] = (a.spec?.services ?? []).map((s) => [this.byService, `${s.namespace}/${s.name}`]);
    if (a.spec?.pool) keys.push([this.byPool, a.spec.pool]);
    for (const [map, k] of keys) {
      let set = map.get(k);
      if (add) {
        if (!set) map.set(k, (set = new Set()));
        set.add(name);
      } else if (set) {
        set.delete(name);
        if (set.size === 0) map.delete(k);
      }
    }
  }
}
