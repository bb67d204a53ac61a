import { describe, expect, it } from 'vitest';
import { RoundTripProbes, smoothRoundTrip } from './roundTripProbes.js';
import type { NodeState, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember, type Outbound } from './swimMember.js';

const T = DEFAULT_SWIM_TUNING;
const name = (i: number) => `node-${i}`;
const state = (node: string): NodeState => ({
  node, incarnation: 1, version: 1, draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [], address: '192.0.2.1', port: 7947,
});
const local = { draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [] };

function member(n: number) {
  const m = new SwimMember({ self: { node: name(0), incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: 1 });
  m.learnAll(Array.from({ length: n - 1 }, (_, i) => state(name(i + 1))), 0);
  return m;
}

let seq = 0;
const from = (node: string) => ({ from: node, incarnation: 1, sequence: ++seq });

/**
 * Runs `m` for `ms` with every predecessor heartbeating each interval and every peer answering a Probe
 * aimed at it with an Ack `rttMs` later (unless `silent` says it does not answer). Returns what m sent, with times.
 */
function run(m: SwimMember, o: { ms: number; rttMs: (node: string) => number; silent?: (node: string) => boolean }) {
  const out: (Outbound & { t: number })[] = [];
  const acks: { at: number; m: SwimMessage }[] = [];
  const samples: number[] = [];
  for (let t = 0; t < o.ms; t++) {
    if (t % T.intervalMs === 0) for (const p of m.expectedSenders()) m.receive({ ...from(p), type: 'Heartbeat', version: 1, notices: [] }, t);
    for (const a of acks.filter((x) => x.at === t)) {
      const r = m.receive(a.m, t);
      if (r.rttSampleMs !== undefined) samples.push(r.rttSampleMs);
    }
    if (m.nextDeadline() <= t) {
      for (const x of m.tick(t).out) {
        out.push({ ...x, t });
        const msg = x.message;
        if (msg.type === 'Probe' && msg.target === x.to && !o.silent?.(x.to)) {
          acks.push({ at: t + o.rttMs(x.to), m: { ...from(x.to), type: 'Ack', id: msg.id, target: x.to, version: 1, agoMs: 0 } });
        }
      }
    }
  }
  return { out, samples };
}

describe('SwimMember round trips (version 2 has no heartbeat echo)', () => {
  it('probes one ring predecessor per roundTripInterval in turn, and shows the smoothed round trip for each in the view', () => {
    const m = member(20);
    const rtt: Record<string, number> = Object.fromEntries(m.expectedSenders().map((p, i) => [p, 2 + i]));
    const { out, samples } = run(m, { ms: 10_000, rttMs: (n) => rtt[n] ?? 50 });
    const view = m.view(10_000);
    for (const p of m.expectedSenders()) expect(view.peers.find((x) => x.node === p)?.rttMs, p).toBe(rtt[p]);
    // Only the peers it probes have an estimate; the others are judged through the ring, not timed.
    expect(view.peers.filter((x) => x.rttMs !== undefined).map((x) => x.node).sort()).toEqual(m.expectedSenders().sort());
    expect(samples.length).toBeGreaterThanOrEqual(8);
    // The budget: one Probe a second on top of monitors × 10 heartbeats (and one Ack back to each).
    const probes = out.filter((x) => x.message.type === 'Probe');
    // The first at 1 s, the last at 9 s of the 10 simulated.
    expect(probes.length).toBe(10_000 / T.roundTripIntervalMs - 1);
    expect(new Set(probes.map((x) => x.to))).toEqual(new Set(m.expectedSenders()));
    const lastSecond = out.filter((x) => x.t >= 9_000);
    expect(lastSecond.length).toBe(T.monitors * (1000 / T.intervalMs) + 1);
  });

  it('a round-trip probe that gets no Ack costs nothing: no suspicion, no death, no estimate', () => {
    const m = member(10);
    const { out } = run(m, { ms: 5_000, rttMs: () => 1, silent: () => true });
    expect(out.filter((x) => x.message.type === 'ProbeRequest')).toEqual([]);
    expect(m.deadCount).toBe(0);
    expect(m.view(5_000).peers.filter((x) => x.rttMs !== undefined)).toEqual([]);
  });

  it('an Ack for a suspicion probe or from the wrong node is no round-trip sample', () => {
    const r = new RoundTripProbes({ timeoutMs: 1_000 });
    r.sent(7, 'a', 100);
    expect(r.acked(8, 'a', 101)).toBeUndefined();
    expect(r.acked(7, 'b', 101)).toBeUndefined();
    expect(r.acked(7, 'a', 103)).toBe(3);
    expect(r.acked(7, 'a', 104)).toBeUndefined();
    r.sent(9, 'a', 200);
    expect(r.acked(9, 'a', 1_300)).toBeUndefined();
    expect(r.estimate('a')).toBe(3);
  });

  it.each([
    { name: 'the first sample is taken as it is', before: undefined, sample: 4, want: 4 },
    { name: 'later ones move the estimate by 1/8', before: 4, sample: 12, want: 5 },
  ])('smoothRoundTrip: $name', ({ before, sample, want }) => {
    expect(smoothRoundTrip(before, sample)).toBe(want);
  });
});
