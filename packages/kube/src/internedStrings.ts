/** Past this many distinct values the table starts again: it must never grow with time (timestamps). */
const INTERNED_MAX = 4_096;

/**
 * One copy of the values that repeat across thousands of cached objects (namespace, class, policy, node
 * name, pool, condition type/reason/status, transition times of a burst): JSON.parse makes a new string
 * for each, and with 10,000 Services those copies were megabytes. Bounded, so a stream of new values cannot
 * make it a leak.
 */
export class InternedStrings {
  private readonly table = new Map<string, string>();
  of<S extends string | null | undefined>(s: S): S {
    if (typeof s !== 'string') return s;
    const known = this.table.get(s);
    if (known !== undefined) return known as S;
    if (this.table.size >= INTERNED_MAX) this.table.clear();
    this.table.set(s, s);
    return s;
  }
}
