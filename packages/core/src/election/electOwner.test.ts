import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { L2Advertisement } from '../api/v1beta1.js';
import { electOwner, type ElectionInput } from './electOwner.js';
import type { NodeFacts, ServiceFacts } from './nodeFacts.js';
import { ip } from './testing/electionScene.js';

const sha256 = (t: string) => new Uint8Array(createHash('sha256').update(t).digest());
const node = (name: string, over: Partial<NodeFacts> = {}): NodeFacts => ({
  name,
  labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': name },
  networkUnavailable: false,
  member: true,
  draining: false,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24', '2001:db8:1::b/64'] }],
  ...over,
});
const ad = (spec: L2Advertisement['spec'] = {}): L2Advertisement => ({ metadata: { name: 'ad' }, spec });
const svc = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({ key: 'default/web', local: false, endpoints: [{ nodeName: 'n1', ready: true, serving: true }], ...over });
const input = (over: Partial<ElectionInput> = {}): ElectionInput => ({
  address: ip('192.0.2.200'),
  pool: { name: 'web' },
  advertisements: [ad()],
  nodes: [node('n1'), node('n2'), node('n3')],
  services: [svc()],
  sha256,
  ...over,
});
/** The hash ranking alone, computed independently of electOwner. */
const byHash = (names: string[], address: string) =>
  [...names].sort((a, b) => Buffer.compare(sha256(`${a}#${address}`), sha256(`${b}#${address}`)));

describe('electOwner', () => {
  it('picks the node with the lowest sha256(node#ip), like MetalLB', () => {
    const r = electOwner(input());
    expect(r.ranked.map((c) => c.node)).toEqual(byHash(['n1', 'n2', 'n3'], '192.0.2.200'));
    expect(r.owner?.node).toBe(byHash(['n1', 'n2', 'n3'], '192.0.2.200')[0]);
    expect(r.owner?.interface).toBe('eth0');
  });

  it('a starting peer whose interfaces are not published yet wins where it out-ranks: the next in rank does not take the address only to hand it over', () => {
    const [first, second] = byHash(['n1', 'n2', 'n3'], '192.0.2.200');
    const nodes = ['n1', 'n2', 'n3'].map((n) => (n === first ? node(n, { interfaces: [], interfacesUnknown: true }) : node(n)));
    const r = electOwner(input({ nodes }));
    expect(r.owner).toEqual({ node: first, interface: '', draining: false });
    expect(r.message).toBe(`192.0.2.200 on ${first} (starting, interfaces not yet published)`);
    expect(r.ranked.map((c) => c.node)).toEqual(byHash(['n1', 'n2', 'n3'], '192.0.2.200'));
    // Where it ranks below, the winner is unchanged.
    const below = ['n1', 'n2', 'n3'].map((n) => (n === second ? node(n, { interfaces: [], interfacesUnknown: true }) : node(n)));
    expect(electOwner(input({ nodes: below })).owner?.node).toBe(first);
    // Not selected by any advertisement (or any other node check): still out.
    const unselected = ['n1', 'n2', 'n3'].map((n) => (n === first ? node(n, { interfaces: [], interfacesUnknown: true, networkUnavailable: true }) : node(n)));
    expect(electOwner(input({ nodes: unselected })).owner?.node).toBe(second);
  });

  it('ranks each address on its own (dual-stack addresses may land on different nodes)', () => {
    for (const a of ['192.0.2.201', '2001:db8:1::201']) {
      expect(electOwner(input({ address: ip(a) })).owner?.node).toBe(byHash(['n1', 'n2', 'n3'], a)[0]);
    }
  });

  const winner = byHash(['n1', 'n2', 'n3'], '192.0.2.200')[0]!;
  it.each([
    ['not a member (no live speaker)', { member: false }, 'NotMember'],
    ['not Linux', { labels: { 'kubernetes.io/os': 'windows' } }, 'NotLinux'],
    ['labelled exclude-from-external-load-balancers', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }, 'ExcludedByLabel'],
    ['NetworkUnavailable=True', { networkUnavailable: true }, 'NetworkUnavailable'],
    ['without a healthy interface', { interfaces: [] }, 'NoHealthyInterface'],
  ] as const)('a winner that is %s loses to the next in rank', (_name, over, reason) => {
    const nodes = ['n1', 'n2', 'n3'].map((n) => (n === winner ? node(n, over as Partial<NodeFacts>) : node(n)));
    const r = electOwner(input({ nodes }));
    expect(r.excluded.get(winner)).toBe(reason);
    expect(r.owner?.node).toBe(byHash(['n1', 'n2', 'n3'].filter((n) => n !== winner), '192.0.2.200')[0]);
  });

  it('puts draining nodes last: a draining owner hands over to the next node', () => {
    const nodes = ['n1', 'n2', 'n3'].map((n) => node(n, { draining: n === winner }));
    const r = electOwner(input({ nodes }));
    expect(r.owner?.node).not.toBe(winner);
    expect(r.ranked.at(-1)?.node).toBe(winner);
  });

  it('a draining node still announces when it is the only candidate', () => {
    expect(electOwner(input({ nodes: [node('n1', { draining: true })] })).owner?.node).toBe('n1');
  });

  it('honours L2Advertisement nodeSelectors', () => {
    const nodes = [node('n1', { labels: { 'kubernetes.io/os': 'linux', edge: 'yes' } }), node('n2'), node('n3')];
    const r = electOwner(input({ nodes, advertisements: [ad({ nodeSelectors: [{ matchLabels: { edge: 'yes' } }] })] }));
    expect(r.owner?.node).toBe('n1');
    expect(r.excluded.get('n2')).toBe('NotSelected');
  });

  it('no L2Advertisement for the pool: nobody announces', () => {
    const r = electOwner(input({ advertisements: [ad({ ipAddressPools: ['other'] })] }));
    expect(r.owner).toBeUndefined();
    expect(r.reason).toBe('NoL2Advertisement');
  });

  it('announces only on the interfaces an advertisement lists, and says so when a node lacks them', () => {
    const nodes = [
      node('n1', { interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }, { name: 'vlan7', subnets: [] }] }),
      node('n2', { interfaces: [{ name: 'eth0', subnets: ['192.0.2.12/24'] }] }),
    ];
    const r = electOwner(input({ nodes, advertisements: [ad({ interfaces: ['vlan7'] })] }));
    expect(r.owner).toEqual({ node: 'n1', interface: 'vlan7', draining: false });
    expect(r.excluded.get('n2')).toBe('NoHealthyInterface');
  });

  it('externalTrafficPolicy Local: only nodes with a ready or serving endpoint, and it follows the endpoint', () => {
    const local = (nodeName: string, ready = true, serving = true) => svc({ local: true, endpoints: [{ nodeName, ready, serving }] });
    for (const n of ['n1', 'n2', 'n3']) expect(electOwner(input({ services: [local(n)] })).owner?.node).toBe(n);
    expect(electOwner(input({ services: [local('n2', false, true)] })).owner?.node).toBe('n2');
    const none = electOwner(input({ services: [local('n2', false, false)] }));
    expect(none.reason).toBe('NoReadyEndpoints');
  });

  it('shared address with two Local Services: a node must host an endpoint of every one', () => {
    const a = svc({ key: 'ns/a', local: true, endpoints: [{ nodeName: 'n1', ready: true, serving: true }, { nodeName: 'n2', ready: true, serving: true }] });
    const b = svc({ key: 'ns/b', local: true, endpoints: [{ nodeName: 'n2', ready: true, serving: true }] });
    expect(electOwner(input({ services: [a, b] })).owner?.node).toBe('n2');
  });

  it('Cluster policy with no endpoint anywhere: nobody announces (NoReadyEndpoints)', () => {
    expect(electOwner(input({ services: [svc({ endpoints: [] })] })).reason).toBe('NoReadyEndpoints');
  });

  it('no eligible node at all gives NoEligibleNode with the reasons', () => {
    const r = electOwner(input({ nodes: [node('n1', { member: false }), node('n2', { networkUnavailable: true })] }));
    expect(r.reason).toBe('NoEligibleNode');
    expect(r.message).toContain('NotMember');
  });

  const windows = { labels: { 'kubernetes.io/os': 'windows' } };
  const unselected = { labels: { 'kubernetes.io/os': 'linux', zone: 'b' } };
  it.each([
    ['a Windows node without a speaker is NotLinux, not NotMember', { ...windows, member: false }, 'NotLinux'],
    ['an excluded node without a speaker is ExcludedByLabel', { labels: { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/exclude-from-external-load-balancers': '' }, member: false }, 'ExcludedByLabel'],
    ['a node no advertisement selects, without a speaker, is NotSelected', { ...unselected, member: false }, 'NotSelected'],
    ['a node with NetworkUnavailable and no speaker is NetworkUnavailable', { networkUnavailable: true, member: false }, 'NetworkUnavailable'],
    ['a selected Linux node without a speaker is NotMember, not NoHealthyInterface', { member: false, interfaces: [] }, 'NotMember'],
    ['a live node without an allowed interface is NoHealthyInterface', { interfaces: [] }, 'NoHealthyInterface'],
  ] as const)('reasons are ordered by what to fix first: %s', (_name, over, reason) => {
    const advertisements = [ad({ nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }] })];
    const r = electOwner(input({ advertisements, nodes: [node('n1', over as Partial<NodeFacts>), node('n2')] }));
    expect(r.excluded.get('n1')).toBe(reason);
  });

  it('NoEligibleNode names each node with its reason, in fix-first order', () => {
    const r = electOwner(input({
      advertisements: [ad({ nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }] })],
      nodes: [node('n1', { member: false }), node('n2', { networkUnavailable: true }), node('n3', windows), node('n4', unselected), node('n5', { member: false })],
    }));
    expect(r.reason).toBe('NoEligibleNode');
    expect(r.message).toBe(
      "no node can announce 192.0.2.200: NotLinux (not a Linux node): n3; NotSelected (no L2Advertisement's nodeSelectors match): n4; " +
        'NetworkUnavailable (Node condition NetworkUnavailable=True): n2; NotMember (no live, ready herald-speaker): n1, n5',
    );
  });

  it('NoEligibleNode lists at most ten nodes per reason', () => {
    const nodes = Array.from({ length: 12 }, (_, i) => node(`n${String(i).padStart(2, '0')}`, { member: false }));
    expect(electOwner(input({ nodes })).message).toBe('no node can announce 192.0.2.200: NotMember (no live, ready herald-speaker): n00, n01, n02, n03, n04, n05, n06, n07, n08, n09 and 2 more');
  });

  it('adding a node moves only the addresses it now wins; removing a non-owner moves nothing', () => {
    const addresses = Array.from({ length: 200 }, (_, i) => `192.0.2.${i + 1}`);
    const owners = (names: string[]) => new Map(addresses.map((a) => [a, electOwner(input({ address: ip(a), nodes: names.map((n) => node(n)) })).owner?.node]));
    const three = owners(['n1', 'n2', 'n3']);
    const four = owners(['n1', 'n2', 'n3', 'n4']);
    for (const a of addresses) if (four.get(a) !== three.get(a)) expect(four.get(a)).toBe('n4');
    expect([...four.values()].filter((n) => n === 'n4').length).toBeGreaterThan(20);
    const withoutIdle = owners(['n1', 'n2', 'n4'].concat([]));
    // Removing n3 moves exactly the addresses n3 owned.
    for (const a of addresses) if (four.get(a) !== 'n3') expect(withoutIdle.get(a)).toBe(four.get(a));
  });

  it('is deterministic whatever the order of the node list', () => {
    const a = electOwner(input({ nodes: [node('n3'), node('n1'), node('n2')] }));
    const b = electOwner(input({ nodes: [node('n2'), node('n3'), node('n1')] }));
    expect(a.ranked).toEqual(b.ranked);
  });
});
