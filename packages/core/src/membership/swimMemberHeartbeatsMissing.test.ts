import { describe, expect, it } from 'vitest';
import type { NodeState, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember } from './swimMember.js';

const T = DEFAULT_SWIM_TUNING;
const name = (i: number) => `node-${i}`;
const state = (node: string): NodeState => ({
  node, incarnation: 1, version: 1, draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [], address: '192.0.2.1', port: 7947,
});
const local = { draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [] };
let seq = 0;
const from = (node: string) => ({ from: node, incarnation: 1, sequence: ++seq });

/**
 * node-0 among 20 for `ms`: every ring predecessor heartbeats it each interval except `mute`, whose
 * heartbeats are lost on the way (a one-way link fault) while it answers every Probe: directly, and through
 * the helpers a ProbeRequest asks.
 */
function run(ms: number, mute: (m: SwimMember) => string | undefined) {
  const m = new SwimMember({ self: { node: name(0), incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1 });
  m.learnAll(Array.from({ length: 19 }, (_, i) => state(name(i + 1))), 0);
  const victim = mute(m);
  const predecessors = m.expectedSenders();
  let pending: { at: number; msg: SwimMessage }[] = [];
  for (let t = 0; t <= ms; t++) {
    if (t % T.intervalMs === 0) for (const p of predecessors) if (p !== victim) m.receive({ ...from(p), type: 'Heartbeat', version: 1, notices: [] }, t);
    for (const x of pending.filter((y) => y.at === t)) m.receive(x.msg, t);
    pending = pending.filter((y) => y.at > t);
    if (m.nextDeadline() <= t) {
      for (const o of m.tick(t).out) {
        const msg = o.message;
        // The target answers a direct probe; a helper relays the target's Ack.
        if ((msg.type === 'Probe' || msg.type === 'ProbeRequest') && (msg.target !== victim || msg.type === 'ProbeRequest')) {
          pending.push({ at: t + 1, msg: { ...from(o.to), type: 'Ack', id: msg.id, target: msg.target, version: 1, agoMs: 0 } });
        }
      }
    }
  }
  return { m, victim, predecessors };
}

describe('SwimMember heartbeatsMissing: which peers a speaker should hear and does not (version 2 heartbeat health)', () => {
  it('a ring predecessor whose heartbeats stop arriving, alive through probes via other members, is flagged; nobody else is', () => {
    const { m, victim, predecessors } = run(4_000, (x) => x.expectedSenders()[1]);
    const view = m.view(4_000);
    const v = view.peers.find((p) => p.node === victim)!;
    expect(v).toMatchObject({ alive: true, heartbeatsMissing: true });
    expect(m.status(victim!)).not.toBe('dead');
    // The other predecessors are heard; the 16 peers it does not monitor send it nothing and are not flagged.
    const flagged = view.peers.filter((p) => p.heartbeatsMissing).map((p) => p.node);
    expect(flagged).toEqual([victim]);
    expect(view.peers.filter((p) => !p.self && !predecessors.includes(p.node)).every((p) => p.alive && p.lastHeartbeatMs === undefined)).toBe(true);
  });

  it('a healthy ring flags nobody, and a predecessor is not flagged before heartbeatsMissingAfter', () => {
    const healthy = run(4_000, () => undefined);
    expect(healthy.m.view(4_000).peers.filter((p) => p.heartbeatsMissing)).toEqual([]);
    const early = run(T.heartbeatsMissingAfterMs - 100, (x) => x.expectedSenders()[1]);
    expect(early.m.view(T.heartbeatsMissingAfterMs - 100).peers.filter((p) => p.heartbeatsMissing)).toEqual([]);
  });
});
