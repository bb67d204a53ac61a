import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareBytes } from './electOwner.js';
import { RankCache } from './rankCache.js';

let hashes = 0;
const sha256 = (t: string) => {
  hashes++;
  return new Uint8Array(createHash('sha256').update(t).digest());
};
/** A digest whose first 48 bits are the same for everyone: every comparison is a tie the full digest settles. */
const tiedSha256 = (t: string) => {
  const d = sha256(t);
  d.fill(7, 0, 6);
  return d;
};
/** Only two digests exist: ties even in the full digest, settled by the names. */
const twoDigests = (t: string) => new Uint8Array(32).fill(t.startsWith('a') ? 1 : 2);

/** A cheap 8-byte digest (FNV-1a, twice): for tests about memory, not order. */
const fnvDigest = (t: string) => {
  let h = 0x811c9dc5;
  let g = 0x01000193;
  for (let i = 0; i < t.length; i++) {
    h = Math.imul(h ^ t.charCodeAt(i), 0x01000193) >>> 0;
    g = Math.imul(g ^ t.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return new Uint8Array(new Uint32Array([h, g]).buffer);
};

/** electOwner's order for equal-draining nodes: full digest, then name. */
const byHash = (names: readonly string[], ip: string, h: (t: string) => Uint8Array = sha256) =>
  [...names].sort((a, b) => compareBytes(h(`${a}#${ip}`), h(`${b}#${ip}`)) || (a < b ? -1 : 1));

const nodes = (n: number, prefix = 'n') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const IPS = ['192.0.2.1', '198.51.100.7', '2001:db8:1::5'];

function cache(o: { kept: number; nodes: readonly string[]; ips?: readonly string[]; sha256?: (t: string) => Uint8Array }): RankCache {
  const c = new RankCache({ sha256: o.sha256 ?? sha256, kept: o.kept });
  for (const n of o.nodes) c.addNode(n);
  for (const ip of o.ips ?? IPS) c.addAddress(ip);
  return c;
}

describe('RankCache', () => {
  it.each([
    ['k = 1 of 30 nodes', 1, 30],
    ['k = 3 of 30 nodes', 3, 30],
    ['k = 16 of 30 nodes', 16, 30],
    ['k = 16 of 10 nodes (all kept)', 16, 10],
  ] as const)('%s: keeps the first k in electOwner order, complete only when it holds every node', (_name, kept, n) => {
    const names = nodes(n);
    const c = cache({ kept, nodes: names });
    for (const ip of IPS) {
      const k = c.known(ip);
      expect(k.names).toEqual(byHash(names, ip).slice(0, kept));
      expect(k.complete).toBe(n <= kept);
    }
  });

  it.each([
    ['48-bit prefixes tie: the full digest decides', tiedSha256, nodes(12)],
    ['full digests tie: the name decides', twoDigests, ['b3', 'a2', 'b1', 'a9', 'a1', 'b0']],
  ] as const)('%s', (_name, h, names) => {
    const c = cache({ kept: 4, nodes: names, sha256: h });
    const want = byHash(names, IPS[0]!, h);
    expect(c.known(IPS[0]!).names).toEqual(want.slice(0, 4));
    for (const a of names) for (const b of names) expect(Math.sign(c.compare(IPS[0]!, a, b))).toBe(Math.sign(want.indexOf(a) - want.indexOf(b)));
  });

  it.each([
    ['a node joining is ranked once per address, when the address is next read', 3],
    ['a node joining among k = 16', 16],
  ] as const)('%s', (_name, kept) => {
    const names = nodes(30);
    const c = cache({ kept, nodes: names });
    for (const ip of IPS) c.known(ip);
    const want = IPS.map((ip) => byHash([...names, 'j1', 'j2'], ip).slice(0, kept));
    hashes = 0;
    for (const j of ['j1', 'j2']) c.addNode(j);
    expect(hashes).toBe(0);
    expect(IPS.map((ip) => c.known(ip).names)).toEqual(want);
    expect(hashes).toBe(2 * IPS.length);
  });

  it('a node removed leaves the kept entries without a hash; rankAll rebuilds the exact first k', () => {
    const names = nodes(30);
    const c = cache({ kept: 3, nodes: names });
    const ip = IPS[0]!;
    const top = c.known(ip).names.slice();
    hashes = 0;
    for (const n of top) c.removeNode(n);
    expect(c.known(ip)).toMatchObject({ names: [], complete: false });
    expect(hashes).toBe(0);
    const rest = names.filter((n) => !top.includes(n));
    const want = byHash(rest, ip).slice(0, 3);
    hashes = 0;
    const seen: string[] = [];
    c.rankAll(ip, (n) => seen.push(n));
    expect(seen.sort()).toEqual([...rest].sort());
    expect(hashes).toBe(rest.length);
    expect(c.known(ip).names).toEqual(want);
  });

  it('a node removed and registered again is kept again (its rank depends only on its name)', () => {
    const names = nodes(20);
    const c = cache({ kept: 4, nodes: names });
    const ip = IPS[1]!;
    const best = c.known(ip).names[0]!;
    c.removeNode(best);
    expect(c.known(ip).names).not.toContain(best);
    c.addNode(best);
    expect(c.known(ip).names).toEqual(byHash(names, ip).slice(0, 4));
  });

  it('an address further behind than the join log reaches is rebuilt, still exact', () => {
    const first = nodes(10);
    const c = cache({ kept: 4, nodes: first });
    c.known(IPS[0]!);
    // Many more joins than the log keeps (at least 64, twice the nodes): the address cannot catch up from it.
    const later = nodes(300, 'm');
    for (const n of later) c.addNode(n);
    expect(c.known(IPS[0]!).names).toEqual(byHash([...first, ...later], IPS[0]!).slice(0, 4));
  });

  it('ranks a node outside the kept entries by hashing it, once for two reads in a row', () => {
    const names = nodes(30);
    const c = cache({ kept: 2, nodes: names });
    const ip = IPS[2]!;
    const last = byHash(names, ip).at(-1)!;
    c.known(ip);
    hashes = 0;
    expect(c.compare(ip, last, c.known(ip).names[0]!)).toBeGreaterThan(0);
    expect(c.rank(ip, last)).toBeGreaterThan(c.rank(ip, c.known(ip).names[1]!));
    expect(hashes).toBe(1);
  });

  describe('with a batch hasher (sha256Prefixes)', () => {
    const prefix48 = (d: Uint8Array) => d.subarray(0, 6).reduce((r, b) => r * 256 + b, 0);
    /** The batch the speaker's addon computes, from a digest function; records what it was called with. */
    const batchOf = (h: (t: string) => Uint8Array) => {
      const calls: { nodes: readonly string[]; suffix: string }[] = [];
      const batch = (list: readonly string[], suffix: string) => {
        calls.push({ nodes: list, suffix });
        return Float64Array.from(list, (n) => prefix48(h(`${n}${suffix}`)));
      };
      return { batch, calls };
    };
    it.each([
      ['sha256', sha256, nodes(40)],
      ['48-bit prefixes tie: the full digest decides', tiedSha256, nodes(12)],
      ['full digests tie: the name decides', twoDigests, ['b3', 'a2', 'b1', 'a9', 'a1', 'b0']],
    ] as const)('%s: the same order as one digest per node, one call per address', (_name, h, names) => {
      const { batch, calls } = batchOf(h);
      const c = new RankCache({ sha256: h, sha256Prefixes: batch, kept: 4 });
      for (const n of names) c.addNode(n);
      for (const ip of IPS) c.addAddress(ip);
      for (const ip of IPS) {
        const want = byHash(names, ip, h);
        expect(c.known(ip).names).toEqual(want.slice(0, 4));
        for (const a of names) for (const b of names) expect(Math.sign(c.compare(ip, a, b))).toBe(Math.sign(want.indexOf(a) - want.indexOf(b)));
      }
      expect(calls.map((x) => x.suffix)).toEqual(IPS.map((ip) => `#${ip}`));
      expect(c.hashes).toBeGreaterThanOrEqual(IPS.length * names.length);
    });

    it('passes the same node array until the node set changes, and rankAll uses the batch too', () => {
      const { batch, calls } = batchOf(sha256);
      const c = new RankCache({ sha256, sha256Prefixes: batch, kept: 3 });
      const names = nodes(30);
      for (const n of names) c.addNode(n);
      for (const ip of IPS) c.addAddress(ip);
      c.known(IPS[0]!);
      c.known(IPS[1]!);
      expect(calls[1]!.nodes).toBe(calls[0]!.nodes);
      const top = c.known(IPS[0]!).names.slice();
      for (const n of top) c.removeNode(n);
      const rest = names.filter((n) => !top.includes(n));
      const seen = new Map<string, number>();
      c.rankAll(IPS[0]!, (n, r) => seen.set(n, r));
      expect(calls).toHaveLength(3);
      expect(calls[2]!.nodes).not.toBe(calls[0]!.nodes);
      expect([...calls[2]!.nodes].sort()).toEqual([...rest].sort());
      expect([...seen.keys()].sort()).toEqual([...rest].sort());
      for (const [n, r] of seen) expect(r).toBe(prefix48(sha256(`${n}#${IPS[0]}`)));
      expect(c.known(IPS[0]!).names).toEqual(byHash(rest, IPS[0]!).slice(0, 3));
    });

    it('a batch that returns the wrong number of ranks is an error, not a wrong order', () => {
      const c = new RankCache({ sha256, sha256Prefixes: () => new Float64Array(1), kept: 3 });
      for (const n of nodes(5)) c.addNode(n);
      c.addAddress(IPS[0]!);
      expect(() => c.known(IPS[0]!)).toThrow(/returned 1 ranks for 5 nodes/);
    });
  });

  it('an IP registered by two addresses stays until both are removed', () => {
    const c = cache({ kept: 2, nodes: ['a', 'b'], ips: [] });
    c.addAddress(IPS[0]!);
    c.addAddress(IPS[0]!);
    c.removeAddress(IPS[0]!);
    expect(c.known(IPS[0]!).names).toHaveLength(2);
    c.removeAddress(IPS[0]!);
    expect(() => c.known(IPS[0]!)).toThrow(/address .* is not registered/);
  });

  it('throws naming an unregistered node or address', () => {
    const c = cache({ kept: 2, nodes: ['a'] });
    expect(() => c.rank(IPS[0]!, 'ghost')).toThrow(/node "ghost"/);
    expect(() => c.rank('203.0.113.9', 'a')).toThrow(/address "203.0.113.9"/);
  });

  it("memory stays O(addresses × k + nodes) at Kubernetes' maximum of 5,000 nodes, not addresses × nodes", () => {
    // The cache used to keep a Float64Array of one slot per node, rounded up to a power of two, per address:
    // 64 KiB per address at 5,000 nodes, 640 MB at 10,000 addresses.
    const ADDRESSES = 20;
    const NODES = 5_000;
    const ips = Array.from({ length: ADDRESSES }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`);
    // Any digest shows the memory; FNV-1a keeps the test fast on a busy host.
    const c = new RankCache({ sha256: fnvDigest });
    const names = nodes(NODES);
    for (const n of names) c.addNode(n);
    for (const ip of ips) c.addAddress(ip);
    for (const ip of ips) expect(c.compare(ip, names[0]!, names[NODES - 1]!)).not.toBe(0);
    const { bytes, addresses, nodes: registered } = c.size();
    expect({ addresses, registered }).toEqual({ addresses: ADDRESSES, registered: NODES });
    expect(bytes).toBeLessThanOrEqual(ADDRESSES * 1024 + NODES * 64);
  });
});
