import { describe, expect, it } from 'vitest';
import type { LeftNotice, NodeState, Notice, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember, type Outbound } from './swimMember.js';
import { diffViews } from './membershipView.js';

const T = DEFAULT_SWIM_TUNING;
const name = (i: number) => `node-${i}`;
const state = (node: string, version = 1, incarnation = 1): NodeState => ({
  node, incarnation, version, draining: false, ready: true, interfaces: [], announcing: [], address: '192.0.2.9', port: 7947,
});
const local = { draining: false, ready: true, interfaces: [], announcing: [] };

/** node-0 knowing node-1..node-(n-1), all alive at version 1. */
function member(n: number, self = 0, tuning: Partial<typeof T> = {}) {
  const m = new SwimMember({ self: { node: name(self), incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1, tuning });
  m.learnAll(Array.from({ length: n }, (_, i) => state(name(i))).filter((s) => s.node !== name(self)), 0);
  return m;
}

let seq = 0;
const leave = (from: string, left: LeftNotice): SwimMessage => ({ from, incarnation: 1, sequence: ++seq, type: 'Leave', left });
const gossip = (from: string, notices: Notice[]): SwimMessage => ({ from, incarnation: 1, sequence: ++seq, type: 'Gossip', notices });
const leaves = (out: readonly Outbound[]) => out.filter((o) => o.message.type === 'Leave');

describe('SwimMember: leaving on purpose', () => {
  it('leave() announces our final (incarnation, version) — one above what we published — to our ring successors and urgentFanout random members', () => {
    const m = member(20);
    const out = m.leave();
    expect(out.every((o) => o.message.type === 'Leave' && o.message.left.node === name(0) && o.message.left.incarnation === 1 && o.message.left.version === 2)).toBe(true);
    const to = out.map((o) => o.to);
    for (const s of m.successors()) expect(to).toContain(s);
    expect(new Set(to).size).toBe(to.length);
    expect(to).toHaveLength(T.monitors + T.urgentFanout);
    // A second copy: the same version (no new bump), new random targets besides the successors.
    const again = m.leave();
    expect(again.every((o) => o.message.type === 'Leave' && o.message.left.version === 2)).toBe(true);
    expect(m.self.version).toBe(2);
  });

  it('a leaving member publishes no new state and does not refute its death (either would bring it back in every view)', () => {
    const m = member(5);
    m.leave();
    expect(m.setLocal({ ...local, announcing: ['192.0.2.50'] }, 10)).toEqual([]);
    m.receive(gossip(name(3), [{ kind: 'Dead', node: name(0), incarnation: 1, version: 2, by: name(3) }]), 20);
    expect(m.self.version).toBe(2);
  });

  it.each<{ name: string; before: (m: SwimMember) => void; notice: LeftNotice; status: ReturnType<SwimMember['status']>; news: boolean }>([
    { name: 'alive → left', before: () => {}, notice: { node: name(3), incarnation: 1, version: 2 }, status: 'left', news: true },
    { name: 'dead (declared by a peer that missed the notice) → left', before: (m) => m.receive(gossip(name(4), [{ kind: 'Dead', node: name(3), incarnation: 1, version: 1, by: name(4) }]), 5), notice: { node: name(3), incarnation: 1, version: 2 }, status: 'left', news: true },
    { name: 'a restarted node (newer incarnation) stays alive', before: (m) => m.learn(state(name(3), 1, 7), 5), notice: { node: name(3), incarnation: 1, version: 2 }, status: 'alive', news: false },
    { name: 'an unknown node is not added', before: () => {}, notice: { node: 'node-99', incarnation: 1, version: 2 }, status: undefined, news: false },
  ])('a Leave notice: $name', ({ before, notice, status, news }) => {
    const m = member(8);
    before(m);
    const r = m.receive(leave(notice.node === 'node-99' ? name(5) : notice.node, notice), 10);
    expect(m.status(notice.node)).toBe(status);
    expect(r.changed).toBe(news);
    // News is passed on like death news: to the ring successors and urgentFanout random members, never back to the sender or the leaver.
    const passed = leaves(r.out);
    expect(passed.length > 0).toBe(news);
    for (const o of passed) expect([notice.node]).not.toContain(o.to);
    if (news) {
      expect(m.successors()).not.toContain(notice.node);
      expect(m.expectedSenders()).not.toContain(notice.node);
      expect(m.deadCount).toBe(0);
      const p = m.view(10).peers.find((x) => x.node === notice.node)!;
      expect(p).toMatchObject({ alive: false, left: true });
    }
  });

  it('the view reports PeerLeft, not PeerDead; nobody is suspected, probed or declared dead for the silence that follows', () => {
    const m = member(4);
    const before = m.view(0);
    // node-3 precedes node-0 on some ring position or other: with 4 members every other member is a predecessor.
    expect(m.expectedSenders()).toContain(name(3));
    m.receive(leave(name(3), { node: name(3), incarnation: 1, version: 2 }), 10);
    expect(diffViews(before, m.view(10)).map((t) => t.change)).toEqual(['PeerLeft']);
    let declared = 0;
    let probes = 0;
    for (let t = 20; t < 20 + 10 * (T.suspectAfterMs + T.probeTimeoutMs); t += 10) {
      // The other two keep heartbeating us.
      for (const p of [name(1), name(2)]) if (t % 100 === 0) m.receive({ from: p, incarnation: 1, sequence: ++seq, type: 'Heartbeat', version: 1, notices: [] }, t);
      if (m.nextDeadline() > t) continue;
      const r = m.tick(t);
      declared += r.declared.length;
      probes += r.out.filter((o) => o.to === name(3) && o.message.type === 'Probe').length;
    }
    expect(declared).toBe(0);
    expect(probes).toBe(0);
    expect(m.status(name(3))).toBe('left');
  });

  it('a Dead notice from a peer that never read the Leave (an older herald) neither turns Left into Dead nor goes unanswered: the teller gets a Leave', () => {
    const m = member(6);
    m.receive(leave(name(3), { node: name(3), incarnation: 1, version: 2 }), 10);
    const r = m.receive(gossip(name(4), [{ kind: 'Dead', node: name(3), incarnation: 1, version: 1, by: name(4) }]), 20);
    expect(m.status(name(3))).toBe('left');
    expect(r.changed).toBe(false);
    expect(leaves(r.out).map((o) => [o.to, o.message.type === 'Leave' && o.message.left.node])).toEqual([[name(4), name(3)]]);
  });

  it('a later State with a higher incarnation (the speaker restarted) brings the node back alive', () => {
    const m = member(6);
    m.receive(leave(name(3), { node: name(3), incarnation: 1, version: 2 }), 10);
    const before = m.view(10);
    const r = m.receive({ from: name(3), incarnation: 9, sequence: 1, type: 'Gossip', notices: [{ kind: 'State', state: state(name(3), 1, 9) }] }, 2_000);
    expect(r.changed).toBe(true);
    expect(m.status(name(3))).toBe('alive');
    expect(m.successors().concat(m.expectedSenders())).toContain(name(3));
    expect(diffViews(before, m.view(2_000)).map((t) => t.change)).toEqual(['PeerAlive', 'PeerRestarted']);
  });

  it('its Lease (a State of the same incarnation at version 0) or a heartbeat of the old process does not bring it back', () => {
    const m = member(6);
    m.receive(leave(name(3), { node: name(3), incarnation: 1, version: 2 }), 10);
    m.learn(state(name(3), 0, 1), 20);
    m.receive({ from: name(3), incarnation: 1, sequence: 99, type: 'Heartbeat', version: 2, notices: [] }, 30);
    expect(m.status(name(3))).toBe('left');
  });

  it('the news rides the next heartbeats to our ring successors, then stops', () => {
    const m = member(10);
    m.receive(leave(name(5), { node: name(5), incarnation: 1, version: 2 }), 10);
    const perRound: number[] = [];
    for (let t = 10; t < 10 + 6 * T.intervalMs; t += 5) {
      if (m.nextDeadline() > t) continue;
      const r = m.tick(t);
      if (r.out.some((o) => o.message.type === 'Heartbeat')) perRound.push(leaves(r.out).length);
    }
    expect(perRound.slice(0, T.piggybackRounds - 1)).toEqual(Array(T.piggybackRounds - 1).fill(T.monitors));
    expect(perRound.slice(T.piggybackRounds - 1).every((n) => n === 0)).toBe(true);
  });

  it('a member asking about a node held Left (anti-entropy, a join) gets a Leave, not a Dead or a State', () => {
    const m = member(6);
    m.receive(leave(name(3), { node: name(3), incarnation: 1, version: 2 }), 10);
    const r = m.receive({ from: name(4), incarnation: 1, sequence: ++seq, type: 'SyncRequest', nodes: [name(3)] }, 20);
    expect(r.out.map((o) => o.message.type)).toEqual(['Leave']);
    const join = m.receive({ from: name(5), incarnation: 1, sequence: ++seq, type: 'SyncRequest', nodes: [] }, 30);
    const notices = join.out.flatMap((o) => (o.message.type === 'SyncReply' ? o.message.notices : []));
    expect(notices.some((n) => (n.kind === 'State' ? n.state.node : n.node) === name(3))).toBe(false);
    expect(leaves(join.out).map((o) => o.message.type === 'Leave' && o.message.left.node)).toEqual([name(3)]);
  });
});

describe('SwimMember: a node held Left is still spoken to, slowly, in case a new process runs there', () => {
  it('its would-be ring predecessors send its Leave to its address each deadProbeInterval; a new process there that knows no peer asks the sender and joins', () => {
    // Silence between these members (nothing is delivered here) must not kill them within the test.
    const members = Array.from({ length: 6 }, (_, i) => member(6, i, { suspectAfterMs: 60_000 }));
    for (const m of members.slice(1)) m.receive(leave(name(0), { node: name(0), incarnation: 1, version: 2 }), 10);
    const told: string[] = [];
    for (const [i, m] of members.entries()) {
      if (i === 0) continue;
      for (let t = 20; t <= 20 + T.deadProbeIntervalMs + 10; t += 10) {
        if (m.nextDeadline() > t) continue;
        for (const o of m.tick(t).out) if (o.to === name(0) && o.message.type === 'Leave') told.push(name(i));
      }
    }
    expect(new Set(told).size).toBe(T.monitors);
    // The new process (restarted without the API: it knows nobody) hears one: it asks the sender for its state.
    const reborn = new SwimMember({ self: { node: name(0), incarnation: 9, address: '192.0.2.1', port: 7947 }, local, nowMs: 2_000, seed: 2 });
    const r = reborn.receive(leave(told[0]!, { node: name(0), incarnation: 1, version: 2 }), 2_000);
    expect(r.out.map((o) => [o.to, o.message.type])).toEqual([[told[0], 'SyncRequest']]);
    expect(reborn.self.version).toBe(1);
  });

  it('once forgotten (its Lease deleted), nothing more is sent to it', () => {
    const m = member(5, 1);
    m.receive(leave(name(0), { node: name(0), incarnation: 1, version: 2 }), 10);
    m.forget(name(0), 20);
    let sent = 0;
    for (let t = 30; t < 30 + 3 * T.deadProbeIntervalMs; t += 10) if (m.nextDeadline() <= t) sent += m.tick(t).out.filter((o) => o.to === name(0)).length;
    expect(sent).toBe(0);
  });
});
