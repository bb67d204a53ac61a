// IncrementalElection.successorIfGone keeps its answers between standby plans (SuccessorCache) and forgets
// them on the changes that can move them. The bar: every answer equals the election on the same facts
// without the owner (electOwner, the specification, and a fresh election's own first answer), whatever
// happened since it was kept.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { L2Advertisement } from '../api/v1beta1.js';
import { electOwner, type Candidate } from './electOwner.js';
import { IncrementalElection, type AddressElectionInput, type NodeVariants } from './incrementalElection.js';
import { EXCLUDE_LABEL, type NodeFacts, type ServiceFacts } from './nodeFacts.js';
import { AD, addr, both, ip, node, prng, svc } from './testing/electionScene.js';

const sha256 = (t: string) => new Uint8Array(createHash('sha256').update(t).digest());

/** Node names in the election's order for one address: sha256(node#ip) ascending. */
const byHash = (names: readonly string[], address: string) =>
  [...names].sort((a, b) => Buffer.compare(sha256(`${a}#${address}`), sha256(`${b}#${address}`)));

const NODES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
const A = '192.0.2.100';
/** A's order from the hashes alone: FIRST owns it, SECOND would take it, then THIRD. */
const [FIRST, SECOND, THIRD, FOURTH] = byHash(NODES, A) as [string, string, string, string];

/** Every node but `left` (those join later in a row), A elected, and one successor answer asked and kept. */
function kept(over: Record<string, Partial<NodeFacts>> = {}, input: AddressElectionInput = addr(A), left: readonly string[] = []): IncrementalElection {
  const e = new IncrementalElection({ sha256 });
  e.setAdvertisements([AD]);
  for (const n of NODES.filter((x) => !left.includes(x))) e.setNode(n, both(node(n, over[n])));
  e.setAddress(A, input);
  e.flush();
  e.successorIfGone(A);
  expect(e.successorsKept()).toBe(1);
  return e;
}

const settle = (e: IncrementalElection) => {
  while (e.pending() > 0) e.flush();
};

const local = (...nodes: string[]) => addr(A, { services: [svc({ local: true, endpoints: nodes.map((nodeName) => ({ nodeName, ready: true, serving: true })) })] });

describe('IncrementalElection.successorIfGone: kept answers', () => {
  it('asked again with nothing changed: the same answer object, no election', () => {
    const e = kept();
    const first = e.successorIfGone(A);
    expect(first?.node).toBe(SECOND);
    expect(e.successorIfGone(A)).toBe(first);
  });

  const LAN1 = { interfaces: [{ name: 'lan1', subnets: ['192.0.2.12/24'] }] };
  it.each([
    ['the successor leaves: the third takes it', {}, (e: IncrementalElection) => e.setNode(SECOND, both(node(SECOND, { member: false }))), THIRD],
    ['the successor\'s Node object is deleted: the third', {}, (e: IncrementalElection) => e.setNode(SECOND, undefined), THIRD],
    ['the successor starts draining: the third (draining ranks last)', {}, (e: IncrementalElection) => e.setNode(SECOND, both(node(SECOND, { draining: true }))), THIRD],
    ['the successor moves to another interface: the same node on it', {}, (e: IncrementalElection) => e.setNode(SECOND, both(node(SECOND, LAN1))), `${SECOND}/lan1`],
    ['a node ranked third leaves: nothing moves', {}, (e: IncrementalElection) => e.setNode(THIRD, both(node(THIRD, { member: false }))), SECOND],
    ['the owner leaves: after the round, the successor of the new owner', {}, (e: IncrementalElection) => e.setNode(FIRST, both(node(FIRST, { member: false }))), THIRD],
    ['the address\'s Service turns Local with endpoints on the owner and the third only', {}, (e: IncrementalElection) => e.setAddress(A, local(FIRST, THIRD)), THIRD],
    ['an L2Advertisement now allows only an interface the successor lacks', { [SECOND]: LAN1 }, (e: IncrementalElection) => e.setAdvertisements([{ metadata: { name: 'ad' }, spec: { interfaces: ['eth0'] } }]), THIRD],
    ['whether the address is answered flips (no peer starting): the kept answer holds', {}, (e: IncrementalElection) => e.setAnswered(A, false), SECOND],
  ] as const)('%s', (_name, over, change, expected) => {
    const e = kept(over);
    change(e);
    settle(e);
    const next = e.successorIfGone(A);
    expect(next && (next.interface === 'eth0' ? next.node : `${next.node}/${next.interface}`)).toBe(expected);
  });

  it.each([
    ['joins', (e: IncrementalElection) => e.setNode(SECOND, both(node(SECOND))), [SECOND]],
    ['stops draining', (e: IncrementalElection) => e.setNode(SECOND, both(node(SECOND))), []],
    ['gets a healthy interface', (e: IncrementalElection) => e.setNode(SECOND, both(node(SECOND))), []],
  ] as const)('a node out-ranking the successor (not the owner) %s: it is the successor now, the owner stays', (how, change, left) => {
    const before = how === 'stops draining' ? { [SECOND]: { draining: true } } : how === 'gets a healthy interface' ? { [SECOND]: { interfaces: [] } } : {};
    const e = kept(before, addr(A), left);
    expect(e.successorIfGone(A)?.node).toBe(THIRD);
    change(e);
    settle(e);
    expect(e.result(A)?.owner?.node).toBe(FIRST);
    expect(e.successorIfGone(A)?.node).toBe(SECOND);
  });

  it('a successor that drains loses to a node ranked after it that stops draining (draining ranks last, whatever the hashes)', () => {
    const e = kept({ [SECOND]: { draining: true }, [THIRD]: { draining: true }, [FOURTH]: { draining: true }, ...Object.fromEntries(NODES.filter((n) => ![FIRST, SECOND, THIRD, FOURTH].includes(n)).map((n) => [n, { member: false }])) });
    expect(e.successorIfGone(A)?.node).toBe(SECOND);
    e.setNode(FOURTH, both(node(FOURTH)));
    settle(e);
    expect(e.result(A)?.owner?.node).toBe(FIRST);
    expect(e.successorIfGone(A)?.node).toBe(FOURTH);
  });

  it('a peer starting that out-ranks the successor takes the address once the owner is dead (nobody answers it then); the owner stays', () => {
    const e = kept({ [SECOND]: { member: false } });
    expect(e.successorIfGone(A)?.node).toBe(THIRD);
    // Starting: a candidate only where nobody answers (peerCandidacy); A is answered, by its owner.
    e.setNode(SECOND, { answered: node(SECOND, { member: false }), unanswered: node(SECOND) });
    settle(e);
    expect(e.result(A)?.owner?.node).toBe(FIRST);
    expect(e.successorIfGone(A)?.node).toBe(SECOND);
    e.setNode(SECOND, both(node(SECOND, { member: false })));
    settle(e);
    expect(e.successorIfGone(A)?.node).toBe(THIRD);
  });

  it('nobody else may announce it, then a node may: that node', () => {
    const e = kept({}, local(FIRST, FOURTH));
    e.setNode(FOURTH, both(node(FOURTH, { labels: { [EXCLUDE_LABEL]: '' } })));
    settle(e);
    expect(e.successorIfGone(A)).toBeUndefined();
    expect(e.successorsKept()).toBe(1);
    e.setNode(FOURTH, both(node(FOURTH)));
    settle(e);
    expect(e.successorIfGone(A)?.node).toBe(FOURTH);
  });

  it('while a joining node is still being compared, a kept answer is not trusted: elected again on the latest facts', () => {
    const e = kept({}, addr(A), [SECOND]);
    expect(e.successorIfGone(A)?.node).toBe(THIRD);
    e.setNode(SECOND, both(node(SECOND)));
    expect(e.pending()).toBeGreaterThan(0);
    // The scan has not reached A: THIRD is still kept, but not used.
    expect(e.successorsKept()).toBe(1);
    expect(e.successorIfGone(A)?.node).toBe(SECOND);
    settle(e);
    expect(e.successorIfGone(A)?.node).toBe(SECOND);
  });
});


const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
const IPS = [...Array.from({ length: 10 }, (_, i) => `192.0.2.${i + 1}`), ...Array.from({ length: 5 }, (_, i) => `198.51.100.${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `2001:db8:1::${i + 1}`)];

/** Random facts of the kinds the successor depends on: starting peers, draining, Local endpoints, selectors, interfaces, pools. */
function world(seed: number) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const chance = (p: number) => r() < p;
  const facts = (name: string): NodeFacts => ({
    name,
    labels: { 'kubernetes.io/os': chance(0.04) ? 'windows' : 'linux', ...(chance(0.04) ? { [EXCLUDE_LABEL]: '' } : {}), zone: pick(['z1', 'z2']) },
    networkUnavailable: chance(0.04),
    member: chance(0.85),
    draining: chance(0.2),
    interfaces: pick([
      [{ name: 'eth0', subnets: ['192.0.2.200/24', '2001:db8:1::c8/64'] }],
      [{ name: 'eth1', subnets: ['198.51.100.200/24'] }],
      [{ name: 'eth0', subnets: ['192.0.2.201/24'] }, { name: 'eth1', subnets: ['198.51.100.201/24', '2001:db8:1::c9/64'] }],
      [],
    ]),
    ...(chance(0.3) ? { primaryInterface: 'eth1' } : {}),
  });
  const variants = (name: string): NodeVariants => {
    const f = facts(name);
    // A starting peer: a candidate only where nobody answers.
    return chance(0.2) ? { answered: { ...f, member: false }, unanswered: { ...f, member: true } } : { answered: f, unanswered: f };
  };
  const services = (): ServiceFacts[] => Array.from({ length: pick([0, 1, 1, 2]) }, (_, i) => ({
    key: `ns/s${i}`,
    local: chance(0.4),
    endpoints: Array.from({ length: pick([0, 1, 2, 3, 4]) }, () => {
      const ready = chance(0.8);
      return { nodeName: pick(NAMES), ready, serving: ready || chance(0.5) };
    }),
  }));
  const address = (a: string): AddressElectionInput => ({
    address: ip(a), pool: pick([{ name: 'p1' }, { name: 'p2', labels: { tier: 'web' } }]), services: services(), answered: chance(0.6),
  });
  const ads = (): L2Advertisement[] => Array.from({ length: pick([1, 1, 2, 0]) }, (_, i) => ({
    metadata: { name: `ad${i}` },
    spec: {
      ...(chance(0.4) ? { ipAddressPools: [pick(['p1', 'p2'])] } : {}),
      ...(chance(0.4) ? { nodeSelectors: [{ matchLabels: { zone: pick(['z1', 'z2']) } }] } : {}),
      ...(chance(0.3) ? { interfaces: [pick(['eth0', 'eth1'])] } : {}),
    },
  }));
  return { r, pick, chance, variants, address, ads };
}

/** What successorIfGone must say: electOwner on the latest facts, without the owner, every node's unanswered view. */
function specified(input: AddressElectionInput, owner: string, nodes: ReadonlyMap<string, NodeVariants>, ads: readonly L2Advertisement[]): Candidate | undefined {
  const others = [...nodes].filter(([n]) => n !== owner).map(([, v]) => v.unanswered);
  return electOwner({ address: input.address, pool: input.pool, advertisements: ads, nodes: others, services: input.services, sha256 }).owner;
}

describe('IncrementalElection.successorIfGone property: kept answers always equal the election without the owner', () => {
  // Each story: 150 random changes; after each, sometimes with work still pending or a joining node half
  // compared, every address's answer is checked (which also keeps it for the next step). With k small the
  // rank cache runs out of kept nodes and the election ranks every node (another path to the same answer).
  it.each([
    ...Array.from({ length: 30 }, (_, i) => [100 + i, 16] as const),
    ...Array.from({ length: 10 }, (_, i) => [200 + i, 2] as const),
  ])('seed %i, %i ranks kept', (seed, ranksKept) => {
    const w = world(seed);
    const e = new IncrementalElection({ sha256, ranksKept });
    const nodes = new Map<string, NodeVariants>();
    const addresses = new Map<string, AddressElectionInput>();
    let ads = w.ads();
    e.setAdvertisements(ads);
    let asked = 0;
    let keptAcross = 0;
    for (let step = 0; step < 150; step++) {
      const roll = w.r();
      if (roll < 0.4) {
        const n = w.pick(NAMES);
        const v = w.chance(0.1) ? undefined : w.variants(n);
        if (v) nodes.set(n, v);
        else nodes.delete(n);
        e.setNode(n, v);
      } else if (roll < 0.65) {
        const a = w.pick(IPS);
        const v = w.chance(0.08) ? undefined : w.address(a);
        if (v) addresses.set(a, v);
        else addresses.delete(a);
        e.setAddress(a, v);
      } else if (roll < 0.93) {
        const a = w.pick(IPS);
        const cur = addresses.get(a);
        if (cur) {
          addresses.set(a, { ...cur, answered: !cur.answered });
          if (w.chance(0.5)) e.setAnswered(a, !cur.answered);
          else e.setAddress(a, { ...cur, answered: !cur.answered });
        }
      } else {
        ads = w.ads();
        e.setAdvertisements(ads);
      }
      // Settled, half-way (a few units of work: a join scan partly done), or not flushed at all.
      const mode = w.r();
      if (mode < 0.6) while (e.pending() > 0) e.flush(1 + Math.floor(w.r() * 8));
      else if (mode < 0.8) e.flush(1 + Math.floor(w.r() * 6));
      const settled = e.pending() === 0;
      // Answers kept from the steps before, through this step's change: checked below like any other.
      keptAcross += e.successorsKept();
      for (const [a, input] of addresses) {
        const owner = e.result(a)?.owner?.node;
        const got = e.successorIfGone(a);
        if (owner === undefined) {
          expect(got, `seed ${seed} step ${step} ${a}: no owner`).toBeUndefined();
          continue;
        }
        asked++;
        const want = specified(input, owner, nodes, ads);
        expect(got, `seed ${seed} step ${step} ${a} without ${owner}${settled ? '' : ' (work pending)'}`).toEqual(want);
      }
      if (settled) {
        // A fresh election on the same facts: its first answer is a whole election without the owner.
        const fresh = new IncrementalElection({ sha256, ranksKept });
        fresh.setAdvertisements(ads);
        for (const [n, v] of nodes) fresh.setNode(n, v);
        for (const [a, input] of addresses) fresh.setAddress(a, input);
        fresh.flush();
        for (const a of addresses.keys()) expect(e.successorIfGone(a), `seed ${seed} step ${step} ${a}: fresh election`).toEqual(fresh.successorIfGone(a));
      }
    }
    // The story did reach kept answers (else it would test only the whole election).
    expect(asked).toBeGreaterThan(0);
    expect(keptAcross).toBeGreaterThan(0);
  });
});
