import { compareBytes } from './electOwner.js';

/** The first 48 bits of a SHA-256 digest as an exact float: enough to order almost every pair without the rest. */
const prefix48 = (h: Uint8Array): number =>
  (h[0] as number) * 2 ** 40 + (h[1] as number) * 2 ** 32 + (h[2] as number) * 2 ** 24 + (h[3] as number) * 2 ** 16 + (h[4] as number) * 2 ** 8 + (h[5] as number);

/**
 * sha256(node + "#" + address), the election's ranking, computed once per (node, address) and kept as long
 * as both are known: it depends only on the names. Each address holds one Float64Array indexed by a slot per
 * node (10,000 addresses × 100 nodes ≈ 8 MB); the first 48 bits decide, and a tie is settled by hashing
 * again (full digest, then name), so the order is exactly electOwner's.
 */
export class RankCache {
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private readonly columns = new Map<string, Float64Array>();
  private width = 8;

  constructor(private readonly sha256: (text: string) => Uint8Array) {}

  /** Registers a node (idempotent); its rank is computed when first asked for. */
  addNode(node: string): void {
    if (this.slots.has(node)) return;
    const reused = this.freeSlots.pop();
    const slot = reused ?? this.slots.size;
    this.slots.set(node, slot);
    if (reused !== undefined) for (const c of this.columns.values()) if (c.length > slot) c[slot] = Number.NaN;
    if (slot >= this.width) this.width *= 2;
  }

  removeNode(node: string): void {
    const slot = this.slots.get(node);
    if (slot === undefined) return;
    this.slots.delete(node);
    this.freeSlots.push(slot);
  }

  addAddress(ip: string): void {
    if (!this.columns.has(ip)) this.columns.set(ip, new Float64Array(this.width).fill(Number.NaN));
  }

  removeAddress(ip: string): void {
    this.columns.delete(ip);
  }

  /** Negative when `a` ranks before `b` for `ip` (both registered), as electOwner orders equal-draining nodes. */
  compare(ip: string, a: string, b: string): number {
    if (a === b) return 0;
    const d = this.rank(ip, a) - this.rank(ip, b);
    if (d !== 0) return d;
    return compareBytes(this.sha256(`${a}#${ip}`), this.sha256(`${b}#${ip}`)) || (a < b ? -1 : 1);
  }

  /** Memory held, for benchmarks: cached ranks and the bytes behind them. */
  size(): { addresses: number; nodes: number; bytes: number } {
    let bytes = 0;
    for (const c of this.columns.values()) bytes += c.byteLength;
    return { addresses: this.columns.size, nodes: this.slots.size, bytes };
  }

  private rank(ip: string, node: string): number {
    const slot = this.slots.get(node);
    if (slot === undefined) throw new Error(`RankCache: node "${node}" is not registered`);
    let column = this.columns.get(ip);
    if (!column) throw new Error(`RankCache: address "${ip}" is not registered`);
    if (column.length <= slot) {
      const grown = new Float64Array(this.width).fill(Number.NaN);
      grown.set(column);
      this.columns.set(ip, (column = grown));
    }
    let r = column[slot] as number;
    if (Number.isNaN(r)) column[slot] = r = prefix48(this.sha256(`${node}#${ip}`));
    return r;
  }
}
