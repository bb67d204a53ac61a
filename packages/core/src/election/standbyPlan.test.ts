import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { L2Advertisement } from '../api/v1beta1.js';
import { formatAddress } from '../ip/address.js';
import { IncrementalElection, type AddressElectionInput, type NodeVariants } from './incrementalElection.js';
import { EXCLUDE_LABEL, type NodeFacts } from './nodeFacts.js';
import { standbyPlan } from './standbyPlan.js';
import { AD, addr, both, node, svc } from './testing/electionScene.js';

const sha256 = (t: string) => new Uint8Array(createHash('sha256').update(t).digest());

/** Node names in the election's order for one address: sha256(node#ip) ascending. */
const byHash = (names: readonly string[], address: string) =>
  [...names].sort((a, b) => Buffer.compare(sha256(`${a}#${address}`), sha256(`${b}#${address}`)));

const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];
const A = '192.0.2.100';
/** A's owner, runner-up and third, from the hashes alone. */
const [FIRST, SECOND, THIRD] = byHash(NODES, A) as [string, string, string];

function election(nodes: Record<string, NodeVariants>, input: AddressElectionInput = addr(A), ads: L2Advertisement[] = [AD]): IncrementalElection {
  const e = new IncrementalElection({ sha256 });
  e.setAdvertisements(ads);
  for (const [n, v] of Object.entries(nodes)) e.setNode(n, v);
  e.setAddress(A, input);
  e.flush();
  return e;
}

const plan = (e: IncrementalElection, self: string, dead: readonly string[] = []) =>
  standbyPlan({ self, results: e.results(), successorIfGone: (n) => e.successorIfGone(n), alive: (n) => !dead.includes(n) })
    .map((s) => ({ peer: s.peer, address: formatAddress(s.address), interface: s.interface }));

const everyone = (over: Record<string, Partial<NodeFacts>> = {}) => Object.fromEntries(NODES.map((n) => [n, both(node(n, over[n]))]));

describe('standbyPlan', () => {
  it.each([
    ['the runner-up takes the owner\'s address', SECOND, everyone(), addr(A), [], [{ peer: FIRST, address: A, interface: 'eth0' }]],
    ['a node ranked third does not (the runner-up will)', THIRD, everyone(), addr(A), [], []],
    ['the owner itself has nothing to take', FIRST, everyone(), addr(A), [], []],
    ['an owner already dead: the election moved its addresses, nothing is planned for it', SECOND, everyone(), addr(A), [FIRST], []],
    ['a draining runner-up ranks last: the third takes it', THIRD, everyone({ [SECOND]: { draining: true } }), addr(A), [], [{ peer: FIRST, address: A, interface: 'eth0' }]],
    ['a draining node is planned only when every other candidate drains too', SECOND, everyone(Object.fromEntries(NODES.filter((n) => n !== FIRST).map((n) => [n, { draining: true }]))), addr(A), [], [{ peer: FIRST, address: A, interface: 'eth0' }]],
    ['externalTrafficPolicy Local: the runner-up without a local endpoint is skipped', THIRD, everyone(),
      addr(A, { services: [svc({ local: true, endpoints: [{ nodeName: FIRST, ready: true, serving: true }, { nodeName: THIRD, ready: true, serving: true }] })] }), [], [{ peer: FIRST, address: A, interface: 'eth0' }]],
    ['externalTrafficPolicy Local: a node without a local endpoint takes nothing', SECOND, everyone(),
      addr(A, { services: [svc({ local: true, endpoints: [{ nodeName: FIRST, ready: true, serving: true }, { nodeName: THIRD, ready: true, serving: true }] })] }), [], []],
    ['the only other node is excluded by its label: nobody takes it', SECOND, { [FIRST]: both(node(FIRST)), [SECOND]: both(node(SECOND, { labels: { 'kubernetes.io/os': 'linux', [EXCLUDE_LABEL]: '' } })) }, addr(A), [], []],
    ['the interface is the one the election picks for this node', SECOND, everyone({ [SECOND]: { interfaces: [{ name: 'lan1', subnets: ['192.0.2.12/24'] }] } }), addr(A), [], [{ peer: FIRST, address: A, interface: 'lan1' }]],
  ] as const)('%s', (_name, self, nodes, input, dead, expected) => {
    expect(plan(election(nodes, input), self, dead)).toEqual(expected);
  });

  it('a starting peer out-ranking the runner-up wins the address once its owner is dead (nobody answers it then): the runner-up plans nothing', () => {
    // Starting: a candidate only where nobody answers (peerCandidacy). While the owner lives it answers A.
    const starting: NodeVariants = { answered: node(SECOND, { member: false }), unanswered: node(SECOND) };
    const e = election({ ...everyone(), [SECOND]: starting });
    expect(e.result(A)?.owner?.node).toBe(FIRST);
    expect(plan(e, THIRD)).toEqual([]);
  });

  it('no L2Advertisement: no owner, nothing planned', () => {
    expect(plan(election(everyone(), addr(A), []), SECOND)).toEqual([]);
  });

  it('names, for every peer and address, exactly the owner the election picks after that peer dies', () => {
    const nodes = Array.from({ length: 8 }, (_, i) => `n${i}`);
    const ips = [...Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 100}`), ...Array.from({ length: 60 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`)];
    const build = () => {
      const e = new IncrementalElection({ sha256 });
      e.setAdvertisements([AD]);
      for (const n of nodes) e.setNode(n, both(node(n, { draining: n === 'n5' })));
      for (const a of ips) e.setAddress(a, addr(a));
      e.flush();
      return e;
    };
    const e = build();
    const plans = new Map(nodes.map((self) => [self, plan(e, self)]));
    for (const dead of nodes) {
      const after = build();
      after.setNode(dead, both(node(dead, { member: false })));
      for (const a of ips) after.setAnswered(a, e.result(a)?.owner?.node !== dead);
      after.flush();
      for (const self of nodes) {
        const expected = ips.filter((a) => e.result(a)?.owner?.node === dead && after.result(a)?.owner?.node === self).sort();
        expect(plans.get(self)!.filter((s) => s.peer === dead).map((s) => s.address).sort(), `${self} when ${dead} dies`).toEqual(expected);
      }
    }
  });
});
