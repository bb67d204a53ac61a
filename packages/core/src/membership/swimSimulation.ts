import { RingOrder } from './ringOrder.js';
import { SeededRandom } from './seededRandom.js';
import type { NodeState, SwimMessage } from './swimMessage.js';
import { DEFAULT_SWIM_TUNING, SwimMember, type SwimTuning } from './swimMember.js';

/**
 * A discrete-event simulation on virtual time that drives SwimMember — the code the speaker runs — for
 * thousands of members in one process: datagrams with latency, random loss, event-loop stalls, crashes
 * with restarts, partitions and flapping links. Pure (seeded, no clock), so a run is reproducible and can
 * be a unit test; the benchmark (bench/membership) passes `wire` to push every datagram through the real
 * codec and HMAC.
 */
export interface SwimSimulationOptions {
  readonly nodes: number;
  readonly durationMs: number;
  /** Random loss per datagram, 0..1. */
  readonly loss: number;
  readonly seed?: number;
  readonly tuning?: Partial<SwimTuning>;
  /** One-way latency: base plus an exponential tail with this mean. Default 0.2 ms + 0.3 ms. */
  readonly latencyMs?: { readonly base: number; readonly jitterMean: number };
  /**
   * Event-loop stalls: each member stalls for `durationMs` (or, with `maxDurationMs`, a uniform random
   * length between the two) at Poisson times with this mean gap.
   */
  readonly stalls?: { readonly meanGapMs: number; readonly durationMs: number; readonly maxDurationMs?: number };
  /**
   * What a member does first on waking from a stall. `drainFirst` (default): handle every datagram that
   * queued, then judge (tick) — what the adapter's setImmediate gives when the stall ends before its timer
   * fires. `judgeFirst`: tick, then handle the queue — the adapter's order when its timer had already
   * fired and queued the tick before the stall began (the tick runs in the same loop turn, before the
   * socket is read again).
   */
  readonly wakeOrder?: 'drainFirst' | 'judgeFirst';
  /** Crash one random member every `everyMs` (after `warmupMs`), restart it (new incarnation) after `restartAfterMs`. */
  readonly crashes?: { readonly everyMs: number; readonly restartAfterMs?: number };
  /**
   * One random member leaves on purpose every `everyMs` (after warmup): sends `copies` Leave notices
   * (SwimMember.leave, default 3) and stops; restarts with a new incarnation after `restartAfterMs`.
   */
  readonly leaves?: { readonly everyMs: number; readonly restartAfterMs?: number; readonly copies?: number };
  /** Cut `fraction` of the members off from the rest at `atMs` for `durationMs`. */
  readonly partition?: { readonly fraction: number; readonly atMs: number; readonly durationMs: number };
  /** `count` members whose links drop everything for `downMs` of every `periodMs`. */
  readonly flapping?: { readonly count: number; readonly downMs: number; readonly periodMs: number };
  /** Figures ignore the first `warmupMs` (every member starting at once). Default 2 s. */
  readonly warmupMs?: number;
  /** Turns a message into what the receiver decodes (encode + sign + verify + decode), or undefined to drop. */
  readonly wire?: (message: SwimMessage) => SwimMessage | undefined;
  /** Called on every Dead declaration (for investigating a run). */
  readonly onDeclare?: (d: { atMs: number; by: string; node: string; running: boolean; cut: boolean; crashedAtMs?: number; byWokeAtMs: number; nodeWokeAtMs: number }) => void;
  /** Called on every datagram sent after warmup, delivered or not (for finding hot spots in a run). */
  readonly onSend?: (d: { atMs: number; from: string; to: string; message: SwimMessage; delivered: boolean }) => void;
  /** Called at every heal check (every 50 ms after a partition heals, until views agree): for watching a heal. */
  readonly onHealCheck?: (d: { atMs: number; members: readonly (SwimMember | undefined)[]; cut: ReadonlySet<number> }) => void;
}

export interface SwimSimulationResult {
  readonly nodes: number;
  readonly simulatedMs: number;
  readonly loss: number;
  readonly crashes: number;
  /** Crash → first Dead declaration by any member, ms. */
  readonly detectionMs: readonly number[];
  /** Crash → each live member marking it dead, ms (the new owner is one of them). */
  readonly learnMs: readonly number[];
  /** Crash → the last live member marking it dead, ms (undefined entries: not everyone learnt in time). */
  readonly convergenceMs: readonly number[];
  readonly crashesNotConverged: number;
  /** Dead declarations about members that were running and reachable (each member/version once). */
  readonly falseDeaths: number;
  /** Same, for members inside a partition or behind a flapping link (expected to die when cut long enough). */
  readonly cutDeaths: number;
  /**
   * Of falseDeaths, those declared by a member that had woken from a stall of its own less than
   * probeTimeout × maxHealthMultiplier before (its judgement overlapped its stall).
   */
  readonly falseDeathsByStalled: number;
  readonly stalls: number;
  /** Datagrams per member per second over the measured window (after warmup): mean and max over members. */
  readonly sentPerNodePerSec: { readonly mean: number; readonly max: number };
  readonly receivedPerNodePerSec: { readonly mean: number; readonly max: number };
  /** The busiest one-second window of any member (sent + received), after warmup. */
  readonly peakPerNodePerSec: number;
  /** The most datagrams any member sent, and the most any member received, in one second (after warmup). */
  readonly peakSentPerNodePerSec: number;
  readonly peakReceivedPerNodePerSec: number;
  /** Members that left on purpose (`leaves`). */
  readonly leaves: number;
  /** Dead declarations about a member that had left, and members that ever held one dead (both should be 0). */
  readonly leaveDeathsDeclared: number;
  readonly leaveDeathsSeen: number;
  /** Leave → the last running member holding it Left, ms. */
  readonly leaveConvergenceMs: readonly number[];
  /** Leaves some running member did not hold Left before the member restarted (or the run ended). */
  readonly leavesNotConverged: number;
  /** At the end: (member, running member) pairs where the first does not hold the second alive. */
  readonly notAliveAtEnd: number;
  /** After a partition heals: time until every member holds every running member alive, ms. */
  readonly partitionHealMs?: number;
  readonly messagesByType: Readonly<Record<string, number>>;
}

interface Sim {
  member: SwimMember;
  state: NodeState;
  running: boolean;
  stalledUntil: number;
  wokeAt: number;
  queue: SwimMessage[];
  tickAt: number;
  tickGen: number;
  sent: number;
  received: number;
  windowStart: number;
  windowCount: number;
  windowSent: number;
  windowReceived: number;
}

type Event =
  | { t: number; seq: number; kind: 'deliver'; to: number; message: SwimMessage }
  | { t: number; seq: number; kind: 'tick'; node: number; gen: number }
  | { t: number; seq: number; kind: 'wake'; node: number }
  | { t: number; seq: number; kind: 'stall'; node: number }
  | { t: number; seq: number; kind: 'crash' }
  | { t: number; seq: number; kind: 'leave' }
  | { t: number; seq: number; kind: 'restart'; node: number };

/** A binary min-heap on (t, seq). */
class EventQueue {
  private readonly heap: Event[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }
  pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
      if (less(last, h[c]!)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
const less = (a: Event, b: Event): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

const nodeName = (i: number): string => `node-${i}`;
const nodeIndex = (name: string): number => Number(name.slice(5));

export function runSwimSimulation(o: SwimSimulationOptions): SwimSimulationResult {
  const rnd = new SeededRandom(o.seed ?? 1);
  const warmup = o.warmupMs ?? 2000;
  const lat = o.latencyMs ?? { base: 0.2, jitterMean: 0.3 };
  const q = new EventQueue();
  let seq = 0;
  const at = (e: DistributiveOmit<Event, 'seq'>) => q.push({ ...e, seq: seq++ } as Event);
  const exp = (mean: number) => -Math.log(1 - rnd.next()) * mean;

  const initialState = (i: number, incarnation: number): NodeState => ({
    node: nodeName(i),
    incarnation,
    version: 1,
    draining: false,
    ready: true,
    interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'], mac: `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}` }],
    announcing: [],
    address: `2001:db8::${(i + 1).toString(16)}`,
    port: 7947,
  });
  const makeMember = (i: number, incarnation: number, nowMs: number) =>
    new SwimMember({
      self: { node: nodeName(i), incarnation, address: `2001:db8::${(i + 1).toString(16)}`, port: 7947 },
      local: { draining: false, ready: true, interfaces: initialState(i, incarnation).interfaces, announcing: [] },
      ...(o.tuning ? { tuning: o.tuning } : {}),
      seed: (o.seed ?? 1) * 7919 + i * 104729 + incarnation,
      nowMs,
    });

  const states = Array.from({ length: o.nodes }, (_, i) => initialState(i, 1));
  const everyone = new RingOrder(states.map((s) => s.node));
  const sims: Sim[] = states.map((state, i) => {
    const member = makeMember(i, 1, 0);
    member.learnAll(states, 0, everyone);
    return { member, state, running: true, stalledUntil: 0, wokeAt: -Infinity, queue: [], tickAt: Infinity, tickGen: 0, sent: 0, received: 0, windowStart: warmup, windowCount: 0, windowSent: 0, windowReceived: 0 };
  });

  // Partition and flapping: which members are cut off, as a function of time.
  const partitioned = new Set<number>();
  if (o.partition) while (partitioned.size < Math.max(1, Math.round(o.partition.fraction * o.nodes))) partitioned.add(rnd.below(o.nodes));
  const flappers = new Set<number>();
  if (o.flapping) while (flappers.size < Math.min(o.nodes, o.flapping.count)) flappers.add(rnd.below(o.nodes));
  const flapPhase = new Map([...flappers].map((f) => [f, rnd.next() * (o.flapping?.periodMs ?? 1)]));
  const partitionActive = (t: number) => o.partition !== undefined && t >= o.partition.atMs && t < o.partition.atMs + o.partition.durationMs;
  const linkDown = (i: number, t: number) => o.flapping !== undefined && flappers.has(i) && (t + flapPhase.get(i)!) % o.flapping.periodMs < o.flapping.downMs;
  const cutAt = (i: number, t: number) => (partitionActive(t) && partitioned.has(i)) || linkDown(i, t);
  /** Cut off at any time during the last suspicion + probe window (with local-health stretch). */
  const suspicionWindow = (o.tuning?.suspectAfterMs ?? 350) + 2 * (o.tuning?.probeTimeoutMs ?? 200) + 100;
  const cutOff = (i: number, t: number) => {
    for (let x = t; x >= t - suspicionWindow; x -= 10) if (cutAt(i, x)) return true;
    return false;
  };
  const partitionRecent = (t: number) => partitionActive(t) || partitionActive(t - suspicionWindow);
  const canReach = (a: number, b: number, t: number) => {
    if (linkDown(a, t) || linkDown(b, t)) return false;
    return !partitionActive(t) || partitioned.has(a) === partitioned.has(b);
  };

  const byType: Record<string, number> = {};
  const detection: number[] = [];
  const learn: number[] = [];
  const convergence: number[] = [];
  let notConverged = 0;
  let crashes = 0;
  let stalls = 0;
  const falseDeaths = new Set<string>();
  const cutDeaths = new Set<string>();
  const falseByStalled = new Set<string>();
  const stalledJudgementMs = (o.tuning?.probeTimeoutMs ?? DEFAULT_SWIM_TUNING.probeTimeoutMs) * (o.tuning?.maxHealthMultiplier ?? DEFAULT_SWIM_TUNING.maxHealthMultiplier);
  /** Open crashes: victim → crash time, first detection, who has learnt. */
  const open = new Map<number, { t: number; detected?: number; learnt: Set<number>; alive: number }>();
  /** Open leaves: leaver → leave time, who holds it Left, who ever held it dead. */
  const departed = new Map<number, { t: number; learnt: Set<number>; alive: number }>();
  const leaveConvergence: number[] = [];
  let leaves = 0;
  let leavesNotConverged = 0;
  let leaveDeathsDeclared = 0;
  const leaveDeathsSeen = new Set<string>();
  const hasLeft = new Set<number>();

  const count = (s: Sim, t: number, sent: boolean) => {
    if (t < warmup) return;
    if (t - s.windowStart >= 1000) {
      closeWindow(s);
      s.windowStart = t - ((t - warmup) % 1000);
    }
    s.windowCount++;
    if (sent) s.windowSent++;
    else s.windowReceived++;
  };
  const closeWindow = (s: Sim) => {
    peak = Math.max(peak, s.windowCount);
    peakSent = Math.max(peakSent, s.windowSent);
    peakReceived = Math.max(peakReceived, s.windowReceived);
    s.windowCount = s.windowSent = s.windowReceived = 0;
  };
  let peak = 0;
  let peakSent = 0;
  let peakReceived = 0;

  const send = (from: number, out: readonly { to: string; message: SwimMessage }[], t: number) => {
    const s = sims[from]!;
    for (const { to, message } of out) {
      if (t >= warmup) {
        s.sent++;
        byType[message.type] = (byType[message.type] ?? 0) + 1;
      }
      count(s, t, true);
      const dest = nodeIndex(to);
      if (!(dest >= 0 && dest < o.nodes)) continue;
      const lost = rnd.next() < o.loss || !canReach(from, dest, t);
      if (o.onSend && t >= warmup) o.onSend({ atMs: t, from: nodeName(from), to, message, delivered: !lost });
      if (lost) continue;
      const m = o.wire ? o.wire(message) : message;
      if (m) at({ t: t + lat.base + exp(lat.jitterMean), kind: 'deliver', to: dest, message: m });
    }
  };

  const noteDeaths = (i: number, t: number) => {
    for (const [v, c] of departed) {
      const st = sims[i]!.member.status(nodeName(v));
      if (st === 'dead') leaveDeathsSeen.add(`${i}>${v}`);
      if (st !== 'left' || c.learnt.has(i)) continue;
      c.learnt.add(i);
      if (c.learnt.size >= c.alive) {
        leaveConvergence.push(t - c.t);
        departed.delete(v);
      }
    }
    // Cheap: only open crashes are checked, and only for a member whose view just changed.
    for (const [victim, c] of open) {
      if (c.learnt.has(i) || sims[i]!.member.status(nodeName(victim)) !== 'dead') continue;
      c.learnt.add(i);
      learn.push(t - c.t);
      if (c.learnt.size >= c.alive) {
        convergence.push(t - c.t);
        open.delete(victim);
      }
    }
  };

  const schedule = (i: number) => {
    const s = sims[i]!;
    if (!s.running) return;
    const d = s.member.nextDeadline();
    if (d === s.tickAt) return;
    s.tickAt = d;
    at({ t: Math.max(d, s.stalledUntil), kind: 'tick', node: i, gen: ++s.tickGen });
  };

  const deliver = (i: number, m: SwimMessage, t: number) => {
    const s = sims[i]!;
    if (t >= warmup) s.received++;
    count(s, t, false);
    const r = s.member.receive(m, t);
    send(i, r.out, t);
    if (r.changed) noteDeaths(i, t);
  };

  const tick = (i: number, t: number) => {
    const s = sims[i]!;
    const r = s.member.tick(t);
    send(i, r.out, t);
    for (const { node: d, incarnation, version } of r.declared) {
      const v = nodeIndex(d);
      if (hasLeft.has(v) && !sims[v]!.running) leaveDeathsDeclared++;
      const c = open.get(v);
      if (c && c.detected === undefined) {
        c.detected = t;
        detection.push(t - c.t);
      }
      o.onDeclare?.({ atMs: t, by: nodeName(i), node: d, running: sims[v]!.running, cut: cutOff(v, t) || cutOff(i, t) || partitionRecent(t), ...(c ? { crashedAtMs: c.t } : {}), byWokeAtMs: s.wokeAt, nodeWokeAtMs: sims[v]!.wokeAt });
      if (sims[v]!.running) {
        // Several monitors may declare the same death: count each (node, incarnation, version) once.
        const key = `${d}@${incarnation}/${version}`;
        const cut = cutOff(v, t) || cutOff(i, t) || partitionRecent(t);
        (cut ? cutDeaths : falseDeaths).add(key);
        if (!cut && t - s.wokeAt < stalledJudgementMs) falseByStalled.add(key);
      }
    }
    if (r.changed) noteDeaths(i, t);
  };

  for (let i = 0; i < o.nodes; i++) schedule(i);
  if (o.stalls) for (let i = 0; i < o.nodes; i++) at({ t: exp(o.stalls.meanGapMs), kind: 'stall', node: i });
  if (o.crashes) for (let t = warmup + o.crashes.everyMs; t < o.durationMs - 1500; t += o.crashes.everyMs) at({ t, kind: 'crash' });
  if (o.leaves) for (let t = warmup + o.leaves.everyMs; t < o.durationMs - 1500 - (o.leaves.restartAfterMs ?? 0); t += o.leaves.everyMs) at({ t, kind: 'leave' });

  let healAt: number | undefined;
  let healedAt: number | undefined;
  const healCheckEvery = 50;
  let nextHealCheck = Infinity;
  if (o.partition) {
    healAt = o.partition.atMs + o.partition.durationMs;
    nextHealCheck = healAt;
  }

  for (;;) {
    const e = q.pop();
    if (!e || e.t > o.durationMs) break;
    const t = e.t;

    if (t >= nextHealCheck) {
      o.onHealCheck?.({ atMs: t, members: sims.map((s) => (s.running ? s.member : undefined)), cut: partitioned });
      const down = sims.filter((s) => !s.running).length;
      const allAlive = sims.every((s) => !s.running || s.member.deadCount === down);
      if (allAlive) {
        healedAt = t;
        nextHealCheck = Infinity;
      } else nextHealCheck = t + healCheckEvery;
    }
    switch (e.kind) {
      case 'deliver': {
        const s = sims[e.to]!;
        if (!s.running) break;
        if (t < s.stalledUntil) s.queue.push(e.message);
        else deliver(e.to, e.message, t);
        schedule(e.to);
        break;
      }
      case 'tick': {
        const s = sims[e.node]!;
        if (!s.running || e.gen !== s.tickGen || t < s.stalledUntil) break;
        s.tickAt = Infinity;
        tick(e.node, t);
        schedule(e.node);
        break;
      }
      case 'stall': {
        const s = sims[e.node]!;
        if (o.stalls) at({ t: t + o.stalls.durationMs + exp(o.stalls.meanGapMs), kind: 'stall', node: e.node });
        if (!s.running || t < s.stalledUntil) break;
        if (t >= warmup) stalls++;
        const { durationMs, maxDurationMs } = o.stalls!;
        s.stalledUntil = t + (maxDurationMs === undefined ? durationMs : durationMs + rnd.next() * (maxDurationMs - durationMs));
        at({ t: s.stalledUntil, kind: 'wake', node: e.node });
        break;
      }
      case 'wake': {
        const s = sims[e.node]!;
        if (!s.running) break;
        s.wokeAt = t;
        s.tickAt = Infinity;
        if (o.wakeOrder === 'judgeFirst' && s.member.nextDeadline() <= t) tick(e.node, t);
        // What the adapter does: drain every datagram that queued during the stall, then judge (tick).
        const queued = s.queue;
        s.queue = [];
        for (const m of queued) deliver(e.node, m, t);
        if (s.member.nextDeadline() <= t) tick(e.node, t);
        schedule(e.node);
        break;
      }
      case 'crash': {
        let v = rnd.below(o.nodes);
        for (let tries = 0; (!sims[v]!.running || open.has(v) || partitioned.has(v) || flappers.has(v)) && tries < 100; tries++) v = rnd.below(o.nodes);
        const s = sims[v]!;
        if (!s.running) break;
        s.running = false;
        s.queue = [];
        crashes++;
        open.set(v, { t, learnt: new Set(), alive: sims.filter((x) => x.running).length });
        if (o.crashes?.restartAfterMs !== undefined) at({ t: t + o.crashes.restartAfterMs, kind: 'restart', node: v });
        break;
      }
      case 'leave': {
        let v = rnd.below(o.nodes);
        for (let tries = 0; (!sims[v]!.running || open.has(v) || departed.has(v) || partitioned.has(v) || flappers.has(v)) && tries < 100; tries++) v = rnd.below(o.nodes);
        const s = sims[v]!;
        if (!s.running || departed.has(v)) break;
        for (let k = 0; k < (o.leaves!.copies ?? 3); k++) send(v, s.member.leave(), t);
        s.running = false;
        s.queue = [];
        leaves++;
        hasLeft.add(v);
        departed.set(v, { t, learnt: new Set(), alive: sims.filter((x) => x.running).length });
        if (o.leaves!.restartAfterMs !== undefined) at({ t: t + o.leaves!.restartAfterMs, kind: 'restart', node: v });
        break;
      }
      case 'restart': {
        const s = sims[e.node]!;
        const c = open.get(e.node);
        if (c) {
          notConverged++;
          open.delete(e.node);
        }
        if (departed.delete(e.node)) leavesNotConverged++;
        hasLeft.delete(e.node);
        // A new process: new incarnation, knows the others from their Leases, which carry each one's
        // current incarnation (a bootstrap at the first incarnations would have it hold a restarted peer
        // at its old incarnation until that peer's State reaches it). A member that left deleted its Lease.
        const incarnation = Math.floor(t) + 2;
        s.state = initialState(e.node, incarnation);
        s.member = makeMember(e.node, incarnation, t);
        s.member.learnAll(sims.filter((x, j) => x.running || j === e.node || !hasLeft.has(j)).map((x) => x.state), t, everyone);
        s.running = true;
        s.stalledUntil = 0;
        s.tickAt = Infinity;
        send(e.node, s.member.join(t), t);
        schedule(e.node);
        break;
      }
    }
  }
  notConverged += open.size;
  leavesNotConverged += departed.size;
  let notAliveAtEnd = 0;
  for (const a of sims) if (a.running) for (const b of sims) if (b !== a && b.running && !['alive', 'suspect'].includes(a.member.status(b.state.node) ?? 'unknown')) notAliveAtEnd++;

  const measuredSec = Math.max(1e-9, (o.durationMs - warmup) / 1000);
  const rates = (f: (s: Sim) => number) => {
    const v = sims.map((s) => f(s) / measuredSec);
    return { mean: round(v.reduce((a, b) => a + b, 0) / v.length), max: round(Math.max(...v)) };
  };
  for (const s of sims) closeWindow(s);
  return {
    nodes: o.nodes,
    simulatedMs: o.durationMs,
    loss: o.loss,
    crashes,
    detectionMs: detection,
    learnMs: learn,
    convergenceMs: convergence,
    crashesNotConverged: notConverged,
    falseDeaths: falseDeaths.size,
    cutDeaths: cutDeaths.size,
    falseDeathsByStalled: falseByStalled.size,
    stalls,
    sentPerNodePerSec: rates((s) => s.sent),
    receivedPerNodePerSec: rates((s) => s.received),
    peakPerNodePerSec: peak,
    peakSentPerNodePerSec: peakSent,
    peakReceivedPerNodePerSec: peakReceived,
    leaves,
    leaveDeathsDeclared,
    leaveDeathsSeen: leaveDeathsSeen.size,
    leaveConvergenceMs: leaveConvergence,
    leavesNotConverged,
    notAliveAtEnd,
    ...(healAt !== undefined && healedAt !== undefined ? { partitionHealMs: round(healedAt - healAt) } : {}),
    messagesByType: byType,
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const round = (x: number): number => Math.round(x * 10) / 10;
