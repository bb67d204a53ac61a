import { describe, expect, it } from 'vitest';
import type { Heartbeat } from './heartbeat.js';
import { diffViews, type PeerView } from './membershipView.js';
import { PeerTable, type LeaseFacts } from './peerTable.js';

const INTERVAL = 100;
const DEAD_AFTER = 5 * INTERVAL;
const SELF = { node: 'n1', incarnation: 1_000 };

const table = (o: { forgetAfterMs?: number } = {}) => new PeerTable({ self: SELF, deadAfterMs: DEAD_AFTER, ...o });

const hb = (node: string, incarnation: number, sequence: number, extra: Partial<Heartbeat> = {}): Heartbeat => ({
  node,
  incarnation,
  sequence,
  draining: false,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.12/24'] }],
  announcing: [],
  heartbeatAddress: '192.0.2.12',
  heartbeatPort: 7947,
  ...extra,
});

const lease = (renewTimeMs: number, extra: Partial<LeaseFacts> = {}): LeaseFacts => ({
  renewTimeMs,
  durationMs: 30_000,
  heartbeatAddress: '192.0.2.13',
  heartbeatPort: 7947,
  ...extra,
});

const peer = (t: PeerTable, node: string, now: number): PeerView | undefined => t.view(now).peers.find((p) => p.node === node);
const alive = (t: PeerTable, node: string, now: number): boolean | undefined => peer(t, node, now)?.alive;

/** Feeds a heartbeat and fails the test if the table refused it. */
function accept(t: PeerTable, h: Heartbeat, now: number) {
  const r = t.observeHeartbeat(h, now);
  if (!r.ok) throw new Error(`expected ${h.node} ${h.incarnation}/${h.sequence} to be accepted: ${r.error.message}`);
  return r.value;
}

describe('PeerTable: a peer dies after 5 missed intervals', () => {
  const t = table();
  // n2 sends every 100 ms from t=1000 to t=1400, then stops.
  for (let i = 0; i <= 4; i++) accept(t, hb('n2', 7, i), 1000 + i * INTERVAL);
  it.each([
    { at: 1400, want: true, why: 'the heartbeat just arrived' },
    { at: 1800, want: true, why: '4 intervals missed' },
    { at: 1899, want: true, why: '1 ms before the fifth missed interval ends' },
    { at: 1900, want: false, why: 'exactly 5 missed intervals (deadAfter = 500 ms)' },
    { at: 5000, want: false, why: 'long gone' },
  ])('at t=$at alive=$want: $why', ({ at, want }) => {
    expect(alive(t, 'n2', at)).toBe(want);
  });

  it('nextDeadline names the instant it dies, then (known only from heartbeats) the instant it is forgotten', () => {
    expect(t.nextDeadline(1400)).toBe(1900);
    expect(t.nextDeadline(1899)).toBe(1900);
    expect(t.nextDeadline(1900)).toBe(1400 + 600_000);
    expect(t.nextDeadline(1400 + 600_000)).toBeUndefined();
  });

  it('a deadAfter of 3 intervals moves the instant', () => {
    const t3 = new PeerTable({ self: SELF, deadAfterMs: 300 });
    accept(t3, hb('n2', 7, 1), 1000);
    expect([alive(t3, 'n2', 1299), alive(t3, 'n2', 1300)]).toEqual([true, false]);
  });
});

describe('PeerTable: replay, reordering and restarts', () => {
  it.each<{ name: string; steps: [incarnation: number, sequence: number, outcome: 'ok' | 'Replay' | 'StaleIncarnation'][] }>([
    { name: 'a duplicate is a replay', steps: [[5, 1, 'ok'], [5, 1, 'Replay']] },
    { name: 'an older sequence arriving late (reordered) is a replay', steps: [[5, 1, 'ok'], [5, 3, 'ok'], [5, 2, 'Replay'], [5, 4, 'ok']] },
    { name: 'sequence gaps are fine (lost datagrams)', steps: [[5, 1, 'ok'], [5, 50, 'ok'], [5, 51, 'ok']] },
    { name: 'a restart (new incarnation) starts sequences again', steps: [[5, 90, 'ok'], [6, 0, 'ok'], [6, 1, 'ok']] },
    { name: 'the old incarnation after a restart is stale, whatever its sequence', steps: [[5, 9, 'ok'], [6, 0, 'ok'], [5, 10, 'StaleIncarnation'], [5, 9999, 'StaleIncarnation']] },
    { name: 'a replay of the new incarnation is still a replay', steps: [[5, 1, 'ok'], [6, 3, 'ok'], [6, 3, 'Replay'], [6, 2, 'Replay']] },
    { name: 'an older incarnation before any newer one is just the first heard', steps: [[3, 1, 'ok'], [4, 1, 'ok'], [3, 2, 'StaleIncarnation']] },
  ])('$name', ({ steps }) => {
    const t = table();
    steps.forEach(([incarnation, sequence, outcome], i) => {
      const r = t.observeHeartbeat(hb('n2', incarnation, sequence), 1000 + i * 10);
      expect(r.ok ? 'ok' : r.error.reason, `step ${i}: ${incarnation}/${sequence}`).toBe(outcome);
    });
  });

  it('a replayed heartbeat does not keep a dead peer alive', () => {
    const t = table();
    accept(t, hb('n2', 5, 8), 1000);
    // An attacker re-sends the captured datagram (same bytes, so same incarnation and sequence).
    for (const at of [1200, 1400, 1499]) expect(t.observeHeartbeat(hb('n2', 5, 8), at).ok).toBe(false);
    expect(alive(t, 'n2', 1500)).toBe(false);
    expect(t.observeHeartbeat(hb('n2', 5, 8), 2000)).toMatchObject({ ok: false, error: { reason: 'Replay' } });
    expect(alive(t, 'n2', 2000)).toBe(false);
  });

  it('a refused heartbeat leaves the state it would have changed alone', () => {
    const t = table();
    accept(t, hb('n2', 5, 8), 1000);
    t.observeHeartbeat(hb('n2', 5, 7, { draining: true, announcing: ['192.0.2.200'] }), 1100);
    expect(peer(t, 'n2', 1100)).toMatchObject({ draining: false, announcing: [], lastHeartbeatMs: 1000 });
  });

  it('a restart shows as PeerRestarted and the new incarnation in the view', () => {
    const t = table();
    accept(t, hb('n2', 5, 8), 1000);
    const before = t.view(1000);
    accept(t, hb('n2', 6, 0), 1100);
    const after = t.view(1100);
    expect(after.peers.find((p) => p.node === 'n2')?.incarnation).toBe(6);
    expect(diffViews(before, after)).toEqual([{ node: 'n2', change: 'PeerRestarted' }]);
  });

  it('a restart after death is PeerAlive and PeerRestarted', () => {
    const t = table();
    accept(t, hb('n2', 5, 8), 1000);
    const dead = t.view(1600);
    accept(t, hb('n2', 9, 0), 3000);
    expect(diffViews(dead, t.view(3000))).toEqual([
      { node: 'n2', change: 'PeerAlive' },
      { node: 'n2', change: 'PeerRestarted' },
    ]);
  });

  it('our own node name is refused as FromSelf, and says so when another speaker uses it', () => {
    const t = table();
    expect(t.observeHeartbeat(hb('n1', SELF.incarnation, 1), 1000)).toMatchObject({ ok: false, error: { reason: 'FromSelf', message: expect.stringContaining('came back') } });
    expect(t.observeHeartbeat(hb('n1', 77, 1), 1000)).toMatchObject({ ok: false, error: { reason: 'FromSelf', message: expect.stringContaining('another speaker') } });
    expect(t.view(1000).peers.map((p) => p.node)).toEqual(['n1']);
  });
});

describe('PeerTable: accepted heartbeats report whether the view changed', () => {
  it.each<{ name: string; first: Partial<Heartbeat>; second: Partial<Heartbeat>; gap: number; changed: boolean }>([
    { name: 'the same state again', first: {}, second: {}, gap: 100, changed: false },
    { name: 'interfaces in another order', first: { interfaces: [{ name: 'a', subnets: ['192.0.2.1/24', '10.0.0.1/8'] }, { name: 'b', subnets: [] }] }, second: { interfaces: [{ name: 'b', subnets: [] }, { name: 'a', subnets: ['10.0.0.1/8', '192.0.2.1/24'] }] }, gap: 100, changed: false },
    { name: 'announced addresses in another order', first: { announcing: ['192.0.2.201', '192.0.2.200'] }, second: { announcing: ['192.0.2.200', '192.0.2.201'] }, gap: 100, changed: false },
    { name: 'draining set', first: {}, second: { draining: true }, gap: 100, changed: true },
    { name: 'an address announced', first: {}, second: { announcing: ['192.0.2.200'] }, gap: 100, changed: true },
    { name: 'an interface lost', first: {}, second: { interfaces: [] }, gap: 100, changed: true },
    { name: 'back from the dead', first: {}, second: {}, gap: 600, changed: true },
    { name: 'only a new heartbeat address', first: {}, second: { heartbeatAddress: '192.0.2.99' }, gap: 100, changed: false },
  ])('$name → changed=$changed', ({ first, second, gap, changed }) => {
    const t = table();
    expect(accept(t, hb('n2', 5, 1, first), 1000).changed).toBe(true);
    expect(accept(t, hb('n2', 5, 2, second), 1000 + gap).changed).toBe(changed);
  });
});

describe('PeerTable: Lease fallback', () => {
  it('a fresh Lease and no heartbeat ever: alive by Lease, flagged heartbeatsBroken after deadAfter', () => {
    const t = table();
    t.observeLease('n3', lease(900), 1000);
    expect(peer(t, 'n3', 1000)).toMatchObject({ alive: true, judgedBy: 'Lease', heartbeatsBroken: false });
    expect(t.nextDeadline(1000)).toBe(1500);
    expect(peer(t, 'n3', 1499)?.heartbeatsBroken).toBe(false);
    expect(peer(t, 'n3', 1500)).toMatchObject({ alive: true, judgedBy: 'Lease', heartbeatsBroken: true });
    expect(t.nextDeadline(1500)).toBe(30_900);
    expect(peer(t, 'n3', 30_899)?.alive).toBe(true);
    expect(peer(t, 'n3', 30_900)).toMatchObject({ alive: false, judgedBy: 'Lease', heartbeatsBroken: false });
    expect(t.nextDeadline(30_900)).toBeUndefined();
  });

  it('renewals keep a Lease-judged peer alive', () => {
    const t = table();
    t.observeLease('n3', lease(0), 0);
    t.observeLease('n3', lease(10_000), 10_000);
    t.observeLease('n3', lease(20_000), 20_000);
    expect([alive(t, 'n3', 49_999), alive(t, 'n3', 50_000)]).toEqual([true, false]);
  });

  it('an expired Lease seen for the first time is dead at once', () => {
    const t = table();
    t.observeLease('n3', lease(0), 60_000);
    expect(peer(t, 'n3', 60_000)).toMatchObject({ alive: false, judgedBy: 'Lease', heartbeatsBroken: false });
  });

  it('once a heartbeat arrived the Lease no longer counts: a LAN-cut node dies in 500 ms though its Lease stays fresh', () => {
    const t = table();
    t.observeLease('n3', lease(1000), 1000);
    accept(t, hb('n3', 5, 1), 1200);
    expect(peer(t, 'n3', 1600)).toMatchObject({ alive: true, judgedBy: 'Heartbeat', heartbeatsBroken: false });
    // The LAN is cut after 1200; the Lease keeps being renewed over the management network.
    t.observeLease('n3', lease(1650), 1650);
    expect(alive(t, 'n3', 1699)).toBe(true);
    expect(peer(t, 'n3', 1700)).toMatchObject({ alive: false, judgedBy: 'Heartbeat' });
    t.observeLease('n3', lease(11_000), 11_000);
    expect(alive(t, 'n3', 11_000)).toBe(false);
  });

  it('HeartbeatsBroken clears when a heartbeat finally arrives', () => {
    const t = table();
    t.observeLease('n3', lease(0), 0);
    const broken = t.view(600);
    expect(broken.peers.find((p) => p.node === 'n3')?.heartbeatsBroken).toBe(true);
    accept(t, hb('n3', 5, 1), 700);
    expect(diffViews(broken, t.view(700))).toContainEqual({ node: 'n3', change: 'HeartbeatsRestored' });
  });

  it('a Lease-judged peer shows the draining flag and interfaces its Lease publishes', () => {
    const t = table();
    t.observeLease('n3', lease(0, { draining: true, interfaces: [{ name: 'eth1', subnets: [] }, { name: 'eth0', subnets: ['192.0.2.13/24'] }] }), 0);
    expect(peer(t, 'n3', 0)).toMatchObject({ draining: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.13/24'] }, { name: 'eth1', subnets: [] }], announcing: [] });
  });

  it('a Lease of this node itself is ignored', () => {
    const t = table();
    t.observeLease('n1', lease(0), 0);
    expect(t.view(0).peers).toHaveLength(1);
    expect(t.targets()).toEqual([]);
  });
});

describe('PeerTable: draining', () => {
  it('the draining flag follows the heartbeats, with a transition each way', () => {
    const t = table();
    accept(t, hb('n2', 5, 1), 1000);
    const v1 = t.view(1000);
    accept(t, hb('n2', 5, 2, { draining: true }), 1100);
    const v2 = t.view(1100);
    accept(t, hb('n2', 5, 3), 1200);
    const v3 = t.view(1200);
    expect(v2.peers.find((p) => p.node === 'n2')?.draining).toBe(true);
    expect(diffViews(v1, v2)).toEqual([{ node: 'n2', change: 'PeerDraining' }]);
    expect(diffViews(v2, v3)).toEqual([{ node: 'n2', change: 'PeerUndrained' }]);
  });

  it('a draining peer that dies keeps draining in its last known state', () => {
    const t = table();
    accept(t, hb('n2', 5, 1, { draining: true }), 1000);
    expect(peer(t, 'n2', 2000)).toMatchObject({ alive: false, draining: true });
  });

  it('a peer is not ready while its heartbeats say so, or its Lease does when no heartbeat came; a ready flag is a transition', () => {
    const t = table();
    t.observeLease('n3', { renewTimeMs: 0, durationMs: 30_000, ready: false }, 0);
    expect(peer(t, 'n3', 10)).toMatchObject({ alive: true, judgedBy: 'Lease', ready: false });
    accept(t, hb('n2', 5, 1, { notReady: true }), 0);
    const v1 = t.view(10);
    expect(peer(t, 'n2', 10)).toMatchObject({ alive: true, ready: false });
    accept(t, hb('n2', 5, 2), 20);
    expect(diffViews(v1, t.view(30))).toEqual([{ node: 'n2', change: 'PeerReady' }]);
  });

  it("this node's own entry carries the local state", () => {
    const t = table();
    t.setLocal({ draining: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }], announcing: ['192.0.2.201', '192.0.2.200'] });
    expect(peer(t, 'n1', 0)).toEqual({
      node: 'n1', self: true, alive: true, judgedBy: 'Self', draining: true, ready: true, heartbeatsBroken: false, incarnation: SELF.incarnation,
      interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }], announcing: ['192.0.2.200', '192.0.2.201'],
    });
  });
});

describe('PeerTable: where heartbeats go', () => {
  it('every known peer, dead or alive; a heartbeat address beats the Lease, which beats static config', () => {
    const t = table();
    t.addStaticPeer({ node: 'n4', address: '192.0.2.14', port: 7000 }, 0);
    t.addStaticPeer({ node: 'n2', address: '192.0.2.99', port: 7000 }, 0);
    t.observeLease('n3', lease(0, { heartbeatAddress: '2001:db8:1::d', heartbeatPort: 7001 }), 0);
    t.observeLease('n2', lease(0, { heartbeatAddress: '192.0.2.98', heartbeatPort: 7002 }), 0);
    t.addStaticPeer({ node: 'n1', address: '192.0.2.11', port: 7947 }, 0);
    expect(t.targets()).toEqual([
      { node: 'n2', address: '192.0.2.98', port: 7002 },
      { node: 'n3', address: '2001:db8:1::d', port: 7001 },
      { node: 'n4', address: '192.0.2.14', port: 7000 },
    ]);
    accept(t, hb('n2', 5, 1, { heartbeatAddress: '192.0.2.12', heartbeatPort: 7947 }), 100);
    expect(t.targets()[0]).toEqual({ node: 'n2', address: '192.0.2.12', port: 7947 });
    expect(t.targets().map((x) => x.node)).toEqual(['n2', 'n3', 'n4']);
  });

  it('a Lease without a heartbeat address gives no target, a static peer without heartbeats is dead', () => {
    const t = table();
    t.observeLease('n3', lease(0, { heartbeatAddress: undefined }), 0);
    t.addStaticPeer({ node: 'n4', address: '192.0.2.14', port: 7947 }, 0);
    expect(t.targets().map((x) => x.node)).toEqual(['n4']);
    expect(peer(t, 'n4', 0)).toMatchObject({ alive: false, judgedBy: 'Nothing', heartbeatsBroken: false });
  });
});

describe('PeerTable: forgetting peers', () => {
  it('a peer known only from heartbeats is forgotten after forgetAfter dead', () => {
    const t = table({ forgetAfterMs: 60_000 });
    accept(t, hb('n2', 5, 1), 1000);
    expect(t.nextDeadline(1600)).toBe(61_000);
    expect(peer(t, 'n2', 60_999)?.alive).toBe(false);
    expect(peer(t, 'n2', 61_000)).toBeUndefined();
    expect(t.targets()).toEqual([]);
  });

  it('a peer with a Lease or static entry is kept however long it is dead', () => {
    const t = table({ forgetAfterMs: 60_000 });
    t.observeLease('n2', lease(0), 0);
    t.addStaticPeer({ node: 'n3', address: '192.0.2.13', port: 7947 }, 0);
    accept(t, hb('n2', 5, 1), 1000);
    accept(t, hb('n3', 5, 1), 1000);
    expect(t.view(1_000_000).peers.map((p) => [p.node, p.alive])).toEqual([['n1', true], ['n2', false], ['n3', false]]);
  });

  it('deleting the Lease of a peer never heard from forgets it at once; a live one stays until it has been dead forgetAfter', () => {
    const t = table({ forgetAfterMs: 60_000 });
    t.observeLease('n2', lease(0), 0);
    t.observeLease('n3', lease(0), 0);
    accept(t, hb('n3', 5, 1), 100);
    const before = t.view(100);
    t.forgetLease('n2', 100);
    t.forgetLease('n3', 100);
    t.forgetLease('n9', 100);
    expect(diffViews(before, t.view(100))).toEqual([{ node: 'n2', change: 'PeerDead' }, { node: 'n2', change: 'PeerRemoved' }]);
    expect(peer(t, 'n3', 60_099)).toBeDefined();
    expect(peer(t, 'n3', 60_100)).toBeUndefined();
  });
});

describe('PeerTable: round trip from echoes', () => {
  it('rtt = arrival − send time − hold time, smoothed with gain 1/8; foreign or unknown echoes give no sample', () => {
    const t = table();
    t.recordSent(10, 1000);
    t.recordSent(11, 1100);
    const echo = (sequence: number, holdMs: number, incarnation = SELF.incarnation) => ({ incarnation, sequence, holdMs });
    expect(accept(t, hb('n2', 5, 1, { echo: echo(10, 10) }), 1030).rttSampleMs).toBe(20);
    expect(peer(t, 'n2', 1030)?.rttMs).toBe(20);
    expect(accept(t, hb('n2', 5, 2, { echo: echo(11, 2) }), 1130).rttSampleMs).toBe(28);
    expect(peer(t, 'n2', 1130)?.rttMs).toBe(21);
    expect(accept(t, hb('n2', 5, 3, { echo: echo(11, 2, 999) }), 1140).rttSampleMs).toBeUndefined();
    expect(accept(t, hb('n2', 5, 4, { echo: echo(12, 2) }), 1150).rttSampleMs).toBeUndefined();
    expect(accept(t, hb('n2', 5, 5, { echo: echo(11, 500) }), 1160).rttSampleMs).toBeUndefined();
    expect(peer(t, 'n2', 1160)?.rttMs).toBe(21);
  });

  it('a restart of the peer resets its smoothed round trip', () => {
    const t = table();
    t.recordSent(1, 1000);
    accept(t, hb('n2', 5, 1, { echo: { incarnation: SELF.incarnation, sequence: 1, holdMs: 0 } }), 1040);
    accept(t, hb('n2', 6, 1), 1100);
    expect(peer(t, 'n2', 1100)?.rttMs).toBeUndefined();
  });

  it('echoFor returns the last accepted heartbeat of a live peer and how long we held it', () => {
    const t = table();
    expect(t.echoFor('n2', 1000)).toBeUndefined();
    accept(t, hb('n2', 5, 7), 1000);
    expect(t.echoFor('n2', 1040)).toEqual({ incarnation: 5, sequence: 7, holdMs: 40 });
    expect(t.echoFor('n2', 1500)).toBeUndefined();
  });
});

describe('PeerTable: the view is a function of the facts', () => {
  it('the same observations in another order give the same view', () => {
    const facts = [
      (t: PeerTable) => accept(t, hb('n3', 5, 1, { interfaces: [{ name: 'b', subnets: [] }, { name: 'a', subnets: ['192.0.2.13/24'] }] }), 1000),
      (t: PeerTable) => accept(t, hb('n2', 4, 1, { announcing: ['192.0.2.201', '192.0.2.200'] }), 1000),
      (t: PeerTable) => t.observeLease('n4', lease(1000), 1000),
      (t: PeerTable) => t.addStaticPeer({ node: 'n5', address: '192.0.2.15', port: 7947 }, 1000),
    ];
    const a = table();
    const b = table();
    facts.forEach((f) => f(a));
    [...facts].reverse().forEach((f) => f(b));
    expect(a.view(1200)).toEqual(b.view(1200));
    expect(a.view(1200).peers.map((p) => p.node)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  });

  it('nextDeadline is the earliest change among peers', () => {
    const t = table();
    accept(t, hb('n2', 5, 1), 1000);
    accept(t, hb('n3', 5, 1), 1200);
    t.observeLease('n4', lease(0, { durationMs: 5000 }), 1050);
    expect(t.nextDeadline(1200)).toBe(1500); // n2 dies
    expect(t.nextDeadline(1500)).toBe(1550); // n4 flagged heartbeatsBroken (known since 1050)
    expect(t.nextDeadline(1550)).toBe(1700); // n3 dies
    expect(t.nextDeadline(1700)).toBe(5000); // n4's Lease expires
    expect(t.nextDeadline(5000)).toBe(601_000); // n2, known only from heartbeats, is forgotten
    expect(t.nextDeadline(601_200)).toBeUndefined();
  });

  it('story: between steps, no peer is alive whose evidence is stale, and nextDeadline never lies', () => {
    const t = table();
    const steps: [at: number, act: (t: PeerTable, at: number) => void][] = [
      [0, (x, at) => x.observeLease('n2', lease(at, { durationMs: 10_000 }), at)],
      [0, (x, at) => x.addStaticPeer({ node: 'n3', address: '192.0.2.13', port: 7947 }, at)],
      [150, (x, at) => void x.observeHeartbeat(hb('n3', 1, 1), at)],
      [250, (x, at) => void x.observeHeartbeat(hb('n3', 1, 2), at)],
      [900, (x, at) => void x.observeHeartbeat(hb('n3', 1, 2), at)],
      [1000, (x, at) => void x.observeHeartbeat(hb('n2', 3, 1), at)],
      [1300, (x, at) => void x.observeHeartbeat(hb('n3', 2, 1), at)],
      [5000, (x, at) => x.observeLease('n2', lease(at, { durationMs: 10_000 }), at)],
      [9000, (x, at) => x.forgetLease('n2', at)],
    ];
    let now = 0;
    for (const [at, act] of steps) {
      // Walk every ms to the next step: the view may only change at a deadline the table announced.
      while (now < at) {
        const deadline = t.nextDeadline(now);
        const before = t.view(now);
        const next = Math.min(at, deadline ?? Infinity);
        if (next - 1 > now) expect(diffViews(before, t.view(next - 1)), `no change before the deadline (${now}→${next - 1})`).toEqual([]);
        now = next;
      }
      act(t, at);
      for (const p of t.view(now).peers) {
        if (p.judgedBy === 'Heartbeat') expect(p.alive).toBe(now - p.lastHeartbeatMs! < DEAD_AFTER);
      }
    }
  });
});

describe('PeerTable replay and clock-step stories (acceptHeartbeat with the Lease incarnation)', () => {
  it('a fresh table refuses heartbeats of an incarnation older than the one the peer\'s Lease publishes', () => {
    const t = table();
    t.observeLease('n2', lease(0, { incarnation: 2_000 }), 0);
    const r = t.observeHeartbeat(hb('n2', 1_000, 77), 10);
    expect(r.ok ? 'ok' : r.error.reason).toBe('BelowLeaseIncarnation');
    expect(peer(t, 'n2', 10)?.judgedBy).toBe('Lease');
  });

  it('a peer restarted with a smaller incarnation (clock stepped back) is believed once the old one is silent and its Lease names the new one', () => {
    const t = table();
    t.observeLease('n2', lease(0, { incarnation: 5_000 }), 0);
    accept(t, hb('n2', 5_000, 1), 0);
    // Restart with a clock behind: refused while the Lease still names the old incarnation…
    const early = t.observeHeartbeat(hb('n2', 4_000, 1), DEAD_AFTER + 10);
    expect(early.ok ? 'ok' : early.error.reason).toBe('BelowLeaseIncarnation');
    // …believed once the restarted process has rewritten its Lease.
    t.observeLease('n2', lease(DEAD_AFTER + 20, { incarnation: 4_000 }), DEAD_AFTER + 20);
    accept(t, hb('n2', 4_000, 2), DEAD_AFTER + 30);
    expect(peer(t, 'n2', DEAD_AFTER + 30)).toMatchObject({ alive: true, incarnation: 4_000 });
    // The old incarnation's heartbeats, replayed now, are refused.
    const replay = t.observeHeartbeat(hb('n2', 5_000, 99), DEAD_AFTER + 40);
    expect(replay.ok).toBe(false);
  });

  it('without the Lease rewritten, a smaller incarnation while the old one is still heard is stale', () => {
    const t = table();
    accept(t, hb('n2', 5_000, 1), 0);
    const r = t.observeHeartbeat(hb('n2', 4_000, 1), 100);
    expect(r.ok ? 'ok' : r.error.reason).toBe('StaleIncarnation');
  });
});

describe('PeerTable: a restart seen on the Lease', () => {
  // Version 2 (mergeMembershipViews): a restarted peer is judged by this table until its new State reaches
  // us — by gossip when we are not its ring neighbour, often a little after its new Lease. Known for long
  // under its old incarnation, it must not be flagged the moment the new Lease arrives.
  it('a new incarnation on the Lease restarts the wait for the first heartbeat (not flagged heartbeatsBroken at once)', () => {
    const t = table();
    t.observeLease('n3', lease(0, { incarnation: 5 }), 0);
    expect(peer(t, 'n3', 10_000)?.heartbeatsBroken).toBe(true);
    t.observeLease('n3', lease(10_000, { incarnation: 6 }), 10_000);
    expect(peer(t, 'n3', 10_001)).toMatchObject({ alive: true, judgedBy: 'Lease', heartbeatsBroken: false });
    expect(peer(t, 'n3', 10_000 + DEAD_AFTER - 1)?.heartbeatsBroken).toBe(false);
    expect(peer(t, 'n3', 10_000 + DEAD_AFTER)?.heartbeatsBroken).toBe(true);
    // A renewal of the same incarnation changes nothing.
    t.observeLease('n3', lease(20_000, { incarnation: 6 }), 20_000);
    expect(peer(t, 'n3', 20_001)?.heartbeatsBroken).toBe(true);
  });
});
