import { describe, expect, it } from 'vitest';
import type { Notice, NodeState, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember } from './swimMember.js';

// The facts mergeMembershipViews reads as "never heard" (ADR 0012, failure modes: heartbeats blocked from
// the start): SwimMember's state version for the node's current incarnation stays 0 exactly while nothing
// the node wrote — its State, or a death declared by a member that had heard it — reached this member.

const T = DEFAULT_SWIM_TUNING;
const local = { draining: false, ready: true, interfaces: [], announcing: [] };
const lease = (incarnation: number): NodeState => ({ node: 'x', incarnation, version: 0, draining: false, ready: true, interfaces: [], announcing: [], address: '192.0.2.9', port: 7947 });

type Step =
  | { lease: number }
  | { state: { incarnation: number; version: number } }
  | { dead: { incarnation: number; version: number } }
  | { silentMs: number };

function run(steps: readonly Step[]) {
  const m = new SwimMember({ self: { node: 'a', incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1 });
  m.learn({ ...lease(1), node: 'c', address: '192.0.2.3' }, 0);
  let now = 0;
  let seq = 0;
  const gossip = (n: Notice) => m.receive({ from: 'c', incarnation: 1, sequence: ++seq, type: 'Gossip', notices: [n] }, now);
  for (const s of steps) {
    if ('lease' in s) m.learn(lease(s.lease), now);
    else if ('state' in s) gossip({ kind: 'State', state: { ...lease(s.state.incarnation), version: s.state.version } });
    else if ('dead' in s) gossip({ kind: 'Dead', node: 'x', incarnation: s.dead.incarnation, version: s.dead.version, by: 'c' });
    else {
      // Ticks only; 'c' keeps heartbeating so only 'x' can be suspected and declared.
      for (const end = now + s.silentMs; now < end; now += 10) {
        if (now % T.intervalMs === 0) m.receive({ from: 'c', incarnation: 1, sequence: ++seq, type: 'Heartbeat', version: 1, notices: [] }, now);
        // Probes go nowhere: x never answers.
        if (m.nextDeadline() <= now) m.tick(now);
      }
    }
  }
  return { version: m.versionOf('x'), status: m.status('x') };
}

describe('SwimMember: the state version that tells "never heard" from "heard, then silent"', () => {
  it.each<{ name: string; steps: Step[]; version: number; status: 'alive' | 'dead' }>([
    { name: 'known from its Lease only', steps: [{ lease: 1 }], version: 0, status: 'alive' },
    { name: 'known from its Lease, silent past a death: declared dead here, still never heard', steps: [{ lease: 1 }, { silentMs: 2_000 }], version: 0, status: 'dead' },
    { name: 'declared dead elsewhere by a member that never heard it either', steps: [{ lease: 1 }, { dead: { incarnation: 1, version: 0 } }], version: 0, status: 'dead' },
    { name: 'its own State arrived (versions start at 1)', steps: [{ lease: 1 }, { state: { incarnation: 1, version: 1 } }], version: 1, status: 'alive' },
    { name: 'declared dead elsewhere by a member that had heard it: heard, fast path', steps: [{ lease: 1 }, { dead: { incarnation: 1, version: 3 } }], version: 3, status: 'dead' },
    { name: 'heard, then silent past a death: dead at the heard version', steps: [{ lease: 1 }, { state: { incarnation: 1, version: 2 } }, { silentMs: 2_000 }], version: 2, status: 'dead' },
    { name: 'heard in its previous process, restarted (new Lease incarnation) with heartbeats blocked: never heard again', steps: [{ lease: 1 }, { state: { incarnation: 1, version: 4 } }, { dead: { incarnation: 1, version: 4 } }, { lease: 2 }], version: 0, status: 'alive' },
    { name: 'that restarted node declared dead without being heard: still never heard', steps: [{ lease: 1 }, { state: { incarnation: 1, version: 4 } }, { lease: 2 }, { silentMs: 2_000 }], version: 0, status: 'dead' },
  ])('$name', ({ steps, version, status }) => {
    expect(run(steps)).toEqual({ version, status });
  });
});

describe('SwimMember.reached: whether a datagram of ours has reached a member (mergeMembershipViews judges by Lease until it has)', () => {
  type Incoming = { [K in SwimMessage['type']]: Omit<Extract<SwimMessage, { type: K }>, 'from' | 'incarnation' | 'sequence'> }[SwimMessage['type']];
  it.each<{ name: string; received: Incoming[]; reached: boolean; changedOn?: number }>([
    { name: 'nothing received', received: [], reached: false },
    {
      name: 'heartbeats, gossip, probes and requests from a peer prove nothing of ours arrived',
      received: [
        { type: 'Heartbeat', version: 1, notices: [] },
        { type: 'Gossip', notices: [] },
        { type: 'Probe', id: 1, target: 'a' },
        { type: 'ProbeRequest', id: 2, target: 'x' },
        { type: 'SyncRequest', nodes: ['a'] },
      ],
      reached: false,
    },
    { name: 'an Ack answers a Probe or ProbeRequest of ours', received: [{ type: 'Heartbeat', version: 1, notices: [] }, { type: 'Ack', id: 9, target: 'c', version: 1, agoMs: 0 }], reached: true, changedOn: 1 },
    { name: 'a SyncReply answers our SyncRequest', received: [{ type: 'SyncReply', notices: [] }], reached: true, changedOn: 0 },
  ])('$name', ({ received, reached, changedOn }) => {
    const m = new SwimMember({ self: { node: 'a', incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1 });
    m.learn({ ...lease(1), node: 'c', address: '192.0.2.3' }, 0);
    const changed = received.map((r, i) => m.receive({ ...r, from: 'c', incarnation: 1, sequence: i + 1 } as SwimMessage, 10 + i).changed);
    expect(m.reached()).toBe(reached);
    // The flip is a change of the merged view (peers are judged differently from then on); it is told once.
    if (changedOn !== undefined) expect(changed[changedOn]).toBe(true);
    if (reached) expect(m.receive({ type: 'Ack', id: 10, target: 'c', version: 1, agoMs: 0, from: 'c', incarnation: 1, sequence: 100 }, 100).changed).toBe(false);
  });
});
