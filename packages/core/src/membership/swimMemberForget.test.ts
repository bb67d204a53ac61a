import { describe, expect, it } from 'vitest';
import type { NodeState } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember } from './swimMember.js';

const T = DEFAULT_SWIM_TUNING;
const name = (i: number) => `node-${i}`;
const state = (node: string, version = 1, incarnation = 1): NodeState => ({
  node, incarnation, version, draining: false, ready: true, interfaces: [], announcing: [], address: '192.0.2.9', port: 7947,
});
const local = { draining: false, ready: true, interfaces: [], announcing: [] };

/** node-0 knowing node-1..node-(n-1); `dead` are declared dead (by node-5) at time 0. */
function member(n: number, dead: readonly string[]) {
  const m = new SwimMember({ self: { node: name(0), incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1 });
  m.learnAll(Array.from({ length: n - 1 }, (_, i) => state(name(i + 1))), 0);
  let seq = 0;
  for (const d of dead) m.receive({ from: name(n - 1), incarnation: 1, sequence: ++seq, type: 'Gossip', notices: [{ kind: 'Dead', node: d, incarnation: 1, version: 1, by: name(n - 1) }] }, 0);
  return m;
}

/** Datagrams addressed to `node` over `ms` of ticks. */
function toldOver(m: SwimMember, node: string, from: number, ms: number): number {
  let n = 0;
  for (let t = from; t < from + ms; t += 10) if (m.nextDeadline() <= t) n += m.tick(t).out.filter((o) => o.to === node).length;
  return n;
}

describe('SwimMember.forget', () => {
  it.each([
    { name: 'a dead node is dropped from the view and never told of its death again', node: name(3), dead: [name(3)], known: true },
    { name: 'an alive node is dropped from the ring and the view', node: name(4), dead: [], known: true },
    { name: 'an unknown node changes nothing', node: 'node-99', dead: [], known: false },
    { name: 'this node is never forgotten', node: name(0), dead: [], known: false },
  ])('$name', ({ node, dead, known }) => {
    const m = member(8, dead);
    const deadBefore = m.deadCount;
    expect(m.forget(node, 10)).toBe(known);
    const inView = m.view(10).peers.some((p) => p.node === node);
    expect(inView).toBe(node === name(0) || !known ? node === name(0) : false);
    if (known) {
      expect(m.status(node)).toBeUndefined();
      expect(m.successors()).not.toContain(node);
      expect(m.expectedSenders()).not.toContain(node);
      expect(m.deadCount).toBe(deadBefore - (dead.includes(node) ? 1 : 0));
      // Dead nodes are told of their death every deadProbeInterval; a forgotten one never again.
      expect(toldOver(m, node, 20, 6 * T.deadProbeIntervalMs)).toBe(0);
    }
  });

  it('without forget, the dead node would be told of its death (the test above can fail)', () => {
    const m = member(8, [name(3)]);
    const before = m.deadCount;
    expect(before).toBe(1);
    // Told by its would-be ring predecessors, or once it has been dead 5 s by every holder in turn.
    expect(toldOver(m, name(3), 20, 6 * T.deadProbeIntervalMs)).toBeGreaterThan(0);
  });

  it('versionOf: 0 for a node learnt from outside, the version it published once its State arrives', () => {
    const m = member(4, []);
    m.learn({ ...state('node-9', 0), address: '192.0.2.99' }, 0);
    expect(m.versionOf('node-9')).toBe(0);
    m.receive({ from: 'node-9', incarnation: 1, sequence: 1, type: 'SyncReply', notices: [{ kind: 'State', state: state('node-9', 4) }] }, 10);
    expect(m.versionOf('node-9')).toBe(4);
    expect(m.versionOf('node-77')).toBeUndefined();
  });

  it('askUnknown: asks live nodes known only from outside for their State, once a second, at most limit', () => {
    const m = member(3, []);
    for (let i = 10; i < 14; i++) m.learn({ ...state(`node-${i}`, 0), address: `192.0.2.${i}` }, 0);
    const first = m.askUnknown(100, 3);
    expect(first.map((o) => [o.to, o.message.type])).toEqual([['node-10', 'SyncRequest'], ['node-11', 'SyncRequest'], ['node-12', 'SyncRequest']]);
    expect(m.askUnknown(200, 3).map((o) => o.to)).toEqual(['node-13']);
    expect(m.askUnknown(300, 3)).toEqual([]);
    expect(m.askUnknown(1100, 10).map((o) => o.to)).toEqual(['node-10', 'node-11', 'node-12']);
  });

  it('a replay of the forgotten node\'s old datagram is still refused; a newer one relearns it', () => {
    const m = member(8, []);
    const hb = { from: name(2), incarnation: 1, sequence: 500, type: 'Heartbeat' as const, version: 1, notices: [] };
    m.receive(hb, 0);
    m.forget(name(2), 10);
    expect(m.receive(hb, 20).dropped).toBe('Replay');
    const r = m.receive({ ...hb, sequence: 501 }, 30);
    expect(r.dropped).toBeUndefined();
    // It asks the node for its state rather than guessing it.
    expect(r.out.some((o) => o.to === name(2) && o.message.type === 'SyncRequest')).toBe(true);
  });
});
