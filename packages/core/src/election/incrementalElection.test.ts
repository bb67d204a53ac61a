import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { L2Advertisement } from '../api/v1beta1.js';
import { electOwner } from './electOwner.js';
import { IncrementalElection, type AddressElectionInput, type NodeVariants, type OwnerResult } from './incrementalElection.js';
import { EXCLUDE_LABEL, type NodeFacts, type ServiceFacts } from './nodeFacts.js';
import { AD, addr, both, ip, node, prng, svc } from './testing/electionScene.js';

let hashes = 0;
const sha256 = (t: string) => {
  hashes++;
  return new Uint8Array(createHash('sha256').update(t).digest());
};

/** The ranking alone, computed independently: sha256(node#ip) ascending. */
const byHash = (names: string[], address: string) =>
  [...names].sort((a, b) => Buffer.compare(sha256(`${a}#${address}`), sha256(`${b}#${address}`)));

/** 200 addresses on 192.0.2.0/24 and 2001:db8:1::/64, ten nodes, everything flushed. */
function world(): { e: IncrementalElection; ips: string[]; nodes: string[] } {
  const e = new IncrementalElection({ sha256 });
  e.setAdvertisements([AD]);
  const nodes = Array.from({ length: 10 }, (_, i) => `n${i}`);
  for (const n of nodes) e.setNode(n, both(node(n)));
  const ips = [...Array.from({ length: 100 }, (_, i) => `192.0.2.${i + 100}`), ...Array.from({ length: 100 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`)];
  for (const a of ips) e.setAddress(a, addr(a));
  e.flush();
  return { e, ips, nodes };
}

describe('IncrementalElection', () => {
  it('elects the lowest sha256(node#ip), as electOwner does', () => {
    const { e, ips, nodes } = world();
    for (const a of ips) expect(e.result(a)?.owner?.node).toBe(byHash(nodes, a)[0]);
  });

  it.each([
    ['a node leaving re-elects only the addresses it owned', (e: IncrementalElection) => e.setNode('n3', both(node('n3', { member: false }))), (o: Owners) => o.get('n3')!],
    ['a node whose Node object is deleted re-elects only the addresses it owned', (e: IncrementalElection) => e.setNode('n3', undefined), (o: Owners) => o.get('n3')!],
    ['a node draining re-elects only the addresses it owned', (e: IncrementalElection) => e.setNode('n3', both(node('n3', { draining: true }))), (o: Owners) => o.get('n3')!],
    ['a node that owns nothing leaving re-elects nothing', (e: IncrementalElection) => e.setNode('gone', both(node('gone', { member: false }))), () => new Set<string>()],
  ] as const)('%s', (_name, change, expected) => {
    const { e, ips } = world();
    const owners = ownersOf(e, ips);
    change(e);
    expect(e.dirtyCount()).toBe(expected(owners).size);
    expect(new Set(e.flush().map((c) => c.name))).toEqual(expected(owners));
  });

  it('a node joining re-elects only the addresses where it out-ranks the owner, and wins exactly those', () => {
    const { e, ips, nodes } = world();
    e.setNode('new', both(node('new')));
    const wins = ips.filter((a) => byHash([...nodes, 'new'], a)[0] === 'new');
    expect(e.flush().map((c) => c.name).sort()).toEqual([...wins].sort());
    expect(e.pending()).toBe(0);
  });

  it('a node joining is compared with every owner in bounded steps of flush, not at once', () => {
    // A new node can win any address: comparing it (one hash per address) is O(addresses) and must be
    // sliced like elections are, or a join at 10,000 addresses blocks the event loop in one stretch.
    const { e, ips, nodes } = world();
    hashes = 0;
    e.setNode('new', both(node('new')));
    expect(hashes).toBe(0);
    expect(e.dirtyCount()).toBe(0);
    expect(e.pending()).toBe(ips.length);
    const changed: string[] = [];
    let steps = 0;
    while (e.pending() > 0) {
      hashes = 0;
      for (const c of e.flush(25)) changed.push(c.name);
      expect(hashes).toBeLessThanOrEqual(25);
      steps++;
    }
    const wins = ips.filter((a) => byHash([...nodes, 'new'], a)[0] === 'new');
    expect(steps).toBeGreaterThanOrEqual(Math.ceil(ips.length / 25));
    expect(changed.sort()).toEqual([...wins].sort());
  });

  it('the first election: nodes set before any address is elected are compared with no owner (no join scans)', () => {
    // A starting speaker reads its addresses and then every node (or the other way round) before it elects
    // anything: a join scan per node would be nodes × addresses steps (50 million at 5,000 × 10,000) that
    // can find nothing, since no address has an owner yet and every one is elected with all nodes anyway.
    const e = new IncrementalElection({ sha256 });
    e.setAdvertisements([AD]);
    const ips = Array.from({ length: 100 }, (_, i) => `192.0.2.${i + 100}`);
    const nodes = Array.from({ length: 20 }, (_, i) => `n${i}`);
    for (const a of ips) e.setAddress(a, addr(a));
    for (const n of nodes) e.setNode(n, both(node(n)));
    expect(e.pending()).toBe(ips.length);
    let flushes = 0;
    while (e.pending() > 0 && flushes < 1_000) {
      e.flush(10);
      flushes++;
    }
    // About one flush per ten addresses plus the hashes (each address ranks 20 nodes once), not 20 × 100 steps more.
    expect(flushes).toBeLessThanOrEqual(ips.length * (1 + nodes.length) / 10 + 1);
    for (const a of ips) expect(e.result(a)?.owner?.node).toBe(byHash(nodes, a)[0]);
    // Once something is elected, a node joining is compared again.
    e.setNode('new', both(node('new')));
    expect(e.pending()).toBe(ips.length);
  });

  it('a node changing again while it is still being compared is compared on its latest facts only', () => {
    const { e, ips, nodes } = world();
    e.setNode('new', both(node('new')));
    e.flush(50);
    e.setNode('new', both(node('new', { member: false })));
    expect(e.pending()).toBe(e.dirtyCount());
    e.flush();
    for (const a of ips) expect(e.result(a)?.owner?.node).toBe(byHash(nodes, a)[0]);
  });

  it('a node joining excluded from everything (no live speaker yet) re-elects nothing', () => {
    const { e } = world();
    e.setNode('new', both(node('new', { member: false })));
    e.setNode('win', both(node('win', { labels: { [EXCLUDE_LABEL]: '' } })));
    expect(e.pending()).toBe(0);
  });

  it('one address changing re-elects that address only', () => {
    const { e, ips } = world();
    e.setAddress(ips[0]!, addr(ips[0]!, { services: [svc({ endpoints: [] })] }));
    expect(e.pending()).toBe(1);
    expect(e.flush()).toEqual([{ name: ips[0], result: { owner: undefined, reason: 'NoReadyEndpoints', message: 'no ready or serving endpoint for default/web' } }]);
  });

  it('an answered flag flipping re-elects nothing while no peer is starting', () => {
    const { e, ips } = world();
    e.setAddress(ips[0]!, addr(ips[0]!, { answered: false }));
    expect(e.pending()).toBe(0);
  });

  it('a deleted address is reported once with no result and leaves the owner index', () => {
    const { e, ips } = world();
    const owner = e.result(ips[0]!)!.owner!.node;
    e.setAddress(ips[0]!, undefined);
    expect(e.flush()).toEqual([{ name: ips[0], result: undefined }]);
    expect(e.ownedBy(owner).has(ips[0]!)).toBe(false);
  });

  it('computes each (node, address) hash once, however often the node comes and goes', () => {
    const { e } = world();
    hashes = 0;
    for (let i = 0; i < 5; i++) {
      e.setNode('n3', both(node('n3', { member: false })));
      e.flush();
      e.setNode('n3', both(node('n3')));
      e.flush();
    }
    // Ties in the first 48 bits would hash again; with 200 addresses there are none.
    expect(hashes).toBe(0);
  });

  it('a full recompute can be spread over bounded slices', () => {
    const { e, ips } = world();
    e.markAll();
    let rounds = 0;
    while (e.pending() > 0) {
      e.flush(50);
      rounds++;
    }
    expect(rounds).toBe(Math.ceil(ips.length / 50));
  });
});

type Owners = Map<string, Set<string>>;
function ownersOf(e: IncrementalElection, ips: string[]): Owners {
  const o: Owners = new Map();
  for (const a of ips) {
    const n = e.result(a)?.owner?.node;
    if (n) o.set(n, (o.get(n) ?? new Set()).add(a));
  }
  return o;
}


describe('IncrementalElection property: after every step it equals a full electOwner recompute', () => {
  const NODE_NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const IPS = [...Array.from({ length: 12 }, (_, i) => `192.0.2.${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `198.51.100.${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `2001:db8:1::${i + 1}`)];

  const story = (seed: number, NODE_NAMES: readonly string[]) => {
    const r = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const chance = (p: number) => r() < p;
    const randomFacts = (name: string, member: boolean): NodeFacts => ({
      name,
      labels: {
        'kubernetes.io/os': chance(0.05) ? 'windows' : 'linux',
        ...(chance(0.05) ? { [EXCLUDE_LABEL]: '' } : {}),
        zone: pick(['z1', 'z2']),
      },
      networkUnavailable: chance(0.05),
      member,
      draining: chance(0.15),
      interfaces: pick([
        [{ name: 'eth0', subnets: ['192.0.2.200/24', '2001:db8:1::c8/64'] }],
        [{ name: 'eth1', subnets: ['198.51.100.200/24'] }],
        [{ name: 'eth0', subnets: ['192.0.2.201/24'] }, { name: 'eth1', subnets: ['198.51.100.201/24'] }],
        [],
      ]),
      ...(chance(0.3) ? { primaryInterface: 'eth1' } : {}),
    });
    const randomNode = (name: string): NodeVariants => {
      const f = randomFacts(name, chance(0.8));
      // A starting peer: a candidate only where nobody answers.
      // One without interfaces has not published them yet (candidateNodes flags it interfacesUnknown).
      return chance(0.15) ? { answered: { ...f, member: false }, unanswered: { ...f, member: true, ...(f.interfaces.length === 0 ? { interfacesUnknown: true } : {}) } } : { answered: f, unanswered: f };
    };
    const randomServices = (): ServiceFacts[] => Array.from({ length: pick([0, 1, 1, 2]) }, (_, i) => ({
      key: `ns/s${i}`,
      local: chance(0.4),
      endpoints: Array.from({ length: pick([0, 1, 2, 3]) }, () => {
        const ready = chance(0.7);
        return { nodeName: pick(NODE_NAMES), ready, serving: ready || chance(0.5) };
      }),
    }));
    const randomAddress = (a: string): AddressElectionInput => ({
      address: ip(a), pool: pick([{ name: 'p1' }, { name: 'p2', labels: { tier: 'web' } }]), services: randomServices(), answered: chance(0.5),
    });
    const randomAds = (): L2Advertisement[] => Array.from({ length: pick([0, 1, 1, 2]) }, (_, i) => ({
      metadata: { name: `ad${i}` },
      spec: {
        ...(chance(0.5) ? { ipAddressPools: [pick(['p1', 'p2'])] } : {}),
        ...(chance(0.4) ? { nodeSelectors: [{ matchLabels: { zone: pick(['z1', 'z2']) } }] } : {}),
        ...(chance(0.3) ? { interfaces: [pick(['eth0', 'eth1'])] } : {}),
      },
    }));
    return { r, pick, chance, randomNode, randomAddress, randomAds };
  };

  // The rank cache keeps each address's k best-ranked nodes: with k at least the number of nodes it never
  // has to rank every node again; with k small (1 or 3 of 16 nodes) the kept entries run out all the time
  // (nodes leaving, not eligible, draining, deleted and created again) and the election falls back.
  const MANY = Array.from({ length: 16 }, (_, i) => `n${i.toString(36)}`);
  it.each([
    ...Array.from({ length: 40 }, (_, i) => [1000 + i, 16, NODE_NAMES] as const),
    ...Array.from({ length: 15 }, (_, i) => [2000 + i, 1, MANY] as const),
    ...Array.from({ length: 15 }, (_, i) => [3000 + i, 3, MANY] as const),
  ])('seed %i, %i ranks kept: 150 random joins, leaves, address, Service and advertisement changes', (seed, ranksKept, names) => {
    const NODE_NAMES = names;
    const s = story(seed, NODE_NAMES);
    const e = new IncrementalElection({ sha256, ranksKept });
    const nodes = new Map<string, NodeVariants>();
    const addresses = new Map<string, AddressElectionInput>();
    let ads: L2Advertisement[] = [{ metadata: { name: 'all' }, spec: {} }];
    e.setAdvertisements(ads);
    const reported = new Map<string, OwnerResult>();
    for (let step = 0; step < 150; step++) {
      const roll = s.r();
      if (roll < 0.35) {
        const n = s.pick(NODE_NAMES);
        const v = s.chance(0.15) ? undefined : s.randomNode(n);
        if (v) nodes.set(n, v);
        else nodes.delete(n);
        e.setNode(n, v);
      } else if (roll < 0.75) {
        const a = s.pick(IPS);
        const v = s.chance(0.1) ? undefined : s.randomAddress(a);
        if (v) addresses.set(a, v);
        else addresses.delete(a);
        e.setAddress(a, v);
      } else if (roll < 0.92) {
        const a = s.pick(IPS);
        const cur = addresses.get(a);
        if (cur) {
          const v = { ...cur, answered: !cur.answered };
          addresses.set(a, v);
          e.setAddress(a, v);
        }
      } else {
        ads = s.randomAds();
        e.setAdvertisements(ads);
      }
      // Sometimes leave work pending across steps; always settle before checking.
      if (s.chance(0.3)) continue;
      while (e.pending() > 0) {
        for (const c of e.flush(1 + Math.floor(s.r() * 5))) {
          if (c.result) reported.set(c.name, c.result);
          else reported.delete(c.name);
        }
      }
      for (const [a, input] of addresses) {
        const vs = [...nodes.values()].map((v) => (input.answered ? v.answered : v.unanswered));
        const full = electOwner({ address: input.address, pool: input.pool, advertisements: ads, nodes: vs, services: input.services, sha256 });
        const want = { owner: full.owner, reason: full.reason, message: full.message };
        expect(e.result(a), `seed ${seed} step ${step} ${a}`).toEqual(want);
        expect(reported.get(a), `seed ${seed} step ${step} ${a} (reported changes)`).toEqual(want);
      }
      expect([...reported.keys()].filter((a) => !addresses.has(a))).toEqual([]);
    }
  });

  // A hand-over of 750 addresses echoes ~1,500 status writes back as LBAddress updates with unchanged
  // facts, and every election round hands every node's facts in again: comparing them as JSON text made
  // two strings per comparison, garbage in proportion to the addresses (ADR 0012: GC pauses).
  it('equal facts handed in again (new objects) take the no-change path without building strings', () => {
    const { e, ips, nodes } = world();
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      for (const a of ips) e.setAddress(a, addr(a, { pool: { name: 'web' }, services: [svc({ endpoints: [{ nodeName: 'n1', ready: true, serving: true }] })] }));
      for (const n of nodes) e.setNode(n, both(node(n)));
      e.setAdvertisements([{ metadata: { name: 'ad' }, spec: {} }]);
      expect(stringify).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
    expect({ pending: e.pending(), changed: e.flush() }).toEqual({ pending: 0, changed: [] });
  });

  it('a changed endpoint of an address is still seen as a change', () => {
    const { e, ips } = world();
    e.setAddress(ips[0]!, addr(ips[0]!, { services: [svc({ endpoints: [{ nodeName: 'n1', ready: false, serving: false }] })] }));
    expect(e.dirtyCount()).toBe(1);
  });
});

describe('IncrementalElection with two addresses holding one IP (an LBAddress named by hand)', () => {
  it('removing one leaves the other electable, and re-setting one with the same IP registers nothing more', () => {
    const e = new IncrementalElection({ sha256 });
    e.setAdvertisements([AD]);
    for (const n of ['n0', 'n1', 'n2']) e.setNode(n, both(node(n)));
    e.setAddress('a1', addr('192.0.2.100'));
    e.setAddress('a2', addr('192.0.2.100'));
    e.flush();
    const owner = e.result('a2')?.owner?.node;
    expect(owner).toBeDefined();
    // The same facts again, then changed facts with the same IP: still one registration for a1.
    e.setAddress('a1', addr('192.0.2.100'));
    e.setAddress('a1', { ...addr('192.0.2.100'), answered: true });
    e.setAddress('a1', undefined);
    e.setNode(owner!, both(node(owner!, { draining: true })));
    while (e.pending() > 0) e.flush();
    expect(e.result('a2')?.owner?.node).not.toBe(owner);
    expect(e.successorIfGone('a2')).toBeDefined();
    e.setAddress('a2', undefined);
    while (e.pending() > 0) e.flush();
    // Both gone: the IP is unregistered, and a third address with it starts afresh.
    e.setAddress('a3', addr('192.0.2.100'));
    e.flush();
    expect(e.result('a3')?.owner).toBeDefined();
  });
});
