import { createHash } from 'node:crypto';
import { formatAddress, IncrementalElection, parseAddressOrThrow, type IPAddress, type MacAddress, type NodeFacts, type ProvisionalAddress } from '@herald/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MembershipSource, PeerState } from './membershipSource.js';
import { StandbyPlanner } from './standbyPlanner.js';

const sha256 = (t: string) => new Uint8Array(createHash('sha256').update(t).digest());
const ip = parseAddressOrThrow;
const node = (name: string): NodeFacts => ({
  name, labels: { 'kubernetes.io/os': 'linux' }, networkUnavailable: false, member: true, draining: false, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }],
});
const NODES = ['n0', 'n1', 'n2', 'n3'];
const IPS = Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 100}`);
const byHash = (a: string) => [...NODES].sort((x, y) => Buffer.compare(sha256(`${x}#${a}`), sha256(`${y}#${a}`)));

/** Four live nodes and 40 addresses elected; n0 plans, eth0 is ifindex 2 (unless the LinkWatcher shows no link). */
function scene(o: { noLink?: boolean; answeredOn?: (a: IPAddress) => string | undefined } = {}) {
  const election = new IncrementalElection({ sha256 });
  election.setAdvertisements([{ metadata: { name: 'ad' }, spec: {} }]);
  for (const n of NODES) election.setNode(n, { answered: node(n), unanswered: node(n) });
  for (const a of IPS) election.setAddress(a, { address: ip(a), pool: { name: 'p' }, services: [{ key: 'd/s', local: false, endpoints: [{ nodeName: 'n1', ready: true, serving: true }] }], answered: true });
  election.flush();
  const alive = new Map<string, boolean>(NODES.slice(1).map((n) => [n, true]));
  const membership = { peers: () => new Map([...alive].map(([n, a]) => [n, { alive: a } as PeerState])) } as unknown as MembershipSource;
  const plans: Map<string, string[]>[] = [];
  const released: string[][] = [];
  const planner = new StandbyPlanner({
    node: 'n0', election, membership, log: pino({ level: 'silent' }),
    port: {
      standby: (plan) => plans.push(new Map([...plan].map(([p, list]) => [p, list.map((s) => `${s.link.ifname}/${s.link.ifindex}/${formatAddress(s.address)}`)]))),
      release: (list) => released.push(list.map((s) => `${s.ifindex}/${formatAddress(s.address)}`)),
    },
    links: () => new Map(o.noLink ? [] : [['eth0', { ifname: 'eth0', ifindex: 2, mac: '02:00:00:00:00:02' as MacAddress }]]),
    answeredOn: o.answeredOn ?? (() => undefined),
  });
  return { planner, plans, released, alive };
}

describe('StandbyPlanner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends, per live peer, the addresses this node is the runner-up for, on the link it answers there', () => {
    const { planner, plans } = scene();
    planner.schedule();
    vi.runAllTimers();
    const expected = new Map<string, string[]>();
    for (const a of IPS) {
      const [owner, next] = byHash(a);
      if (next === 'n0') expected.set(owner!, [...(expected.get(owner!) ?? []), `eth0/2/${a}`]);
    }
    expect(expected.size).toBeGreaterThan(0);
    expect(plans).toEqual([expected]);
  });

  it('sends nothing new when the plan did not change, and again when a peer died (its addresses moved)', () => {
    const { planner, plans, alive } = scene();
    planner.schedule();
    vi.runAllTimers();
    planner.schedule();
    vi.runAllTimers();
    expect(plans).toHaveLength(1);
    const dead = [...plans[0]!.keys()][0]!;
    alive.set(dead, false);
    planner.schedule();
    vi.runAllTimers();
    expect(plans).toHaveLength(2);
    expect(plans[1]!.has(dead)).toBe(false);
  });

  it('plans nothing on a link the LinkWatcher does not show (gone meanwhile)', () => {
    const { planner, plans } = scene({ noLink: true });
    planner.schedule();
    vi.runAllTimers();
    // An empty plan is what the answering thread starts with: nothing is sent.
    expect(plans).toEqual([]);
  });

  it.each([
    ['the election gives it to this node on the same link: kept', (): string | undefined => 'eth0', []],
    ['the election gives it to another node: released', (): string | undefined => undefined, [['2/192.0.2.100']]],
    ['the election gives it to this node on another link: released (the announcer adds it there)', (): string | undefined => 'eth1', [['2/192.0.2.100']]],
  ] as const)('after a complete round, a takeover %s', (_n, answeredOn, expected) => {
    const { planner, released } = scene({ answeredOn });
    const taken: ProvisionalAddress[] = [{ ifindex: 2, address: ip('192.0.2.100') }];
    planner.tookOver('n1', taken);
    // Election work left: the death may not be in every result yet, nothing is judged.
    planner.afterRound(true);
    expect(released).toEqual([]);
    planner.afterRound(false);
    expect(released).toEqual(expected);
    // Judged once.
    planner.afterRound(false);
    expect(released).toEqual(expected);
  });
});
