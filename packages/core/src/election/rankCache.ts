import { compareBytes } from './electOwner.js';

/** The first 48 bits of a SHA-256 digest as an exact float: enough to order almost every pair without the rest. */
const prefix48 = (h: Uint8Array): number =>
  (h[0] as number) * 2 ** 40 + (h[1] as number) * 2 ** 32 + (h[2] as number) * 2 ** 24 + (h[3] as number) * 2 ** 16 + (h[4] as number) * 2 ** 8 + (h[5] as number);

/** How many of the best-ranked nodes each address keeps unless told otherwise. */
export const DEFAULT_RANKS_KEPT = 16;

export interface RankCacheOptions {
  /** SHA-256 of a UTF-8 string; injected so core stays free of node:crypto. */
  readonly sha256: (text: string) => Uint8Array;
  /**
   * The first 48 bits of sha256(node + suffix) (UTF-8) for every node, as exact integers, in one call: an
   * address ranks every node at once when it is first read (5,000 nodes × 10,000 addresses is 50 million
   * digests), and a batch pays the per-call cost of a hash function once. The result is read before the next
   * call (it may be a buffer the hasher reuses); `nodes` is the same array until the node set changes, so a
   * hasher may keep it encoded. Optional: without it each node is hashed with `sha256`. Must agree with
   * `sha256` exactly: ties on 48 bits are settled by `sha256`'s full digests.
   */
  readonly sha256Prefixes?: (nodes: readonly string[], suffix: string) => ArrayLike<number>;
  /** Best-ranked nodes kept per address (k). */
  readonly kept?: number;
}

/** One address's k best-ranked nodes, best first. */
interface Column {
  names: string[];
  ranks: Float64Array;
  /**
   * Every registered node that ranks before the edge is in `names` (all entries rank before it). The edge is
   * the best node ever dropped to keep k entries; Infinity when none was, i.e. `names` holds every node.
   */
  edgeRank: number;
  edgeName: string;
  /** Position in the join log up to which joined nodes have been offered; -Infinity: never built. */
  seen: number;
  /** `removals` when the entries were last checked for nodes that left. */
  pruned: number;
  /** Addresses registered with this IP: two LBAddresses may hold one (a name made by hand). */
  holders: number;
}

/** What an address knows of its order: the best-ranked nodes, best first, and whether they are all the nodes. */
export interface KnownRanks {
  readonly names: readonly string[];
  readonly ranks: Float64Array;
  readonly complete: boolean;
}

/**
 * sha256(node + "#" + address), the election's ranking, ordered exactly as electOwner orders (the first 48
 * bits decide; a tie is settled by the full digests, then the names).
 *
 * Memory is O(addresses × k + nodes), not addresses × nodes: the cache used to keep every node's rank for
 * every address (8 B × nodes per address, rounded up to a power of two: 640 MB at 5,000 nodes × 10,000
 * addresses, beyond the speaker's 256 MiB limit). An election only ever needs the best eligible node, which
 * is almost always among the first few in rank order, so each address keeps its k best (a Float64Array and
 * the names: ~300 B at k = 16) and an "edge": the best node it ever had to drop. Every registered node ranking
 * before the edge is kept, which is all the election needs to trust the kept entries:
 * - a node joining is appended to a join log (bounded by the number of nodes); an address offers itself the
 *   nodes joined since it was last read (one hash each) when it is next read, so a join costs nothing at once
 *   and one hash per address over time, exactly the hash the election's join scan needs anyway;
 * - a node leaving (its Node object deleted) is dropped from an address's entries when next read; the edge
 *   still holds, so nothing is recomputed;
 * - when an address's entries hold no eligible node and some node was dropped, the caller re-ranks every
 *   node (`rankAll`, one hash per node) and the entries are rebuilt on the way.
 * A speaker that is not a member, or is draining, stays registered (only the Node object's removal
 * unregisters), so members coming and going cost no hashes at all while they stay in an address's top k.
 */
export class RankCache {
  private readonly nodes = new Set<string>();
  /** `nodes` as an array, kept until the set changes (the batch hasher sees the same array). */
  private nodeList: string[] | undefined;
  /** Nodes registered, in order; joinsBase is the absolute position of joins[0]. */
  private readonly joins: string[] = [];
  private joinsBase = 0;
  private removals = 0;
  private readonly columns = new Map<string, Column>();
  private readonly kept: number;
  /** The last rank hashed outside the entries (a join scan reads the joining node twice in a row). */
  private memo = { ip: '', node: '', rank: 0 };
  /** SHA-256 digests computed so far: the cache's work, for callers that bound theirs. */
  hashes = 0;

  constructor(private readonly o: RankCacheOptions) {
    this.kept = Math.max(1, o.kept ?? DEFAULT_RANKS_KEPT);
  }

  /** Registers a node (idempotent); addresses rank it when they are next read. */
  addNode(node: string): void {
    if (this.nodes.has(node)) return;
    this.nodes.add(node);
    this.nodeList = undefined;
    this.joins.push(node);
    // An address further behind than the number of nodes is rebuilt instead (no more hashes than catching up).
    const cap = Math.max(64, 2 * this.nodes.size);
    if (this.joins.length > cap) {
      const drop = this.joins.length - this.nodes.size;
      this.joins.splice(0, drop);
      this.joinsBase += drop;
    }
  }

  removeNode(node: string): void {
    if (!this.nodes.delete(node)) return;
    this.removals++;
    this.nodeList = undefined;
  }

  /** One more address with this IP; each is given back with removeAddress. */
  addAddress(ip: string): void {
    const c = this.columns.get(ip);
    if (c) c.holders++;
    else this.columns.set(ip, { names: [], ranks: new Float64Array(this.kept), edgeRank: Infinity, edgeName: '', seen: -Infinity, pruned: this.removals, holders: 1 });
  }

  /** One address with this IP fewer; the column goes with the last (removing one of two left the other unregistered). */
  removeAddress(ip: string): void {
    const c = this.columns.get(ip);
    if (c && --c.holders <= 0) this.columns.delete(ip);
  }

  /** The best-ranked registered nodes for `ip`, best first (read-only views, valid until the next call). */
  known(ip: string): KnownRanks {
    const c = this.column(ip);
    return { names: c.names, ranks: c.ranks, complete: c.edgeRank === Infinity };
  }

  /** The 48-bit rank of a registered node for `ip`: from the kept entries, else hashed (and offered to them). */
  rank(ip: string, node: string): number {
    if (!this.nodes.has(node)) throw new Error(`RankCache: node "${node}" is not registered`);
    const c = this.column(ip);
    const i = c.names.indexOf(node);
    if (i >= 0) return c.ranks[i] as number;
    if (this.memo.ip === ip && this.memo.node === node) return this.memo.rank;
    const r = this.hash48(ip, node);
    this.offer(ip, c, node, r);
    return r;
  }

  /** Negative when `a` ranks before `b` for `ip` (both registered), as electOwner orders equal-draining nodes. */
  compare(ip: string, a: string, b: string): number {
    if (a === b) return 0;
    return this.rank(ip, a) - this.rank(ip, b) || this.tieBreak(ip, a, b);
  }

  /** The order of two nodes whose 48-bit ranks are equal: full digests, then names (electOwner's). */
  tieBreak(ip: string, a: string, b: string): number {
    if (a === b) return 0;
    this.hashes += 2;
    return compareBytes(this.o.sha256(`${a}#${ip}`), this.o.sha256(`${b}#${ip}`)) || (a < b ? -1 : 1);
  }

  /**
   * Ranks every registered node for `ip` (one hash each), calling `visit` with each, in no particular order,
   * and rebuilds the address's entries on the way: for an election whose kept entries hold no eligible node.
   */
  rankAll(ip: string, visit: (node: string, rank: number) => void): void {
    const c = this.column(ip);
    this.reset(c);
    this.rankEvery(ip, c, visit);
  }

  /** Memory held, for benchmarks and tests: what the entries, join log and node set take (estimated bytes). */
  size(): { addresses: number; nodes: number; bytes: number } {
    // A Float64Array and a names array per address (8 B per slot each, ~150 B of object headers), 8 B per
    // pointer in the join log and ~40 B per node in the set; strings are the callers' own.
    let bytes = 0;
    for (const c of this.columns.values()) bytes += 150 + c.ranks.byteLength + 8 * c.names.length;
    bytes += 8 * this.joins.length + 40 * this.nodes.size;
    return { addresses: this.columns.size, nodes: this.nodes.size, bytes };
  }

  private column(ip: string): Column {
    const c = this.columns.get(ip);
    if (!c) throw new Error(`RankCache: address "${ip}" is not registered`);
    const end = this.joinsBase + this.joins.length;
    if (c.seen < this.joinsBase) {
      // Never built, or further behind than the log reaches: rank every node (as many hashes as nodes).
      this.reset(c);
      this.rankEvery(ip, c);
    } else {
      for (let i = c.seen - this.joinsBase; i < this.joins.length; i++) {
        const node = this.joins[i] as string;
        if (this.nodes.has(node) && !c.names.includes(node)) this.offer(ip, c, node, this.hash48(ip, node));
      }
    }
    c.seen = end;
    if (c.pruned !== this.removals) {
      c.pruned = this.removals;
      // Dropping nodes that left keeps the edge true: every registered node before it is still kept.
      let w = 0;
      for (let r = 0; r < c.names.length; r++) {
        const node = c.names[r] as string;
        if (!this.nodes.has(node)) continue;
        c.ranks[w] = c.ranks[r] as number;
        c.names[w++] = node;
      }
      c.names.length = w;
    }
    return c;
  }

  private reset(c: Column): void {
    c.names.length = 0;
    c.edgeRank = Infinity;
    c.edgeName = '';
    c.seen = this.joinsBase + this.joins.length;
    c.pruned = this.removals;
  }

  /** Keeps `node` if it ranks before the edge, dropping the worst entry (the new edge) beyond k. */
  private offer(ip: string, c: Column, node: string, r: number): void {
    if (c.edgeRank !== Infinity && !this.before(ip, r, node, c.edgeRank, c.edgeName)) return;
    if (c.names.includes(node)) return;
    let i = c.names.length;
    while (i > 0 && this.before(ip, r, node, c.ranks[i - 1] as number, c.names[i - 1] as string)) i--;
    if (i >= this.kept) {
      c.edgeRank = r;
      c.edgeName = node;
      return;
    }
    if (c.names.length === this.kept) {
      c.edgeRank = c.ranks[this.kept - 1] as number;
      c.edgeName = c.names[this.kept - 1] as string;
      c.names.length = this.kept - 1;
    }
    c.names.splice(i, 0, node);
    c.ranks.copyWithin(i + 1, i, c.names.length - 1);
    c.ranks[i] = r;
  }

  /** Hashes every registered node for `ip` (one batch when the hasher has one), offering each to the entries. */
  private rankEvery(ip: string, c: Column, visit?: (node: string, rank: number) => void): void {
    const nodes = (this.nodeList ??= [...this.nodes]);
    const batch = this.o.sha256Prefixes;
    if (!batch) {
      for (const node of nodes) {
        const r = this.hash48(ip, node);
        this.offer(ip, c, node, r);
        visit?.(node, r);
      }
      return;
    }
    this.hashes += nodes.length;
    const ranks = batch(nodes, `#${ip}`);
    if (ranks.length !== nodes.length) throw new Error(`RankCache: sha256Prefixes returned ${ranks.length} ranks for ${nodes.length} nodes`);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as string;
      const r = ranks[i] as number;
      this.offer(ip, c, node, r);
      visit?.(node, r);
    }
  }

  private before(ip: string, ra: number, a: string, rb: number, b: string): boolean {
    return ra < rb || (ra === rb && this.tieBreak(ip, a, b) < 0);
  }

  private hash48(ip: string, node: string): number {
    this.hashes++;
    const r = prefix48(this.o.sha256(`${node}#${ip}`));
    this.memo = { ip, node, rank: r };
    return r;
  }
}
