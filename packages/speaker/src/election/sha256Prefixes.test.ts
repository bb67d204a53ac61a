import { createHash } from 'node:crypto';
import { IncrementalElection, parseAddress, type NodeFacts } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { sha256Prefixes } from '../native/index.js';
import { cryptoSha256Prefixes, nativeSha256Prefixes } from './sha256Prefixes.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest();
const prefix48 = (t: string) => sha256(t).subarray(0, 6).reduce((r, b) => r * 256 + b, 0);

// The ranking is MetalLB's: sha256(node + "#" + address), smallest first. Digests' first 48 bits from
// coreutils sha256sum (printf '%s' 'n1#192.0.2.200' | sha256sum), not from Node: the addon must agree with
// an implementation it does not share code with, including multi-byte UTF-8 and a message longer than one
// SHA-256 block (64 bytes).
const KNOWN: [string, string, string][] = [
  ['n1', '192.0.2.200', '738f2ed09c00'],
  ['n2', '192.0.2.200', '7b5843d95cdb'],
  ['n3', '192.0.2.200', '26f3144bc0ac'],
  ['worker-1', '2001:db8:1::5', '868cd45ade84'],
  ['nöde-ü', '198.51.100.7', 'ae1c31350d1c'],
  ['a-very-long-node-name-that-is-more-than-fifty-five-bytes-long.example.internal', '2001:db8:ffff:ffff:ffff:ffff:ffff:fffe', '0e25c7b3df6b'],
];

describe.each([
  ['the addon', nativeSha256Prefixes],
  ['node:crypto', cryptoSha256Prefixes],
] as const)('sha256Prefixes (%s)', (_name, make) => {
  it.each(KNOWN)('%s#%s starts with %s', (node, address, hex) => {
    expect(make()(['x', node, 'y'], `#${address}`)[1]).toBe(Number.parseInt(hex, 16));
  });

  it('agrees with node:crypto digest by digest for 5,000 nodes and reuses its encoding of the same array', () => {
    const nodes = Array.from({ length: 5_000 }, (_, i) => `node-${i}.rack-${i % 40}.example`);
    const h = make();
    for (const ip of ['192.0.2.1', '2001:db8:1::1000']) {
      const got = Array.from(h(nodes, `#${ip}`));
      const want = nodes.map((n) => prefix48(`${n}#${ip}`));
      expect(got.filter((r, i) => r !== want[i])).toEqual([]);
    }
    expect(Array.from(h(['n1'], '#192.0.2.200'))).toEqual([Number.parseInt('738f2ed09c00', 16)]);
    expect(Array.from(h([], '#192.0.2.200'))).toEqual([]);
  });

  it('elects the same owners as a sort by full digests (MetalLB order), also past the kept entries', () => {
    const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const node = (name: string): NodeFacts => ({ name, labels: { 'kubernetes.io/os': 'linux' }, networkUnavailable: false, member: true, draining: false, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24', '2001:db8:1::b/64'] }] });
    // Few kept entries, so owners beyond them are found by ranking every node again (rankAll) when the best leave.
    const e = new IncrementalElection({ sha256, sha256Prefixes: make(), ranksKept: 2 });
    e.setAdvertisements([{ metadata: { name: 'all' }, spec: {} }]);
    for (const n of names) e.setNode(n, { answered: node(n), unanswered: node(n) });
    const ips = [...Array.from({ length: 50 }, (_, i) => `192.0.2.${i + 100}`), ...Array.from({ length: 50 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`)];
    for (const a of ips) {
      const r = parseAddress(a);
      if (!r.ok) throw new Error(r.error.message);
      e.setAddress(a, { address: r.value, pool: { name: 'p' }, services: [{ key: 'default/web', local: false, endpoints: [{ nodeName: 'n1', ready: true, serving: true }] }], answered: true });
    }
    const owner = (ip: string, among: string[]) => [...among].sort((a, b) => Buffer.compare(sha256(`${a}#${ip}`), sha256(`${b}#${ip}`)))[0];
    e.flush();
    expect(ips.map((ip) => e.result(ip)?.owner?.node)).toEqual(ips.map((ip) => owner(ip, names)));
    // The three best of two addresses leave: their elections run past their two kept entries (rankAll).
    const gone = new Set(ips.slice(0, 2).flatMap((ip) => [...names].sort((a, b) => Buffer.compare(sha256(`${a}#${ip}`), sha256(`${b}#${ip}`))).slice(0, 3)));
    for (const n of gone) e.setNode(n, undefined);
    e.flush();
    const rest = names.filter((n) => !gone.has(n));
    expect(rest.length).toBeGreaterThan(0);
    expect(ips.map((ip) => e.result(ip)?.owner?.node)).toEqual(ips.map((ip) => owner(ip, rest)));
  });
});

describe('the addon rejects what it cannot hash, naming the argument', () => {
  const names = Buffer.from('n1n2');
  it.each([
    ['out of another length', () => sha256Prefixes(names, Uint32Array.of(2, 4), Buffer.from('#x'), new Float64Array(1)), /one slot per name/],
    ['offsets beyond the names', () => sha256Prefixes(names, Uint32Array.of(2, 9), Buffer.from('#x'), new Float64Array(2)), /ascending offsets within names/],
    ['offsets descending', () => sha256Prefixes(names, Uint32Array.of(3, 1), Buffer.from('#x'), new Float64Array(2)), /ascending offsets within names/],
    ['ends not a Uint32Array', () => sha256Prefixes(names, Float64Array.of(2, 4) as never, Buffer.from('#x'), new Float64Array(2)), /ends Uint32Array/],
    ['no out', () => (sha256Prefixes as (...a: unknown[]) => void)(names, Uint32Array.of(2, 4), Buffer.from('#x')), /sha256Prefixes\(names/],
  ])('%s', (_name, call, error) => {
    expect(call).toThrow(error);
  });
});
