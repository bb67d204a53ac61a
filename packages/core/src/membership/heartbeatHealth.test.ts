import { describe, expect, it } from 'vitest';
import { HEARTBEAT_HEALTH_NAME_LIMIT, heartbeatHealth, heartbeatHealthKey, heartbeatHealthOk, type HeartbeatHealthReason } from './heartbeatHealth.js';
import type { MembershipView, PeerView } from './membershipView.js';

const AT = 100_000;
const self: PeerView = { node: 'n1', self: true, alive: true, judgedBy: 'Self', draining: false, ready: true, interfaces: [], announcing: [], heartbeatsBroken: false };
/** A peer heard 50 ms ago with a 0.3 ms round trip, unless told otherwise. */
const heard = (node: string, extra: Partial<PeerView> = {}): PeerView => ({ ...self, node, self: false, judgedBy: 'Heartbeat', lastHeartbeatMs: AT - 50, rttMs: 0.3, incarnation: 7, ...extra });
const byLease = (node: string, broken: boolean): PeerView => ({ ...self, node, self: false, judgedBy: 'Lease', heartbeatsBroken: broken });
const silent = (node: string, agoMs = 4_000, left = false): PeerView => heard(node, { alive: false, lastHeartbeatMs: AT - agoMs, ...(left ? { left } : {}) });
const view = (...peers: PeerView[]): MembershipView => ({ atMs: AT, peers: [self, ...peers].sort((a, b) => (a.node < b.node ? -1 : 1)) });

describe('heartbeatHealth: the word, first match wins', () => {
  it.each<{ name: string; v: MembershipView; reason: HeartbeatHealthReason; peers: [known: number, alive: number, heard: number, byLease: number, dead: number]; message: string }>([
    { name: 'alone: nothing to exchange heartbeats with', v: view(), reason: 'Healthy', peers: [0, 0, 0, 0, 0], message: 'no peer to exchange heartbeats with' },
    { name: 'every peer heard', v: view(heard('n2'), heard('n3')), reason: 'Healthy', peers: [2, 2, 2, 0, 0], message: 'hears all 2 peer(s)' },
    { name: 'a peer known from its Lease, first heartbeat due', v: view(heard('n2'), byLease('n3', false)), reason: 'Joining', peers: [2, 2, 1, 1, 0], message: 'first heartbeat still due from 1 peer(s)' },
    { name: 'a peer alive by its Lease never heard, others heard', v: view(heard('n2'), byLease('n3', true)), reason: 'SomePeersUnheard', peers: [2, 2, 1, 1, 0], message: 'hears 1 of 2 peer(s): no heartbeat ever arrived from 1 peer(s) alive by their Lease: n3' },
    { name: 'a peer went silent, others heard (that peer is cut off, or dead)', v: view(heard('n2'), silent('n3')), reason: 'SomePeersUnheard', peers: [2, 1, 1, 0, 1], message: 'hears 1 of 2 peer(s): 1 peer(s) heard before went silent: n3' },
    { name: 'no peer ever heard, all alive by Lease', v: view(byLease('n2', true), byLease('n3', true)), reason: 'HeartbeatsBroken', peers: [2, 2, 0, 2, 0], message: 'hears none of its 2 peer(s): no heartbeat ever arrived from 2 peer(s) alive by their Lease: n2, n3' },
    { name: 'every peer went silent (this node cut off)', v: view(silent('n2'), silent('n3')), reason: 'NoHeartbeats', peers: [2, 0, 0, 0, 2], message: 'hears none of its 2 peer(s): 2 peer(s) heard before went silent: n2, n3' },
    { name: 'broken and silent, nobody heard: broken wins', v: view(byLease('n2', true), silent('n3')), reason: 'HeartbeatsBroken', peers: [2, 1, 0, 1, 1], message: 'no heartbeat ever arrived from 1 peer(s) alive by their Lease: n2; 1 peer(s) heard before went silent: n3' },
    // Version 2: a speaker receives heartbeats from its ring predecessors only; the others are alive through the ring.
    { name: 'version 2: peers it does not monitor (no heartbeat of theirs ever reaches it) are heard through the ring', v: view(heard('n2'), heard('n3', { lastHeartbeatMs: undefined, rttMs: undefined }), heard('n4', { lastHeartbeatMs: undefined, rttMs: undefined })), reason: 'Healthy', peers: [3, 3, 3, 0, 0], message: 'hears all 3 peer(s)' },
    { name: 'version 2: a ring predecessor alive through the ring whose heartbeats do not arrive here', v: view(heard('n2'), heard('n3', { heartbeatsMissing: true }), heard('n4', { lastHeartbeatMs: undefined })), reason: 'SomePeersUnheard', peers: [3, 3, 2, 0, 0], message: 'hears 2 of 3 peer(s): heartbeats of 1 ring predecessor(s) alive through other members do not arrive: n3' },
    { name: 'version 2: none heard, some silent, the others alive through the ring but unheard (this node\'s inbound is cut)', v: view(silent('n2'), heard('n3', { heartbeatsMissing: true })), reason: 'NoHeartbeats', peers: [2, 1, 0, 0, 1], message: 'hears none of its 2 peer(s): 1 peer(s) heard before went silent: n2; heartbeats of 1 ring predecessor(s) alive through other members do not arrive: n3' },
    { name: 'a peer that left on purpose is not silent', v: view(heard('n2'), silent('n3', 4_000, true)), reason: 'Healthy', peers: [2, 1, 1, 0, 1], message: 'hears all 2 peer(s)' },
    { name: 'a dead peer never heard (its Lease expired) is no heartbeat problem', v: view(heard('n2'), { ...byLease('n3', false), alive: false }), reason: 'Healthy', peers: [2, 1, 1, 0, 1], message: 'hears all 2 peer(s)' },
  ])('$name → $reason', ({ v, reason, peers, message }) => {
    const h = heartbeatHealth(v);
    expect(h.reason).toBe(reason);
    expect([h.peers.known, h.peers.alive, h.peers.heard, h.peers.judgedByLease, h.peers.dead]).toEqual(peers);
    expect(h.message).toContain(message);
  });

  it('names the unheard peers, sorted, and caps the lists while the counts stay exact', () => {
    const many = Array.from({ length: HEARTBEAT_HEALTH_NAME_LIMIT + 4 }, (_, i) => silent(`s${String(i).padStart(2, '0')}`));
    const h = heartbeatHealth(view(heard('a1'), byLease('b2', true), byLease('b1', true), ...many));
    expect(h.heartbeatsBroken).toEqual(['b1', 'b2']);
    expect(h.silent).toHaveLength(HEARTBEAT_HEALTH_NAME_LIMIT);
    expect(h.silent[0]).toBe('s00');
    expect(h.peers.dead).toBe(HEARTBEAT_HEALTH_NAME_LIMIT + 4);
    expect(h.message).toContain('s15 and 4 more');
  });

  it('round trip over the peers heard now: median and max; the newest heartbeat from any peer', () => {
    const h = heartbeatHealth(view(heard('n2', { rttMs: 0.2 }), heard('n3', { rttMs: 0.6, lastHeartbeatMs: AT - 20 }), heard('n4', { rttMs: undefined }), heard('n5', { rttMs: 1.23456789 }), silent('n6')));
    expect(h.roundTrip).toEqual({ samples: 3, medianMs: 0.6, maxMs: 1.235 });
    expect(h.lastHeartbeatAgoMs).toBe(20);
    const even = heartbeatHealth(view(heard('n2', { rttMs: 0.2 }), heard('n3', { rttMs: 0.4 })));
    expect(even.roundTrip?.medianMs).toBe(0.3);
  });

  it('no heartbeat ever: no round trip and no last heartbeat; a silent peer keeps its last one', () => {
    const none = heartbeatHealth(view(byLease('n2', true)));
    expect(none.roundTrip).toBeUndefined();
    expect(none.lastHeartbeatAgoMs).toBeUndefined();
    const gone = heartbeatHealth(view(silent('n2', 4_000), silent('n3', 9_000)));
    expect(gone.roundTrip).toBeUndefined();
    expect(gone.lastHeartbeatAgoMs).toBe(4_000);
  });

  it('a ring predecessor whose heartbeats do not arrive is listed with the silent peers (kubectl herald status: NOT-HEARD-BY)', () => {
    const h = heartbeatHealth(view(heard('n2'), heard('n3', { heartbeatsMissing: true }), silent('n4')));
    expect(h.silent).toEqual(['n3', 'n4']);
    expect(h.peers).toEqual({ known: 3, alive: 2, heard: 1, judgedByLease: 0, dead: 1 });
  });

  it('heartbeatHealthKey: the first round trip changes it (written at once, not a minute later); its value alone does not', () => {
    const none = heartbeatHealthKey(heartbeatHealth(view(heard('n2', { rttMs: undefined }))));
    expect(heartbeatHealthKey(heartbeatHealth(view(heard('n2', { rttMs: 0.2 }))))).not.toBe(none);
    expect(heartbeatHealthKey(heartbeatHealth(view(heard('n2', { rttMs: 0.2 }))))).toBe(heartbeatHealthKey(heartbeatHealth(view(heard('n2', { rttMs: 7 })))));
  });

  it('heartbeatHealthKey: time and round trip alone do not change it; a count, a name or the word does', () => {
    const base = heartbeatHealthKey(heartbeatHealth(view(heard('n2'), heard('n3'))));
    expect(heartbeatHealthKey(heartbeatHealth({ ...view(heard('n2', { rttMs: 9, lastHeartbeatMs: AT - 1 }), heard('n3')), atMs: AT + 5_000 }))).toBe(base);
    expect(heartbeatHealthKey(heartbeatHealth(view(heard('n2'), silent('n3'))))).not.toBe(base);
    expect(heartbeatHealthKey(heartbeatHealth(view(heard('n2'), heard('n3'), heard('n4'))))).not.toBe(base);
    expect(heartbeatHealthKey(heartbeatHealth(view(heard('n2'), silent('n4'))))).not.toBe(heartbeatHealthKey(heartbeatHealth(view(heard('n2'), silent('n3')))));
  });

  it.each<[HeartbeatHealthReason, boolean]>([['Healthy', true], ['Joining', true], ['SomePeersUnheard', false], ['NoHeartbeats', false], ['HeartbeatsBroken', false]])('heartbeatHealthOk(%s) = %s', (reason, want) => {
    expect(heartbeatHealthOk(reason)).toBe(want);
  });
});
