import { compareText } from './membershipView.js';

/**
 * FNV-1a (32 bit) of the node name: spreads neighbours on the ring independently of how names sort, so
 * the k nodes that watch a node are not its rack mates `node-17`, `node-18`. Same input, same place on
 * every speaker.
 */
export function ringHash(node: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < node.length; i++) {
    h ^= node.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const before = (a: string, b: string): number => {
  const d = ringHash(a) - ringHash(b);
  return d !== 0 ? d : compareText(a, b);
};

/** Sorts by hash once per node (decorate, sort, undecorate): thousands of nodes sort in a millisecond. */
function sortOnRing(nodes: string[]): string[] {
  const keyed = nodes.map((n) => ({ n, h: ringHash(n) }));
  keyed.sort((a, b) => a.h - b.h || compareText(a.n, b.n));
  return keyed.map((k) => k.n);
}

/**
 * The nodes a member believes alive, on a hash ring. A node heartbeats its `k` successors and is watched
 * by its `k` predecessors, so each node sends and receives k heartbeats per interval whatever N is.
 * Insert and remove are O(N) array splices (rare: joins and deaths), lookups O(log N).
 */
export class RingOrder {
  private nodes: string[];

  constructor(initial: Iterable<string> = []) {
    this.nodes = sortOnRing([...new Set(initial)]);
  }

  /** The node at position `i` (0 ≤ i < size), for picking members uniformly at random. */
  at(i: number): string {
    return this.nodes[i]!;
  }

  /** Adds many nodes with one sort (bootstrap from a list). */
  insertAll(nodes: readonly string[]): void {
    this.nodes = sortOnRing([...new Set([...this.nodes, ...nodes])]);
  }

  /**
   * A ring holding exactly the nodes of `other`: a copy of its order, no sort (a simulation bootstraps
   * thousands of members with the same list).
   */
  static copyOf(other: RingOrder): RingOrder {
    const r = new RingOrder();
    r.nodes = other.nodes.slice();
    return r;
  }

  get size(): number {
    return this.nodes.length;
  }

  has(node: string): boolean {
    const i = this.search(node);
    return i < this.nodes.length && this.nodes[i] === node;
  }

  /** Adds `node`; false when it was there already. */
  insert(node: string): boolean {
    const i = this.search(node);
    if (this.nodes[i] === node) return false;
    this.nodes.splice(i, 0, node);
    return true;
  }

  /** Removes `node`; false when it was not there. */
  remove(node: string): boolean {
    const i = this.search(node);
    if (this.nodes[i] !== node) return false;
    this.nodes.splice(i, 1);
    return true;
  }

  /** The next `k` nodes after `node` clockwise (never `node` itself; fewer when the ring is small). */
  successors(node: string, k: number): string[] {
    return this.walk(node, k, 1);
  }

  /** The `k` nodes before `node`: those whose successors include `node` when every member sees this ring. */
  predecessors(node: string, k: number): string[] {
    return this.walk(node, k, -1);
  }

  private walk(node: string, k: number, step: 1 | -1): string[] {
    const n = this.nodes.length;
    if (n === 0) return [];
    let i = this.search(node);
    const present = this.nodes[i] === node;
    // Not on the ring: start from where it would be inserted.
    if (step === -1) i = i - 1;
    else if (present) i = i + 1;
    const out: string[] = [];
    for (let steps = 0; out.length < k && steps < n; steps++) {
      const at = ((i % n) + n) % n;
      const v = this.nodes[at]!;
      if (v !== node) out.push(v);
      i += step;
    }
    return out;
  }

  /** First index whose node is not before `node`. */
  private search(node: string): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.nodes[mid]!, node) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
