import { formatRange, type IPRange } from './range.js';
import type { Family, IPAddress } from './address.js';

const order = (a: IPRange, b: IPRange): number =>
  a.family !== b.family ? a.family - b.family : a.first < b.first ? -1 : a.first > b.first ? 1 : 0;

/**
 * An immutable set of addresses kept as sorted, disjoint, non-adjacent intervals (IPv4 before IPv6), so
 * size, membership and "first free" cost O(log n) in the number of intervals, never in the number of
 * addresses: a /64 is one interval of 2^64 addresses.
 */
export class IPSet {
  static readonly empty = new IPSet([]);

  private constructor(readonly ranges: readonly IPRange[]) {}

  static of(ranges: Iterable<IPRange>): IPSet {
    const sorted = [...ranges].sort(order);
    const merged: IPRange[] = [];
    for (const r of sorted) {
      const prev = merged[merged.length - 1];
      if (prev && prev.family === r.family && r.first <= prev.last + 1n) {
        if (r.last > prev.last) merged[merged.length - 1] = { family: prev.family, first: prev.first, last: r.last };
      } else {
        merged.push(r);
      }
    }
    return new IPSet(merged);
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  size(family?: Family): bigint {
    let n = 0n;
    for (const r of this.ranges) if (family === undefined || r.family === family) n += r.last - r.first + 1n;
    return n;
  }

  families(): Family[] {
    return [...new Set(this.ranges.map((r) => r.family))];
  }

  /** Index of the interval holding `value`, or -(insertion point) - 1. */
  private locate(family: Family, value: bigint): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid] as IPRange;
      if (r.family < family || (r.family === family && r.last < value)) lo = mid + 1;
      else if (r.family > family || r.first > value) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  contains(address: IPAddress): boolean {
    return this.locate(address.family, address.value) >= 0;
  }

  containsRange(range: IPRange): boolean {
    const i = this.locate(range.family, range.first);
    return i >= 0 && (this.ranges[i] as IPRange).last >= range.last;
  }

  /** This set plus one address; O(intervals) copy, no re-sort (the allocator calls it per assignment). */
  withAddress(address: IPAddress): IPSet {
    const { family, value } = address;
    const i = this.locate(family, value);
    if (i >= 0) return this;
    const at = -i - 1;
    const before = this.ranges[at - 1];
    const after = this.ranges[at];
    const joinsBefore = before !== undefined && before.family === family && before.last + 1n === value;
    const joinsAfter = after !== undefined && after.family === family && after.first - 1n === value;
    const next = this.ranges.slice();
    if (joinsBefore && joinsAfter) next.splice(at - 1, 2, { family, first: before.first, last: after.last });
    else if (joinsBefore) next[at - 1] = { family, first: before.first, last: value };
    else if (joinsAfter) next[at] = { family, first: value, last: after.last };
    else next.splice(at, 0, { family, first: value, last: value });
    return new IPSet(next);
  }

  /** This set minus one address. */
  withoutAddress(address: IPAddress): IPSet {
    const { family, value } = address;
    const i = this.locate(family, value);
    if (i < 0) return this;
    const r = this.ranges[i] as IPRange;
    const pieces: IPRange[] = [];
    if (r.first < value) pieces.push({ family, first: r.first, last: value - 1n });
    if (value < r.last) pieces.push({ family, first: value + 1n, last: r.last });
    const next = this.ranges.slice();
    next.splice(i, 1, ...pieces);
    return new IPSet(next);
  }

  /** The lowest address of `family` in this set that is >= `from` and not in `used`. */
  firstFreeFrom(used: IPSet, family: Family, from: bigint): IPAddress | undefined {
    for (const r of this.ranges) {
      if (r.family !== family || r.last < from) continue;
      const start = r.first > from ? r.first : from;
      const i = used.locate(family, start);
      const candidate = i < 0 ? start : (used.ranges[i] as IPRange).last + 1n;
      if (candidate <= r.last) return { family, value: candidate };
    }
    return undefined;
  }

  union(other: IPSet): IPSet {
    return IPSet.of([...this.ranges, ...other.ranges]);
  }

  intersect(other: IPSet): IPSet {
    const out: IPRange[] = [];
    let i = 0;
    let j = 0;
    while (i < this.ranges.length && j < other.ranges.length) {
      const a = this.ranges[i] as IPRange;
      const b = other.ranges[j] as IPRange;
      if (a.family !== b.family) {
        if (a.family < b.family) i++;
        else j++;
        continue;
      }
      const first = a.first > b.first ? a.first : b.first;
      const last = a.last < b.last ? a.last : b.last;
      if (first <= last) out.push({ family: a.family, first, last });
      if (a.last < b.last) i++;
      else j++;
    }
    return new IPSet(out);
  }

  overlaps(other: IPSet): boolean {
    return !this.intersect(other).isEmpty;
  }

  subtract(other: IPSet): IPSet {
    const out: IPRange[] = [];
    for (const r of this.ranges) {
      let first = r.first;
      for (const cut of other.ranges) {
        if (cut.family !== r.family || cut.last < first) continue;
        if (cut.first > r.last) break;
        if (cut.first > first) out.push({ family: r.family, first, last: cut.first - 1n });
        first = cut.last + 1n;
        if (first > r.last) break;
      }
      if (first <= r.last) out.push({ family: r.family, first, last: r.last });
    }
    return new IPSet(out);
  }

  /**
   * The lowest address of this set (of `family`, if given) that is not in `used`. Intervals of `used` are
   * disjoint and non-adjacent, so the address right after the interval that covers a candidate is free:
   * one binary search per interval of this set.
   */
  firstFree(used: IPSet, family?: Family): IPAddress | undefined {
    for (const r of this.ranges) {
      if (family !== undefined && r.family !== family) continue;
      const i = used.locate(r.family, r.first);
      const candidate = i < 0 ? r.first : (used.ranges[i] as IPRange).last + 1n;
      if (candidate <= r.last) return { family: r.family, value: candidate };
    }
    return undefined;
  }

  equals(other: IPSet): boolean {
    return (
      this.ranges.length === other.ranges.length &&
      this.ranges.every((r, k) => {
        const o = other.ranges[k] as IPRange;
        return r.family === o.family && r.first === o.first && r.last === o.last;
      })
    );
  }

  /** Canonical text, one entry per interval; parsing it back gives an equal set. */
  toStrings(): string[] {
    return this.ranges.map(formatRange);
  }

  toString(): string {
    return this.toStrings().join(',');
  }
}
