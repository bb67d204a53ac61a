import { describe, expect, it } from 'vitest';
import type { NodeState, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember } from './swimMember.js';

// Startup (ADR 0012, "A joining member"): a member learns its peers from their Leases (state version 0)
// and expects heartbeats from its ring predecessors at once, while a peer that has not listed our Lease
// yet does not count us as its successor and sends us none. Such a peer must not be declared dead while
// it answers our probes (it answers any member, known or not); only a peer from which nothing at all
// arrives for suspectAfter + probeTimeout is, and at version 0 it stays judged by its Lease
// (mergeMembershipViews), so the election does not move its addresses.

const T = DEFAULT_SWIM_TUNING;
const local = { draining: false, ready: true, interfaces: [], announcing: [] };
const lease = (node: string): NodeState => ({ node, incarnation: 1, version: 0, draining: false, ready: true, interfaces: [], announcing: [], address: '192.0.2.9', port: 7947 });

/**
 * 'a' learns 'b' and 'c' from their Leases at 0; 'c' heartbeats it every interval, 'b' never does and
 * answers each of a's probes `ackAfterMs` later (undefined: not at all). No helper vouches (only c
 * could, and it does not watch b). 10 s.
 */
function run(ackAfterMs: number | undefined) {
  const a = new SwimMember({ self: { node: 'a', incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1 });
  a.learnAll([lease('b'), lease('c')], 0);
  let seq = 0;
  const acks: { at: number; m: SwimMessage }[] = [];
  const declared: string[] = [];
  let probes = 0;
  for (let t = 0; t < 10_000; t += 5) {
    if (t % T.intervalMs === 0) a.receive({ from: 'c', incarnation: 1, sequence: ++seq, type: 'Heartbeat', version: 1, notices: [] }, t);
    while (acks.length > 0 && acks[0]!.at <= t) a.receive(acks.shift()!.m, t);
    if (a.nextDeadline() > t) continue;
    const r = a.tick(t);
    declared.push(...r.declared.map((d) => `${d.node} at ${t} ms, version ${d.version}`));
    for (const o of r.out) {
      if (o.to !== 'b' || o.message.type !== 'Probe') continue;
      probes++;
      if (ackAfterMs !== undefined) acks.push({ at: t + ackAfterMs, m: { from: 'b', incarnation: 1, sequence: ++seq, type: 'Ack', id: o.message.id, target: 'b', version: 1, agoMs: 0 } });
    }
  }
  return { declared, status: a.status('b'), version: a.versionOf('b'), expects: a.expectedSenders().includes('b'), probes };
}

describe('SwimMember at startup: a predecessor known from its Lease that does not heartbeat us yet', () => {
  it.each([
    { name: 'answers each probe at once', ackAfterMs: 5 },
    { name: 'answers each probe just within probeTimeout', ackAfterMs: T.probeTimeoutMs - 5 },
  ])('$name: never declared dead; after two probes answered without a heartbeat it is no longer expected', ({ ackAfterMs }) => {
    const r = run(ackAfterMs);
    expect(r).toMatchObject({ declared: [], status: 'alive', expects: false });
    // Two suspicions, then the round-trip probes only (one a second, answered too).
    expect(r.probes).toBeGreaterThanOrEqual(2);
  });

  it.each([
    { name: 'answers after probeTimeout', ackAfterMs: T.probeTimeoutMs + 50 },
    { name: 'answers nothing', ackAfterMs: undefined },
  ])('$name: declared dead suspectAfter + probeTimeout after it was learnt, at version 0 (never heard: judged by its Lease)', ({ ackAfterMs }) => {
    const r = run(ackAfterMs);
    expect(r.declared[0]).toBe(`b at ${T.suspectAfterMs + T.probeTimeoutMs} ms, version 0`);
    expect(r.version).toBe(0);
  });
});
