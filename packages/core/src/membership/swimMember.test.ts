import { describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_MAX_PAYLOAD } from './heartbeat.js';
import { encodeSwimMessage } from './swimCodec.js';
import type { NodeState, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember, swimTimingsForInterval, type Outbound } from './swimMember.js';

const T = DEFAULT_SWIM_TUNING;
const name = (i: number) => `node-${i}`;
const state = (node: string, version = 1, incarnation = 1): NodeState => ({
  node, incarnation, version, draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [], address: '192.0.2.1', port: 7947,
});
const local = { draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [] };

/** A member that knows `n` nodes (itself node-0), at time 0. */
function member(n: number, o: { seed?: number } = {}) {
  const m = new SwimMember({ self: { node: name(0), incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, seed: o.seed ?? 1 });
  m.learnAll(Array.from({ length: n - 1 }, (_, i) => state(name(i + 1))), 0);
  return m;
}

/** A sender's envelope with a fresh sequence. */
let seq = 0;
const from = (node: string, incarnation = 1) => ({ from: node, incarnation, sequence: ++seq });
const hb = (node: string, version = 1): SwimMessage => ({ ...from(node), type: 'Heartbeat', version, notices: [] });

/** Runs a member for `ms` from `start`, feeding heartbeats from its expected senders every interval. */
function runHealthy(m: SwimMember, start: number, ms: number): Outbound[] {
  const out: Outbound[] = [];
  for (let t = start; t < start + ms; t += 10) {
    if (t % T.intervalMs === 0) for (const p of m.expectedSenders()) out.push(...m.receive(hb(p), t).out);
    if (m.nextDeadline() <= t) out.push(...m.tick(t).out);
  }
  return out;
}

describe('SwimMember', () => {
  it.each([10, 100, 1000, 5000].map((n) => ({ name: `N=${n}`, n })))('per-node fan-out does not grow with N: $name sends monitors × 10 heartbeats per second and expects monitors senders', ({ n }) => {
    const m = member(n);
    const out = runHealthy(m, 0, 2000);
    // One second after start-up, steady state.
    const beats = out.filter((o) => o.message.type === 'Heartbeat');
    expect(m.successors()).toHaveLength(T.monitors);
    expect(m.expectedSenders()).toHaveLength(T.monitors);
    expect(beats.length / 2).toBe(T.monitors * (1000 / T.intervalMs));
    expect(new Set(beats.map((o) => o.to))).toEqual(new Set(m.successors()));
    // Besides heartbeats, only the round-trip probe: one a second, to a predecessor (swimMemberRoundTrip.test.ts).
    const rest = out.filter((o) => o.message.type !== 'Heartbeat');
    expect(rest.length).toBeLessThanOrEqual(2000 / T.roundTripIntervalMs);
    for (const o of rest) expect(o.message.type === 'Probe' && m.expectedSenders().includes(o.to)).toBe(true);
  });

  it('suspects a silent predecessor after suspectAfter, probes it directly and through helpers, and declares it dead after probeTimeout', () => {
    const m = member(20);
    const victim = m.expectedSenders()[0]!;
    const out: Outbound[] = [];
    const declared: string[] = [];
    for (let t = 0; t <= 1000; t += 5) {
      if (t % T.intervalMs === 0) for (const p of m.expectedSenders()) if (p !== victim) m.receive(hb(p), t);
      if (m.nextDeadline() <= t) {
        const r = m.tick(t);
        out.push(...r.out.map((o) => ({ ...o, t }) as Outbound & { t: number }));
        declared.push(...r.declared.map((d) => `${d.node}@${t}`));
      }
    }
    // (Round-trip probes, one a second to a predecessor in turn, are not the suspicion's.)
    const probes = (out as (Outbound & { t: number })[]).filter((o) => (o.message.type === 'Probe' && !m.isRoundTripProbe(o.message.id)) || o.message.type === 'ProbeRequest');
    expect(probes.filter((p) => p.message.type === 'Probe')).toHaveLength(1);
    expect(probes.filter((p) => p.message.type === 'ProbeRequest')).toHaveLength(T.probeHelpers);
    expect(probes[0]!.t).toBe(T.suspectAfterMs);
    expect(declared).toEqual([`${victim}@${T.suspectAfterMs + T.probeTimeoutMs}`]);
    expect(m.status(victim)).toBe('dead');
    // The death is pushed to urgentFanout members at once.
    expect((out as (Outbound & { t: number })[]).filter((o) => o.message.type === 'Gossip' && o.t === T.suspectAfterMs + T.probeTimeoutMs)).toHaveLength(T.urgentFanout);
  });

  it.each([
    { name: 'a direct Ack', relayed: false },
    { name: 'an Ack relayed by a helper', relayed: true },
  ])('an Ack clears the suspicion: $name', ({ relayed }) => {
    const m = member(20);
    const victim = m.expectedSenders()[0]!;
    let probe: SwimMessage | undefined;
    for (let t = 0; t <= 1000; t += 5) {
      if (t % T.intervalMs === 0 && t < 300) for (const p of m.expectedSenders()) m.receive(hb(p), t);
      if (t % T.intervalMs === 0 && t >= 300) for (const p of m.expectedSenders()) if (p !== victim) m.receive(hb(p), t);
      if (m.nextDeadline() <= t) {
        const r = m.tick(t);
        probe ??= r.out.find((o) => o.message.type === 'Probe')?.message;
        expect(r.declared).toEqual([]);
      }
      if (probe && probe.type === 'Probe' && t === 300 + T.suspectAfterMs + 50) {
        const ack: SwimMessage = relayed
          ? { ...from('node-19'), type: 'Ack', id: probe.id, target: victim, version: 1, agoMs: 0 }
          : { ...from(victim), type: 'Ack', id: probe.id, target: victim, version: 1, agoMs: 0 };
        m.receive(ack, t);
        expect(m.status(victim)).toBe('alive');
        break;
      }
    }
    expect(probe).toBeDefined();
  });

  it('a helper forwards the target\'s Ack to the member that asked', () => {
    const m = member(5);
    const r1 = m.receive({ ...from('node-1'), type: 'ProbeRequest', id: 77, target: 'node-2' }, 0);
    expect(r1.out.map((o) => [o.to, o.message.type])).toEqual([['node-2', 'Probe']]);
    const r2 = m.receive({ ...from('node-2'), type: 'Ack', id: 77, target: 'node-2', version: 1, agoMs: 0 }, 1);
    expect(r2.out.map((o) => [o.to, o.message.type, o.message.type === 'Ack' && o.message.target])).toEqual([['node-1', 'Ack', 'node-2']]);
  });

  it('a helper that watches the suspect and heard its heartbeat 100 ms ago vouches for it; the asker restarts its silence clock from then', () => {
    const helper = member(20);
    const target = helper.expectedSenders()[0]!;
    helper.receive(hb(target), 1000);
    const r = helper.receive({ ...from('node-19'), type: 'ProbeRequest', id: 5, target }, 1100);
    const vouch = r.out.find((o) => o.message.type === 'Ack');
    expect(vouch?.to).toBe('node-19');
    expect(vouch?.message.type === 'Ack' && vouch.message.agoMs).toBe(100);
    // Not after suspectAfter: silence that long is no evidence of life.
    const late = helper.receive({ ...from('node-19'), type: 'ProbeRequest', id: 6, target }, 1000 + T.suspectAfterMs);
    expect(late.out.filter((o) => o.message.type === 'Ack')).toEqual([]);
  });


  it.each([
    // Monitors of a node crashed at 1,250 ms that heard its heartbeat of 1,200 suspect it at 1,550 and ask us.
    { name: 'a node crashed during our stall: its queued heartbeats read on waking are no vouch for it (drain first)', sends: [1_100, 1_200], judgeFirst: false, askAt: 1_550, agoMs: undefined },
    { name: 'the same when our late tick runs before the socket is read', sends: [1_100, 1_200], judgeFirst: true, askAt: 1_550, agoMs: undefined },
    { name: 'a node that kept heartbeating through our stall: vouched for with the age of its last queued heartbeat (150 ms, not 50)', sends: [1_100, 1_200, 1_300], judgeFirst: false, askAt: 1_450, agoMs: 150 },
  ])('a monitor waking from its own 400 ms stall vouches only for what its heartbeats show: $name', ({ sends, judgeFirst, askAt, agoMs }) => {
    // Each row failed before heartbeats read on waking were dated (heartbeatHeardAt): all read as heard
    // at 1,400, so the crashed node was vouched for "heard 150 ms ago" and its monitors restarted their
    // silence clocks from 1,400 (simulation: crashes caught at up to 1,008 ms instead of 550).
    const helper = member(20);
    const target = helper.expectedSenders()[0]!;
    runHealthy(helper, 0, 1_010);
    expect(helper.nextDeadline()).toBeLessThan(1_100);
    // Stalled from 1,010 to 1,400: the datagrams sent meanwhile are read at 1,400.
    const wake = 1_400;
    if (judgeFirst) helper.tick(wake);
    for (const _ of sends) helper.receive(hb(target), wake);
    for (const p of helper.expectedSenders()) if (p !== target) helper.receive(hb(p), wake);
    if (!judgeFirst) helper.tick(wake);
    const r = helper.receive({ ...from('node-19'), type: 'ProbeRequest', id: 9, target }, askAt);
    const vouch = r.out.find((o) => o.message.type === 'Ack');
    expect(vouch?.message.type === 'Ack' ? vouch.message.agoMs : undefined).toBe(agoMs);
  });

  it('a heartbeat read one interval after waking is dated now again', () => {
    const helper = member(20);
    const target = helper.expectedSenders()[0]!;
    runHealthy(helper, 0, 1_010);
    helper.receive(hb(target), 1_400);
    helper.receive(hb(target), 1_500);
    const r = helper.receive({ ...from('node-19'), type: 'ProbeRequest', id: 9, target }, 1_550);
    const vouch = r.out.find((o) => o.message.type === 'Ack');
    expect(vouch?.message.type === 'Ack' && vouch.message.agoMs).toBe(50);
  });

  it('refutes its own death at its current version with a higher version, pushed at once', () => {
    const m = member(20);
    const r = m.receive({ ...from('node-3'), type: 'Gossip', notices: [{ kind: 'Dead', node: name(0), incarnation: 1, version: 1, by: 'node-3' }] }, 10);
    expect(m.self.version).toBe(2);
    const pushes = r.out.filter((o) => o.message.type === 'Gossip');
    // urgentFanout random members, plus the member that told us (it may sit across a healed partition).
    expect(pushes).toHaveLength(T.urgentFanout + 1);
    expect(pushes.filter((o) => o.to === 'node-3').length).toBeGreaterThanOrEqual(1);
    for (const p of pushes) expect(p.message.type === 'Gossip' && p.message.notices).toEqual([{ kind: 'State', state: m.self }]);
  });

  it.each([
    { name: 'of an older incarnation (the node restarted since)', dead: { incarnation: 0, version: 5 }, watched: true, status: 'alive', probes: 0 },
    { name: 'at an older version than the state held, about a node we watch: verified by a probe first', dead: { incarnation: 1, version: 1 }, watched: true, status: 'suspect', probes: 1 },
    { name: 'at an older version than the state held, about a node we do not watch: dropped', dead: { incarnation: 1, version: 1 }, watched: false, status: 'alive', probes: 0 },
    { name: 'at the version held', dead: { incarnation: 1, version: 3 }, watched: false, status: 'dead', probes: 0 },
  ])('a Dead notice $name', ({ dead, watched, status, probes }) => {
    const m = member(20);
    const subject = watched ? m.expectedSenders()[0]! : Array.from({ length: 19 }, (_, i) => name(i + 1)).find((n) => !m.expectedSenders().includes(n))!;
    m.learn(state(subject, 3), 0);
    const r = m.receive({ ...from('node-3'), type: 'Gossip', notices: [{ kind: 'Dead', node: subject, ...dead, by: 'node-3' }] }, 10);
    expect(m.status(subject)).toBe(status);
    expect(r.out.filter((o) => o.message.type === 'Probe' && o.to === subject)).toHaveLength(probes);
  });

  it('a newer State brings a dead node back; an older one is dropped', () => {
    const m = member(10);
    m.receive({ ...from('node-3'), type: 'Gossip', notices: [{ kind: 'Dead', node: 'node-5', incarnation: 1, version: 1, by: 'node-3' }] }, 0);
    expect(m.status('node-5')).toBe('dead');
    expect(m.receive({ ...from('node-3'), type: 'Gossip', notices: [{ kind: 'State', state: state('node-5', 1) }] }, 1).changed).toBe(false);
    expect(m.status('node-5')).toBe('dead');
    expect(m.receive({ ...from('node-3'), type: 'Gossip', notices: [{ kind: 'State', state: state('node-5', 2) }] }, 2).changed).toBe(true);
    expect(m.status('node-5')).toBe('alive');
  });

  it.each([
    { name: 'the same sequence twice', second: (s: number) => ({ incarnation: 1, sequence: s }), dropped: 'Replay' },
    { name: 'an older incarnation than the one heard', second: () => ({ incarnation: 0, sequence: 999 }), dropped: 'StaleIncarnation' },
  ])('drops a replayed datagram: $name', ({ second, dropped }) => {
    const m = member(10);
    const first = { ...hb('node-3'), incarnation: 1 };
    expect(m.receive(first, 0).dropped).toBeUndefined();
    expect(m.receive({ ...first, ...second(first.sequence) }, 1).dropped).toBe(dropped);
  });

  it('setLocal publishes a new version: one batched push to stateFanout members, then piggybacked on heartbeats', () => {
    const m = member(20);
    const r = m.setLocal({ ...local, announcing: ['192.0.2.50'] }, 0);
    expect(r).toEqual([]);
    expect(m.self.version).toBe(2);
    const out: Outbound[] = [];
    for (let t = 0; t <= 200; t += 5) if (m.nextDeadline() <= t) out.push(...m.tick(t).out);
    const gossip = out.filter((o) => o.message.type === 'Gossip');
    expect(gossip).toHaveLength(T.stateFanout);
    const carried = out.filter((o) => o.message.type === 'Heartbeat' && o.message.notices.some((n) => n.kind === 'State' && n.state.announcing.includes('192.0.2.50')));
    expect(carried.length).toBeGreaterThanOrEqual(T.monitors);
  });

  it.each([
    { name: 'a member that has not stalled waits suspectAfter + probeTimeout', stall: 0, expected: T.suspectAfterMs + T.probeTimeoutMs },
    { name: 'a member whose event loop just stalled 300 ms waits twice the probe timeout', stall: 300, expected: T.suspectAfterMs + 2 * T.probeTimeoutMs },
  ])('local health: $name before declaring a silent peer dead', ({ stall, expected }) => {
    const m = member(20);
    runHealthy(m, 0, 1000);
    // The member freezes: its next tick comes late. Heartbeats queued meanwhile are drained first (as
    // the adapter does), then it judges.
    const wake = stall ? m.nextDeadline() + stall : 1000;
    for (const p of m.expectedSenders()) m.receive(hb(p), wake);
    if (stall) m.tick(wake);
    const victim = m.expectedSenders()[0]!;
    let declaredAt: number | undefined;
    for (let t = wake + 1; t < wake + 3000 && declaredAt === undefined; t += 1) {
      if ((t - wake) % T.intervalMs === 0) for (const p of m.expectedSenders()) if (p !== victim) m.receive(hb(p), t);
      if (m.nextDeadline() <= t && m.tick(t).declared.some((d) => d.node === victim)) declaredAt = t;
    }
    expect(declaredAt! - wake).toBe(expected);
  });

  it.each([
    { name: 'its Ack, queued behind the stall, is read first and clears it', ack: true },
    { name: 'with no Ack it is declared one heartbeat interval after waking', ack: false },
  ])('local health: a suspicion pending while the member stalled 400 ms is judged one interval after waking, not on waking: $name', ({ ack }) => {
    // The adapter's tick can run before the socket is read again (its timer fired just before the stall).
    // Before: the tick on waking declared the suspect dead with its Ack still unread.
    const m = member(20);
    runHealthy(m, 0, 1000);
    const victim = m.expectedSenders()[0]!;
    let probeId: number | undefined;
    let t = 1000;
    for (; t < 2000 && probeId === undefined; t += 5) {
      if (t % T.intervalMs === 0) for (const p of m.expectedSenders()) if (p !== victim) m.receive(hb(p), t);
      if (m.nextDeadline() <= t) {
        const probe = m.tick(t).out.find((o) => o.message.type === 'Probe' && o.to === victim && !m.isRoundTripProbe(o.message.id));
        if (probe?.message.type === 'Probe') probeId = probe.message.id;
      }
    }
    expect(probeId).toBeDefined();
    expect(m.status(victim)).toBe('suspect');
    // Frozen for 400 ms right after suspecting (its next timer was due within an interval).
    m.nextDeadline();
    const wake = t + 400;
    expect(m.tick(wake).declared).toEqual([]);
    expect(m.status(victim)).toBe('suspect');
    expect(m.localHealthAt(wake)).toEqual({ multiplier: 2, signals: { TimerLate: 1 } });
    if (ack) {
      m.receive({ ...from(victim), type: 'Ack', id: probeId!, target: victim, version: 1, agoMs: 0 }, wake + 1);
      expect(m.status(victim)).toBe('alive');
      return;
    }
    expect(m.tick(wake + T.intervalMs - 1).declared.map((d) => d.node)).not.toContain(victim);
    expect(m.tick(wake + T.intervalMs).declared.map((d) => d.node)).toContain(victim);
  });

  it.each([
    { name: 'every timer 60 ms late', lateMs: 60 },
    { name: 'every timer 120 ms late', lateMs: 120 },
  ])('local health: a starved member ($name, not one long stall) still declares a crashed predecessor', ({ lateMs }) => {
    // bench/speaker/scale.ts, 40 speakers on 2 cores (load 56-85): the speakers' main threads waited for a
    // CPU 80 % of the time and their timers were often over 50 ms late. Each late tick restarted every
    // predecessor's silence clock (now − one interval) and pushed every pending suspicion's deadline one
    // interval past waking, so a monitor whose ticks were all late never suspected, nor declared, a
    // crashed predecessor (kills detected 0.75-1.6 s after the crash, by whichever monitor had a run of
    // timely ticks). Queued datagrams are read before every tick here (the adapter drains first).
    const m = member(20);
    runHealthy(m, 0, 1000);
    const victim = m.expectedSenders()[0]!;
    const lastHeard = 900; // runHealthy's last heartbeats
    let declaredAt: number | undefined;
    // The process runs only when its timer fires, lateMs late: it then reads what queued (drain first) and judges.
    let queued = 0;
    for (let wake = m.nextDeadline() + lateMs; wake < lastHeard + 5000 && declaredAt === undefined; wake = m.nextDeadline() + lateMs) {
      for (; queued + T.intervalMs <= wake; queued += T.intervalMs) if (queued + T.intervalMs > lastHeard) for (const p of m.expectedSenders()) if (p !== victim) m.receive(hb(p), wake);
      if (m.tick(wake).declared.some((d) => d.node === victim)) declaredAt = wake;
    }
    expect(declaredAt).toBeDefined();
    // Silence is forgiven by the lateness only, and a suspicion gets one grace interval, once: bounded,
    // if slower than the healthy 550 ms (the probe timeout is doubled while timers keep firing late).
    expect(declaredAt! - lastHeard).toBeLessThanOrEqual(2_500);
  });

  it('local health: a member told of its own death (it refutes) judges peers leniently for a while', () => {
    const m = member(20);
    runHealthy(m, 0, 1000);
    m.receive({ ...from(name(5)), type: 'Gossip', notices: [{ kind: 'Dead', node: name(0), incarnation: 1, version: 1, by: name(5) }] }, 1000);
    expect(m.self.version).toBe(2);
    expect(m.localHealthAt(1000)).toEqual({ multiplier: 2, signals: { Refuted: 1 } });
    expect(m.localHealthAt(1000 + T.healthDecayMs).multiplier).toBe(1);
  });
});

describe('swimTimingsForInterval', () => {
  it.each([
    { name: 'the default period keeps the defaults', intervalMs: T.intervalMs, suspectAfterMs: T.suspectAfterMs, probeTimeoutMs: T.probeTimeoutMs },
    { name: 'a 400 ms period waits 4 × as long (and can start: suspectAfter > interval)', intervalMs: 400, suspectAfterMs: 4 * T.suspectAfterMs, probeTimeoutMs: 4 * T.probeTimeoutMs },
    { name: 'a 50 ms period detects in half the time', intervalMs: 50, suspectAfterMs: T.suspectAfterMs / 2, probeTimeoutMs: T.probeTimeoutMs / 2 },
  ])('keeps suspectAfter and probeTimeout in proportion to the heartbeat period: $name', ({ intervalMs, suspectAfterMs, probeTimeoutMs }) => {
    const t = swimTimingsForInterval(intervalMs);
    expect(t).toEqual({ intervalMs, suspectAfterMs, probeTimeoutMs });
    expect(() => new SwimMember({ self: { node: name(0), incarnation: 1, address: '192.0.2.1', port: 7947 }, local, nowMs: 0, tuning: t })).not.toThrow();
  });
});

describe('SwimMember partition heal: anti-entropy pull, tells, stale deaths', () => {
  const dead = (node: string, version = 1, by = 'node-3') => ({ kind: 'Dead' as const, node, incarnation: 1, version, by });
  /** Runs ticks from `start` to `end` (healthy predecessors), returning what was sent. */
  const ticks = (m: SwimMember, start: number, end: number): Outbound[] => runHealthy(m, start, end - start);

  it.each([
    { name: 'holding 3 members dead: one SyncRequest per antiEntropyInterval to a live member, naming them', deadNodes: ['node-5', 'node-6', 'node-7'], requests: 2 },
    { name: 'holding nobody dead: no anti-entropy traffic at all', deadNodes: [], requests: 0 },
  ])('anti-entropy $name', ({ deadNodes, requests }) => {
    const m = member(20);
    for (const d of deadNodes) m.receive({ ...from('node-3'), type: 'Gossip', notices: [dead(d)] }, 0);
    // Heartbeats from expected senders keep every live member alive; 2 s = 2 pull intervals.
    const pulls = ticks(m, 10, 10 + 2 * T.antiEntropyIntervalMs).filter((o) => o.message.type === 'SyncRequest');
    expect(pulls).toHaveLength(requests);
    for (const p of pulls) {
      expect(p.message.type === 'SyncRequest' && [...p.message.nodes].sort()).toEqual(deadNodes);
      expect(m.status(p.to)).toBe('alive');
    }
  });

  it('a pull names at most one datagram of dead members, in turn, so every dead member is asked about', () => {
    const m = member(2000);
    const notices = Array.from({ length: 1500 }, (_, i) => dead(name(i + 400)));
    for (let i = 0; i < notices.length; i += 100) m.receive({ ...from('node-3'), type: 'Gossip', notices: notices.slice(i, i + 100) }, 0);
    expect(m.deadCount).toBe(1500);
    const asked = new Set<string>();
    let requests = 0;
    for (let t = 0; t <= 4 * T.antiEntropyIntervalMs; t += 10) {
      if (m.nextDeadline() > t) continue;
      for (const o of m.tick(t).out) {
        if (o.message.type !== 'SyncRequest') continue;
        requests++;
        // Fits one datagram with the envelope (checked by the codec too).
        expect(encodeSwimMessage(o.message).length).toBeLessThanOrEqual(HEARTBEAT_MAX_PAYLOAD);
        for (const n of o.message.nodes) asked.add(n);
      }
    }
    expect(requests).toBeGreaterThanOrEqual(2);
    // 1,500 names do not fit one datagram; in turn, every one is asked about within a few pulls.
    expect(notices.filter((n) => !asked.has(n.node))).toEqual([]);
  });

  it('answers a SyncRequest naming nodes with the States it holds, leaving out those it holds dead too', () => {
    const m = member(10);
    m.receive({ ...from('node-3'), type: 'Gossip', notices: [dead('node-5')] }, 0);
    const r = m.receive({ ...from('node-4'), type: 'SyncRequest', nodes: ['node-5', 'node-6', 'node-0'] }, 1);
    const reply = r.out.filter((o) => o.message.type === 'SyncReply');
    expect(reply).toHaveLength(1);
    expect(reply[0]!.message.type === 'SyncReply' && reply[0]!.message.notices.map((n) => (n.kind === 'State' ? n.state.node : n.node))).toEqual(['node-6', 'node-0']);
  });

  it.each([
    { name: 'at the version we hold it dead at: the replier has not heard of the death, so the node is told (it will refute)', version: 1, status: 'dead', told: 1 },
    { name: 'at a newer version (a refutation): alive again, no tell', version: 2, status: 'alive', told: 0 },
  ])('a SyncReply with the State of a node we hold dead $name', ({ version, status, told }) => {
    const m = member(10);
    m.receive({ ...from('node-3'), type: 'Gossip', notices: [dead('node-5')] }, 0);
    // A round later: learning the death through a push told node-5 already (tell-on-push; once a second).
    const r = m.receive({ ...from('node-4'), type: 'SyncReply', notices: [{ kind: 'State', state: state('node-5', version) }] }, 1_005);
    expect(m.status('node-5')).toBe(status);
    const tells = r.out.filter((o) => o.to === 'node-5' && o.message.type === 'Gossip' && o.message.notices.some((n) => n.kind === 'Dead' && n.node === 'node-5'));
    expect(tells).toHaveLength(told);
    // At most once a second per node, however many replies say so.
    const again = m.receive({ ...from('node-6'), type: 'SyncReply', notices: [{ kind: 'State', state: state('node-5', version) }] }, 1_010);
    expect(again.out.filter((o) => o.to === 'node-5')).toHaveLength(0);
  });

  it('told of its death at a version it has already refuted, a member sends the teller its current State once, without a new version', () => {
    const m = member(20);
    m.receive({ ...from('node-3'), type: 'Gossip', notices: [dead(name(0), 1)] }, 10);
    expect(m.self.version).toBe(2);
    const r = m.receive({ ...from('node-7'), type: 'Gossip', notices: [dead(name(0), 1, 'node-9')] }, 20);
    expect(m.self.version).toBe(2);
    expect(r.out.map((o) => [o.to, o.message.type === 'Gossip' && o.message.notices])).toEqual([['node-7', [{ kind: 'State', state: m.self }]]]);
    expect(m.receive({ ...from('node-7'), type: 'Gossip', notices: [dead(name(0), 1, 'node-9')] }, 30).out).toEqual([]);
  });
});

describe('SwimMember stale deaths about a watched node', () => {
  it.each([
    { name: 'silent for suspectAfter: probed (1 + probeHelpers datagrams)', heardAgoMs: T.suspectAfterMs, probes: 1 + T.probeHelpers },
    { name: 'heartbeated us within suspectAfter: fresher evidence than the notice, nothing sent', heardAgoMs: T.intervalMs, probes: 0 },
  ])('a Dead notice at an older version about a predecessor that $name', ({ heardAgoMs, probes }) => {
    const m = member(20);
    const subject = m.expectedSenders()[0]!;
    m.receive(hb(subject, 3), 1000 - heardAgoMs);
    m.learn(state(subject, 3), 1000 - heardAgoMs);
    const r = m.receive({ ...from('node-19'), type: 'Gossip', notices: [{ kind: 'Dead', node: subject, incarnation: 1, version: 1, by: 'node-19' }] }, 1000);
    expect(r.out.filter((o) => (o.message.type === 'Probe' || o.message.type === 'ProbeRequest') && 'target' in o.message && o.message.target === subject)).toHaveLength(probes);
    expect(m.status(subject)).toBe(probes > 0 ? 'suspect' : 'alive');
  });
});

describe('SwimMember.setLocal', () => {
  // The speaker publishes its announced list (up to thousands of addresses) up to 10 times a second during
  // a hand-over; comparing it as text made strings of its whole length on every publish.
  it('the same state handed in again (new arrays) is no change, found without building strings', () => {
    const ips = Array.from({ length: 400 }, (_, i) => `2001:db8:7::${(0x1000 + i).toString(16)}`);
    const m = member(3);
    m.setLocal({ ...local, announcing: ips }, 10);
    const version = m.self.version;
    const stringify = vi.spyOn(JSON, 'stringify');
    const join = vi.spyOn(Array.prototype, 'join');
    try {
      expect(m.setLocal({ ...local, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'] }], announcing: [...ips] }, 20)).toEqual([]);
      expect({ stringify: stringify.mock.calls.length, join: join.mock.calls.length }).toEqual({ stringify: 0, join: 0 });
    } finally {
      stringify.mockRestore();
      join.mockRestore();
    }
    expect(m.self.version).toBe(version);
    m.setLocal({ ...local, announcing: ips.slice(1) }, 30);
    expect(m.self.version).toBe(version + 1);
  });
});
