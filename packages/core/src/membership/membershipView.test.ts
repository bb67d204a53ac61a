import { describe, expect, it } from 'vitest';
import { aliveNodes, diffViews, PEER_CHANGES, viewChanged, type MembershipView, type PeerView } from './membershipView.js';

const p = (node: string, extra: Partial<PeerView> = {}): PeerView => ({
  node,
  self: false,
  alive: true,
  judgedBy: 'Heartbeat',
  draining: false,
  ready: true,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.12/24'] }],
  announcing: [],
  heartbeatsBroken: false,
  incarnation: 5,
  lastHeartbeatMs: 1000,
  ...extra,
});
const v = (...peers: PeerView[]): MembershipView => ({ atMs: 0, peers });

describe('diffViews', () => {
  it.each<{ name: string; before: MembershipView | undefined; after: MembershipView; want: [string, string][] }>([
    { name: 'nothing known → a live peer', before: undefined, after: v(p('n2')), want: [['n2', 'PeerAdded'], ['n2', 'PeerAlive']] },
    { name: 'nothing known → a dead peer', before: v(), after: v(p('n2', { alive: false })), want: [['n2', 'PeerAdded']] },
    { name: 'a live peer vanishes', before: v(p('n2')), after: v(), want: [['n2', 'PeerDead'], ['n2', 'PeerRemoved']] },
    { name: 'a dead peer vanishes', before: v(p('n2', { alive: false })), after: v(), want: [['n2', 'PeerRemoved']] },
    { name: 'death', before: v(p('n2')), after: v(p('n2', { alive: false })), want: [['n2', 'PeerDead']] },
    { name: 'an orderly leave is PeerLeft, never PeerDead', before: v(p('n2')), after: v(p('n2', { alive: false, left: true })), want: [['n2', 'PeerLeft']] },
    { name: 'held dead, then the leave notice arrives: PeerLeft once more', before: v(p('n2', { alive: false })), after: v(p('n2', { alive: false, left: true })), want: [['n2', 'PeerLeft']] },
    { name: 'left, then restarted (a newer incarnation): alive again', before: v(p('n2', { alive: false, left: true })), after: v(p('n2', { incarnation: 6 })), want: [['n2', 'PeerAlive'], ['n2', 'PeerRestarted']] },
    { name: 'a left peer removed (its Lease deleted) is no death', before: v(p('n2', { alive: false, left: true })), after: v(), want: [['n2', 'PeerRemoved']] },
    { name: 'resurrection', before: v(p('n2', { alive: false })), after: v(p('n2')), want: [['n2', 'PeerAlive']] },
    { name: 'a restart', before: v(p('n2')), after: v(p('n2', { incarnation: 6 })), want: [['n2', 'PeerRestarted']] },
    { name: 'first incarnation learnt (Lease → heartbeat) is no restart', before: v(p('n2', { incarnation: undefined, judgedBy: 'Lease' })), after: v(p('n2')), want: [] },
    { name: 'draining', before: v(p('n2')), after: v(p('n2', { draining: true })), want: [['n2', 'PeerDraining']] },
    { name: 'not ready', before: v(p('n2')), after: v(p('n2', { ready: false })), want: [['n2', 'PeerNotReady']] },
    { name: 'ready', before: v(p('n2', { ready: false })), after: v(p('n2')), want: [['n2', 'PeerReady']] },
    { name: 'undrained', before: v(p('n2', { draining: true })), after: v(p('n2')), want: [['n2', 'PeerUndrained']] },
    { name: 'a subnet added', before: v(p('n2')), after: v(p('n2', { interfaces: [{ name: 'eth0', subnets: ['192.0.2.12/24', '2001:db8:1::c/64'] }] })), want: [['n2', 'PeerInterfacesChanged']] },
    { name: 'an interface renamed', before: v(p('n2')), after: v(p('n2', { interfaces: [{ name: 'eth1', subnets: ['192.0.2.12/24'] }] })), want: [['n2', 'PeerInterfacesChanged']] },
    { name: 'an address announced', before: v(p('n2')), after: v(p('n2', { announcing: ['192.0.2.200'] })), want: [['n2', 'PeerAnnouncingChanged']] },
    { name: 'heartbeats broken', before: v(p('n2', { judgedBy: 'Lease' })), after: v(p('n2', { judgedBy: 'Lease', heartbeatsBroken: true })), want: [['n2', 'HeartbeatsBroken']] },
    { name: 'heartbeats restored', before: v(p('n2', { heartbeatsBroken: true })), after: v(p('n2')), want: [['n2', 'HeartbeatsRestored']] },
    { name: 'only time passes (last heartbeat, rtt)', before: v(p('n2')), after: v(p('n2', { lastHeartbeatMs: 1100, rttMs: 0.4 })), want: [] },
    {
      name: 'several nodes, sorted by node name then change',
      before: v(p('n1', { self: true }), p('n3'), p('n2')),
      after: v(p('n1', { self: true, draining: true }), p('n2', { alive: false, draining: true }), p('n4')),
      want: [['n1', 'PeerDraining'], ['n2', 'PeerDead'], ['n2', 'PeerDraining'], ['n3', 'PeerDead'], ['n3', 'PeerRemoved'], ['n4', 'PeerAdded'], ['n4', 'PeerAlive']],
    },
  ])('$name', ({ before, after, want }) => {
    const got = diffViews(before, after);
    expect(got.map((t) => [t.node, t.change])).toEqual(want);
    expect(viewChanged(before, after)).toBe(want.length > 0);
    for (const t of got) expect(PEER_CHANGES).toContain(t.change);
  });

  it('aliveNodes lists live nodes, self included', () => {
    expect(aliveNodes(v(p('n1', { self: true }), p('n2', { alive: false }), p('n3')))).toEqual(['n1', 'n3']);
  });
});
