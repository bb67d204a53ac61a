import { describe, expect, it } from 'vitest';
import type { PeerView } from './membershipView.js';
import { mergeMembershipViews } from './mergeMembershipViews.js';

const peer = (node: string, o: Partial<PeerView> = {}): PeerView => ({
  node, self: false, alive: true, judgedBy: 'Heartbeat', draining: false, ready: true, interfaces: [], announcing: [], heartbeatsBroken: false, incarnation: 5, ...o,
});
const self = peer('a', { self: true, judgedBy: 'Self' });

describe('mergeMembershipViews', () => {
  it.each<{ name: string; v1: PeerView[]; v2: PeerView[]; v1Nodes: string[]; versions?: Record<string, number>; selfReached?: boolean; want: Partial<PeerView>[]; v1Peers: number; noIncarnation?: boolean }>([
    {
      name: 'a version-1 peer is judged by PeerTable, even if the ring knows it',
      v1: [self, peer('b', { alive: false })], v2: [peer('b', { alive: true })], v1Nodes: ['b'],
      want: [{ node: 'a', self: true }, { node: 'b', alive: false }], v1Peers: 1,
    },
    {
      name: 'a version-2 peer is judged by the ring, not by PeerTable',
      v1: [self, peer('b', { alive: true, judgedBy: 'Lease', heartbeatsBroken: true })], v2: [peer('b', { alive: false })], v1Nodes: [],
      want: [{ node: 'a' }, { node: 'b', alive: false, judgedBy: 'Heartbeat', heartbeatsBroken: false }], v1Peers: 0,
    },
    {
      name: 'a version-2 peer the ring does not know keeps its Lease judgement',
      v1: [self, peer('b', { judgedBy: 'Lease' })], v2: [], v1Nodes: [],
      want: [{ node: 'a' }, { node: 'b', judgedBy: 'Lease' }], v1Peers: 0,
    },
    {
      name: 'a ring member known only from its Lease is alive but not heard yet',
      v1: [self], v2: [peer('c')], v1Nodes: [], versions: { c: 0 },
      want: [{ node: 'a' }, { node: 'c', alive: true, judgedBy: 'Lease' }], v1Peers: 0,
    },
    {
      name: 'a ring member never heard (version 0) that PeerTable knows is judged by its Lease: alive while fresh, heartbeats broken',
      v1: [self, peer('b', { judgedBy: 'Lease', heartbeatsBroken: true })], v2: [peer('b')], v1Nodes: [], versions: { b: 0 },
      want: [{ node: 'a' }, { node: 'b', alive: true, judgedBy: 'Lease', heartbeatsBroken: true }], v1Peers: 0,
    },
    {
      name: 'declared dead without ever being heard (version 0, heartbeats blocked from the start): alive by its fresh Lease',
      v1: [self, peer('b', { judgedBy: 'Lease', heartbeatsBroken: true })], v2: [peer('b', { alive: false })], v1Nodes: [], versions: { b: 0 },
      want: [{ node: 'a' }, { node: 'b', alive: true, judgedBy: 'Lease', heartbeatsBroken: true }], v1Peers: 0,
    },
    {
      name: 'declared dead without ever being heard, Lease expired: dead',
      v1: [self, peer('b', { alive: false, judgedBy: 'Lease' })], v2: [peer('b', { alive: false })], v1Nodes: [], versions: { b: 0 },
      want: [{ node: 'a' }, { node: 'b', alive: false, judgedBy: 'Lease' }], v1Peers: 0,
    },
    {
      name: 'heard (version ≥ 1, its own State or a death declared by one that heard it) and then silent: dead on the fast path despite a fresh Lease',
      v1: [self, peer('b', { judgedBy: 'Lease', heartbeatsBroken: true })], v2: [peer('b', { alive: false })], v1Nodes: [], versions: { b: 1 },
      want: [{ node: 'a' }, { node: 'b', alive: false, judgedBy: 'Heartbeat', heartbeatsBroken: false }], v1Peers: 0,
    },
    {
      name: 'nothing of ours reached anyone (sending blocked): a peer heard and then silent (it declared us, stopped heartbeating us) is alive by its fresh Lease',
      v1: [self, peer('b', { judgedBy: 'Lease', heartbeatsBroken: true })], v2: [peer('b', { alive: false })], v1Nodes: [], versions: { b: 2 }, selfReached: false,
      want: [{ node: 'a' }, { node: 'b', alive: true, judgedBy: 'Lease', heartbeatsBroken: true }], v1Peers: 0,
    },
    {
      name: 'nothing of ours reached anyone, the heard peer\'s Lease expired too: dead',
      v1: [self, peer('b', { alive: false, judgedBy: 'Lease' })], v2: [peer('b', { alive: false })], v1Nodes: [], versions: { b: 2 }, selfReached: false,
      want: [{ node: 'a' }, { node: 'b', alive: false, judgedBy: 'Lease' }], v1Peers: 0,
    },
    {
      name: 'nothing of ours reached anyone: a peer that left (its own Leave notice) is shown left, not alive by its Lease',
      v1: [self, peer('b', { judgedBy: 'Lease' })], v2: [peer('b', { alive: false, left: true })], v1Nodes: [], versions: { b: 2 }, selfReached: false,
      want: [{ node: 'a' }, { node: 'b', alive: false, left: true, judgedBy: 'Heartbeat' }], v1Peers: 0,
    },
    {
      name: 'nothing of ours reached anyone, static peers (no Lease: PeerTable knows nothing): a peer the ring holds dead stays the ring\'s',
      v1: [self, peer('b', { alive: false, judgedBy: 'Nothing', interfaces: [], announcing: [] })], v2: [peer('b', { alive: false, announcing: ['192.0.2.7'] })], v1Nodes: [], versions: { b: 2 }, selfReached: false,
      want: [{ node: 'a' }, { node: 'b', alive: false, judgedBy: 'Heartbeat', announcing: ['192.0.2.7'] }], v1Peers: 0,
    },
    {
      name: 'nothing of ours reached anyone yet (a start: no answer so far): a peer alive on the ring is as the ring holds it',
      v1: [self, peer('b', { alive: false, judgedBy: 'Heartbeat' })], v2: [peer('b', { alive: true })], v1Nodes: [], versions: { b: 2 }, selfReached: false,
      want: [{ node: 'a' }, { node: 'b', alive: true, judgedBy: 'Heartbeat' }], v1Peers: 0,
    },
    {
      name: 'nothing of ours reached anyone: a version-1 peer is still PeerTable\'s as always',
      v1: [self, peer('d', { alive: true, judgedBy: 'Heartbeat' })], v2: [], v1Nodes: ['d'], selfReached: false,
      want: [{ node: 'a' }, { node: 'd', alive: true, judgedBy: 'Heartbeat' }], v1Peers: 1,
    },
    {
      name: 'never heard and unknown to PeerTable: shown as the ring holds it, judged by Lease',
      v1: [self], v2: [peer('c', { alive: false })], v1Nodes: [], versions: { c: 0 },
      want: [{ node: 'a' }, { node: 'c', alive: false, judgedBy: 'Lease' }], v1Peers: 0,
    },
    {
      name: 'incarnation 0 (configured, never spoke) is left out',
      v1: [self], v2: [peer('c', { incarnation: 0 })], v1Nodes: [],
      want: [{ node: 'a' }, { node: 'c' }], v1Peers: 0, noIncarnation: true,
    },
    {
      name: 'a ring member that turned out version 1 and that PeerTable does not know is not shown twice or at all',
      v1: [self], v2: [peer('d')], v1Nodes: ['d'],
      want: [{ node: 'a' }], v1Peers: 0,
    },
  ])('$name', ({ v1, v2, v1Nodes, versions, selfReached, want, v1Peers, noIncarnation }) => {
    const r = mergeMembershipViews({
      v1: { atMs: 1, peers: v1 }, v2: { atMs: 1, peers: [peer('a', { self: true }), ...v2] },
      protocolOf: (n) => (v1Nodes.includes(n) ? 'v1' : 'v2'), versionOf: (n) => versions?.[n] ?? 3, selfReached: selfReached ?? true, nowMs: 7,
    });
    expect(r.view.atMs).toBe(7);
    expect(r.view.peers).toHaveLength(want.length);
    r.view.peers.forEach((p, i) => expect(p).toMatchObject(want[i]!));
    expect('incarnation' in r.view.peers.at(-1)!).toBe(!noIncarnation);
    expect(r.v1Peers).toBe(v1Peers);
  });
});
