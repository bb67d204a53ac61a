import { plainDataEqual } from '../plainDataEqual.js';
import { HEARTBEAT_MAX_PAYLOAD, type HeartbeatInterface } from './heartbeat.js';
import { heartbeatHeardAt, type OwnStall } from './heartbeatHeardAt.js';
import { deadlineAfterStall, HEALTHY, localHealthMultiplier, raiseLocalHealth, silenceAfterStall, type LocalHealth, type LocalHealthSignal } from './localHealth.js';
import { compareText, type MembershipView, type PeerView } from './membershipView.js';
import { ReplayWindow } from './replayWindow.js';
import { RoundTripProbes } from './roundTripProbes.js';
import { RingOrder, ringHash } from './ringOrder.js';
import { SeededRandom } from './seededRandom.js';
import { judgeLeave } from './leaveNotice.js';
import { envelopeBytes, noticeBytes } from './swimCodec.js';
import { noticeNode, type LeftNotice, type NodeState, type Notice, type SwimMessage } from './swimMessage.js';

/** Tunables; the defaults are the ones docs/adr/0012-scalable-membership.md argues for. */
export interface SwimTuning {
  /** Heartbeat period. Default 100 ms. */
  readonly intervalMs: number;
  /** Ring successors each node heartbeats (= monitors per node). Default 3. */
  readonly monitors: number;
  /** Silence from an expected sender before it is suspected and probed. Default 350 ms. */
  readonly suspectAfterMs: number;
  /**
   * How long a suspicion waits for an Ack (direct or relayed) before declaring death. Default 200 ms.
   * suspectAfter + probeTimeout bounds the event-loop stall a member survives: a stall of D right after a
   * heartbeat is silence of up to D + interval, so 550 ms survives 400 ms stalls with 50 ms to spare
   * (300 + 225 was tried and lost members to 400 ms stalls at N = 5,000: ADR 0012).
   */
  readonly probeTimeoutMs: number;
  /** Helpers asked to probe a suspect on our behalf. Default 3. */
  readonly probeHelpers: number;
  /** Random members a Dead notice or a refutation is pushed to on first receipt. Default 6. */
  readonly urgentFanout: number;
  /** Random members a batch of state changes is pushed to. Default 3. */
  readonly stateFanout: number;
  /** State changes learnt within this window leave in one push. Default 20 ms. */
  readonly gossipBatchMs: number;
  /**
   * Push datagrams a member may send per second, on average (token bucket, burst of 2 × urgentFanout; a
   * push is one datagram per target, so no second sees more than this plus the burst). Notices learnt
   * beyond it wait and leave together in the next push, freshest first, so a burst of news (a healed
   * partition: every member refutes at once) costs few datagrams with many notices each. Default 15.
   */
  readonly pushesPerSecond: number;
  /** Heartbeat rounds a fresh notice rides along (to every successor). Default 3. */
  readonly piggybackRounds: number;
  /** One random member believed dead gets its own death notice this often (partition heal). Default 1 s. */
  readonly deadProbeIntervalMs: number;
  /**
   * Anti-entropy: while this member holds anyone dead, it asks one random live member this often for what
   * it knows of them (a SyncRequest naming as many of its dead as fit one datagram, in turn). A healed
   * partition then converges by pull, in a few datagrams per member, instead of every refutation being
   * pushed to everyone; a member that holds nobody dead sends nothing. Default 1 s.
   */
  readonly antiEntropyIntervalMs: number;
  /** Lateness of our own timers that counts as an event-loop stall (Lifeguard local health). Default 50 ms. */
  readonly stallThresholdMs: number;
  /** Local health decays by one step after this long without a signal (localHealth.ts). Default 1 s. */
  readonly healthDecayMs: number;
  /**
   * Largest local-health multiplier on probeTimeout. Default 2: a member that keeps stalling waits up to
   * twice as long for Acks; suspectAfter is not stretched (silence slept through is already forgiven, and
   * a crash must still be caught by the other, healthy monitors in time).
   */
  readonly maxHealthMultiplier: number;
  /**
   * Version-2 heartbeats are one-way, so they give no round trip: this often a member sends one Probe to
   * the next of its ring predecessors in turn and times the Ack (one datagram each way a second, at any
   * N). 0 turns it off. Default 1 s.
   */
  readonly roundTripIntervalMs: number;
  /**
   * A ring predecessor alive (through probes or its other monitors) whose heartbeats have not reached us
   * for this long is shown `heartbeatsMissing` in the view (heartbeat health), not declared dead. Longer
   * than a ring change takes to reach everyone, so views that differ for a moment flag nobody. Default 2 s.
   */
  readonly heartbeatsMissingAfterMs: number;
}

export const DEFAULT_SWIM_TUNING: SwimTuning = {
  intervalMs: 100,
  monitors: 3,
  suspectAfterMs: 350,
  probeTimeoutMs: 200,
  probeHelpers: 3,
  urgentFanout: 6,
  stateFanout: 3,
  gossipBatchMs: 20,
  pushesPerSecond: 15,
  piggybackRounds: 3,
  deadProbeIntervalMs: 1000,
  antiEntropyIntervalMs: 1000,
  stallThresholdMs: 50,
  healthDecayMs: 1000,
  maxHealthMultiplier: 2,
  roundTripIntervalMs: 1000,
  heartbeatsMissingAfterMs: 2000,
};

/**
 * The failure-detection timings for a heartbeat period other than the default (`--heartbeat-interval`):
 * suspectAfter and probeTimeout keep their ratio to the period, so a slower period means proportionally
 * slower but equally loss- and stall-tolerant detection (measured in intervals, not milliseconds). With
 * fixed 350/200 ms a 400 ms period could not start (suspectAfter must exceed the interval) and a 200 ms
 * one suspected a peer after a single lost heartbeat.
 */
export function swimTimingsForInterval(intervalMs: number): Pick<SwimTuning, 'intervalMs' | 'suspectAfterMs' | 'probeTimeoutMs'> {
  const d = DEFAULT_SWIM_TUNING;
  const scale = intervalMs / d.intervalMs;
  return { intervalMs, suspectAfterMs: d.suspectAfterMs * scale, probeTimeoutMs: d.probeTimeoutMs * scale };
}

/** What this node publishes about itself; a change is disseminated as a new State version. */
export interface SwimLocalState {
  readonly draining: boolean;
  readonly ready: boolean;
  readonly interfaces: readonly HeartbeatInterface[];
  readonly announcing: readonly string[];
}

export interface SwimMemberOptions {
  readonly self: { readonly node: string; readonly incarnation: number; readonly address: string; readonly port: number };
  readonly local: SwimLocalState;
  readonly tuning?: Partial<SwimTuning>;
  /** Seeds the random choices (gossip targets, helpers). Default: from the node name and incarnation. */
  readonly seed?: number;
  readonly nowMs: number;
}

/** One datagram to send: the adapter looks the address up with `addressOf(to)`, signs and sends it. */
export interface Outbound {
  readonly to: string;
  readonly message: SwimMessage;
}

/** Why a received message was not believed (counted by the adapter, like heartbeat rejections). */
export type SwimDropReason = 'FromSelf' | 'Replay' | 'StaleIncarnation';

export interface SwimReceived {
  readonly out: Outbound[];
  readonly dropped?: SwimDropReason;
  /** Whether view() changed in a way diffViews reports (liveness or published state). */
  readonly changed: boolean;
  /** The message was the Ack of one of our round-trip probes: the round trip it measured. */
  readonly rttSampleMs?: number;
}

export interface SwimTicked {
  readonly out: Outbound[];
  readonly changed: boolean;
  /** Deaths this member declared in this tick, at the (incarnation, version) declared. */
  readonly declared: readonly { readonly node: string; readonly incarnation: number; readonly version: number }[];
}

/** Shared immutable record per node (the same object may sit in many members' tables in a simulation). */
interface Entry {
  readonly state: NodeState;
  /** Set while the node is dead: the (incarnation, version) the death was declared at is `state`'s. */
  readonly dead?: { readonly version: number; readonly by: string };
  /** Set once the node has left on purpose, at `state`'s (incarnation, version) (leaveNotice.ts). */
  readonly left?: true;
}

/** Dead or Left: either way held down, so a State must be newer to bring the node back. */
const heldDown = (e: Entry): boolean => e.dead !== undefined || e.left !== undefined;

interface Suspicion {
  readonly id: number;
  readonly deadline: number;
  /** Its deadline was moved past a stall of ours once already (deadlineAfterStall). */
  readonly graced?: boolean;
}

interface Relay {
  readonly origins: string[];
  readonly expires: number;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * One immutable Entry per State object, so that many members holding the same state (a simulation of
 * thousands of members in one process) share it. A memo of immutable values: no behaviour depends on it.
 */
const ENTRIES = new WeakMap<NodeState, Entry>();
function entryOf(state: NodeState): Entry {
  let e = ENTRIES.get(state);
  if (!e) {
    e = { state };
    ENTRIES.set(state, e);
  }
  return e;
}

/** Orders notices about one node: larger wins; at equal (incarnation, version) Dead beats State. */
function compareKey(aInc: number, aVer: number, aDead: boolean, bInc: number, bVer: number, bDead: boolean): number {
  if (aInc !== bInc) return aInc - bInc;
  if (aVer !== bVer) return aVer - bVer;
  return (aDead ? 1 : 0) - (bDead ? 1 : 0);
}

const normalInterfaces = (list: readonly HeartbeatInterface[]): HeartbeatInterface[] =>
  list.map((i) => ({ name: i.name, subnets: [...i.subnets].sort(compareText), ...(i.mac === undefined ? {} : { mac: i.mac }) })).sort((a, b) => compareText(a.name, b.name));

/** Without building strings: the announced list can hold thousands of addresses, published up to 10 times a second. */
const sameLocal = (a: SwimLocalState, b: SwimLocalState): boolean =>
  a.draining === b.draining && a.ready === b.ready && plainDataEqual(a.interfaces, b.interfaces) && plainDataEqual(a.announcing, b.announcing);

/** Dead members told of their death per deadProbeInterval, at most (bounds the cost after a partition). */
const MAX_DEAD_PROBES = 10;
const STRAY_AFTER_MS = 5_000;
/**
 * A node held dead is told of its death by this member at most this often. Not shorter: after a heal
 * many members each hold a few nodes dead, and at 500 ms every one of them told the same node twice a
 * second — at N = 5,000 one member received 247 datagrams in a second (96 at 1,000 ms).
 */
const TELL_AGAIN_AFTER_MS = 1_000;
/**
 * The same for a tell prompted by a pull's reply: once per 1 s pull round, less a slack for the round's
 * jitter. At 1,000 ms the next round's reply, arriving a fraction of a millisecond either side of a second
 * after the last tell, was refused at 999.x ms, so a lost tell cost a straggler two rounds (N = 2,000, seed
 * 11: the heal's last pair, told 2 s after the heal, the tell lost, the next reply 998.9 ms later refused,
 * still dead 4 s after the heal). Only for replies (one a round, and the retry of a lost pull 250 ms later
 * still cannot tell twice): datagrams from the node arrive at any time, and at 950 ms for them too a
 * holder could tell twice in one second (N = 2,000: busiest received member-second 118).
 */
const TELL_AGAIN_AFTER_REPLY_MS = 950;
/** Nodes a SyncReply shows alive at the version we hold dead that we tell, per reply. */
const MAX_REPLY_TELLS = 10;
/** Direct "you are dead" tells plus answers to stale deaths a member sends per second, at most. */
const MAX_DIRECT_PER_SECOND = 12;
/**
 * Holders of a node dead that tell it so in one second, on average, through the paths every holder may
 * take at once (a SyncReply showing it unheard, a datagram from it that is not a heartbeat). One tell is
 * enough for it to refute; without the gate every holder tells it in the same second (a healed partition
 * of 5,000: ~900 tells a second to one member), and a stale tell costs the node an answer.
 */
const TELLERS_PER_SECOND = 20;
/** A death this recent may simply not have reached the replier yet: told through tellGate only. */
const FRESH_DEATH_MS = 1_000;
/** A pull with no reply after this long is asked of another member, once, while a heal is under way. */
const PULL_RETRY_MS = 250;
/**
 * A heal is under way while a node held dead came back this recently. Outside it a pull is not retried:
 * a crashed node stays dead everywhere, every reply leaves it out, and retries would double the steady
 * cost of holding it dead.
 */
const RETRY_PULL_WHILE_REVIVING_MS = 3_000;
/** SyncReply datagrams a member sends per second to named requests, at most (a join's full reply is not capped). */
const MAX_REPLIES_PER_SECOND = 8;
/** Notices waiting for a push, at most (the oldest make room; the pull and the heartbeats carry the rest). */
const MAX_PENDING_PUSH = 8192;
/** Notices waiting to ride heartbeats, at most (the oldest make room). */
const MAX_PIGGYBACK = 256;

/** Room for notices in one datagram: the payload limit minus the envelope, with slack for a long name. */
const NOTICE_BUDGET = HEARTBEAT_MAX_PAYLOAD - 300;

/**
 * SWIM/Lifeguard-style membership for one node, pure: messages and `nowMs` in, messages to send and the
 * next deadline out (docs/adr/0012-scalable-membership.md).
 *
 * - Every `intervalMs` the node heartbeats its `monitors` ring successors; it expects heartbeats from its
 *   ring predecessors. Per-node traffic is therefore constant in N.
 * - An expected sender silent for `suspectAfterMs` is suspected: probed directly and through
 *   `probeHelpers` random members. An Ack (or any datagram from it) clears the suspicion; none within
 *   `probeTimeoutMs` declares it Dead at the (incarnation, version) last known.
 * - Dead notices and refutations are pushed at once to `urgentFanout` random members, state changes in
 *   batches to `stateFanout`; every fresh notice also rides the next `piggybackRounds` heartbeats, which
 *   reach any member the random pushes missed within one interval (its ring predecessors heard it).
 * - A member that learns of its own death at its current version refutes it with a higher version.
 * - Local health (Lifeguard, localHealth.ts): when our own timers ran late (an event-loop stall) or we
 *   were declared dead, probeTimeout is stretched for a while; silence we slept through restarts and a
 *   suspicion we slept through is judged only after what queued meanwhile is read, so a monitor that was
 *   frozen does not blame its peers.
 */
export class SwimMember {
  readonly tuning: SwimTuning;
  private readonly node: string;
  private readonly incarnation: number;
  private selfState: NodeState;
  private readonly table = new Map<string, Entry>();
  private ring: RingOrder;
  private readonly random: SeededRandom;
  private sequence = 0;
  private probeSeq = 0;
  /** Expected senders (ring predecessors) and when we last heard each. */
  private expected = new Map<string, number>();
  private readonly ackOnly = new Map<string, number>();
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly relays = new Map<string, Relay>();
  private readonly windows = new Map<string, { incarnation: number; window: ReplayWindow }>();
  /** The largest version a node's own datagrams have shown (may be ahead of its State we hold). */
  private readonly heardVersion = new Map<string, number>();
  /** A member answered one of our datagrams in this incarnation (see `reached`). */
  private answered = false;
  /** When each node's last heartbeat shows it alive (heartbeatHeardAt): the evidence our vouches give. */
  private readonly lastHeardAt = new Map<string, number>();
  private readonly syncAsked = new Map<string, number>();
  private readonly deadNodes = new Set<string>();
  private readonly toldDead = new Map<string, number>();
  /** Notices riding the next heartbeats; `revival`: it overturns a death (see pendingRevivals). */
  private readonly piggyback = new Map<string, { notice: Notice; left: number; revival: boolean }>();
  /** News waiting for the next push, newest notice per node (a Map: thousands arrive at a partition heal). */
  private pendingPush = new Map<string, Notice>();
  /**
   * News that overturns a death we held (a refutation, a restart), waiting for the next push: it leaves
   * before any other news. The death it overturns was pushed urgently and is held by most members, and a
   * pull cannot fix it (the repliers hold the node dead too). Queued freshest-first behind a stream of
   * newer news it did not leave at all (swimMemberHeal.test.ts); at N = 5,000 ~4,940 members still held
   * refuted nodes dead 1.5 s after a heal.
   */
  private pendingRevivals = new Map<string, Notice>();
  private flushAt: number | undefined;
  private pushTokens: number;
  private deadCursor = 0;
  /** Where this member starts looking for a stray to tell, so that holders do not all pick the same one. */
  private readonly strayOffset: number;
  private readonly deadSince = new Map<string, number>();
  private pushTokensAt: number;
  private nextHeartbeatAt: number;
  private nextDeadProbeAt: number;
  private nextPullAt: number;
  private pullCursor = 0;
  /** The pull in flight while a heal is under way: retried elsewhere if no reply comes (pullRetry). */
  private pullPending: { readonly peer: string; readonly names: readonly string[]; readonly at: number } | undefined;
  /** When a node we held dead last came back (a heal or a restart is under way). */
  private lastRevivalAt = -Infinity;
  /** Members we sent our current State because they told us of a death at an older version. */
  private readonly staleAnswered = new Map<string, number>();
  /** Direct "you are dead" tells and stale-death answers sent in the current second (capped). */
  private directSent = 0;
  private directWindowAt = -Infinity;
  /** SyncReply datagrams to named requests sent in the current second (capped). */
  private repliesSent = 0;
  private repliesWindowAt = -Infinity;
  private dueAt: number | undefined;
  /** The last time receive or tick ran, and our last stall (heartbeats read after it are dated, not now). */
  private lastRunMs: number | undefined;
  private ownStall: OwnStall | undefined;
  private localHealth: LocalHealth = HEALTHY;
  private readonly healthSignals = new Map<LocalHealthSignal, number>();
  private readonly roundTrips: RoundTripProbes;
  /** Since when each current ring predecessor has been one (heartbeats from it are due from then). */
  private predecessorSince = new Map<string, number>();
  private nextRoundTripAt: number;
  /** Set by leave(): this member is stopping on purpose. */
  private leaving = false;
  /** Leaves learnt lately, repeated to our ring successors on the next heartbeats (like piggyback). */
  private readonly leaveNews = new Map<string, { notice: LeftNotice; left: number }>();
  /** Members told that a node they hold dead has left, and when (once a second per member). */
  private readonly leftAnswered = new Map<string, number>();
  /** Nodes recorded Left (pruned lazily by tellLeft when one comes back or is forgotten). */
  private readonly leftNodes = new Set<string>();

  constructor(o: SwimMemberOptions) {
    this.tuning = { ...DEFAULT_SWIM_TUNING, ...o.tuning };
    const t = this.tuning;
    if (!(t.intervalMs > 0) || !(t.suspectAfterMs > t.intervalMs) || !(t.probeTimeoutMs > 0)) {
      throw new RangeError(`SWIM tuning needs interval > 0, suspectAfter > interval and probeTimeout > 0 (interval ${t.intervalMs} ms, suspectAfter ${t.suspectAfterMs} ms, probeTimeout ${t.probeTimeoutMs} ms)`);
    }
    if (!Number.isInteger(t.monitors) || t.monitors < 1) throw new RangeError(`SWIM monitors must be a positive integer, not ${t.monitors}`);
    this.node = o.self.node;
    this.incarnation = o.self.incarnation;
    this.selfState = { node: this.node, incarnation: this.incarnation, version: 1, ...this.normal(o.local), address: o.self.address, port: o.self.port };
    this.ring = new RingOrder([this.node]);
    this.random = new SeededRandom(o.seed ?? (ringHash(this.node) ^ (this.incarnation % 0x7fffffff)));
    this.strayOffset = ringHash(this.node) >>> 0;
    // A random phase spreads every member's heartbeats over the interval.
    this.nextHeartbeatAt = o.nowMs + this.random.next() * t.intervalMs;
    this.nextDeadProbeAt = o.nowMs + t.deadProbeIntervalMs;
    this.nextPullAt = o.nowMs + t.antiEntropyIntervalMs;
    this.pushTokens = 2 * t.urgentFanout;
    this.pushTokensAt = o.nowMs;
    this.roundTrips = new RoundTripProbes({ timeoutMs: Math.max(t.roundTripIntervalMs, t.probeTimeoutMs) });
    this.nextRoundTripAt = o.nowMs + t.roundTripIntervalMs;
  }

  /** Whether probe `id` is one of our round-trip probes still in flight (not a suspicion's). */
  isRoundTripProbe(id: number): boolean {
    return this.roundTrips.has(id);
  }

  get self(): NodeState {
    return this.selfState;
  }

  /** Where to send datagrams for `node`, from the state it published (or a Lease). */
  addressOf(node: string): { address: string; port: number } | undefined {
    const s = node === this.node ? this.selfState : this.table.get(node)?.state;
    return s && s.address !== '' ? { address: s.address, port: s.port } : undefined;
  }

  /** alive / suspect / dead as this member judges it; undefined for a node it has never heard of. */
  status(node: string): 'alive' | 'suspect' | 'dead' | 'left' | undefined {
    if (node === this.node) return 'alive';
    const e = this.table.get(node);
    if (!e) return undefined;
    if (e.left) return 'left';
    if (e.dead) return 'dead';
    return this.suspicions.has(node) ? 'suspect' : 'alive';
  }

  /**
   * Local health now: what probe timeouts are multiplied by (1 = healthy) and how often each signal was
   * seen since start (for metrics and `explain`).
   */
  localHealthAt(nowMs: number): { readonly multiplier: number; readonly signals: Readonly<Partial<Record<LocalHealthSignal, number>>> } {
    return { multiplier: this.healthMultiplier(nowMs), signals: Object.fromEntries(this.healthSignals) };
  }

  /** How many known nodes this member holds dead. */
  get deadCount(): number {
    return this.deadNodes.size;
  }

  /** Nodes known (self excluded), so callers can iterate without building a view. */
  knownNodes(): IterableIterator<string> {
    return this.table.keys();
  }

  /** Ring successors this member heartbeats now. */
  successors(): string[] {
    return this.ring.successors(this.node, this.tuning.monitors);
  }

  /** Members this member expects heartbeats from now. */
  expectedSenders(): string[] {
    return [...this.expected.keys()];
  }

  /**
   * A node learnt from outside the protocol (its Lease, static configuration, a simulation's bootstrap):
   * taken as alive at that (incarnation, version) unless something newer is known. Not disseminated.
   */
  learn(state: NodeState, nowMs: number): boolean {
    return this.applyNotice({ kind: 'State', state }, nowMs);
  }

  /**
   * Many nodes learnt at once (a Lease list, a simulation's bootstrap): one sort instead of N inserts.
   * Same rules as `learn` for each. `ring`, if given, is a ring of exactly these nodes and this one,
   * already sorted: copied instead of sorting again.
   */
  learnAll(states: readonly NodeState[], nowMs: number, ring?: RingOrder): void {
    const fresh: string[] = [];
    for (const s of states) {
      if (s.node === this.node) continue;
      const cur = this.table.get(s.node);
      if (cur && compareKey(s.incarnation, s.version, false, cur.state.incarnation, cur.state.version, heldDown(cur)) <= 0) continue;
      this.table.set(s.node, entryOf(s));
      this.deadNodes.delete(s.node);
      this.deadSince.delete(s.node);
      fresh.push(s.node);
    }
    if (fresh.length === 0) return;
    if (ring && ring.size === fresh.length + 1 && this.ring.size === 1 && ring.has(this.node)) this.ring = RingOrder.copyOf(ring);
    else this.ring.insertAll(fresh);
    this.ringChanged(nowMs);
  }

  /** Joining: announce ourselves and ask one known member for everything (SyncRequest). */
  join(nowMs: number): Outbound[] {
    const out: Outbound[] = [];
    this.spread({ kind: 'State', state: this.selfState }, true, nowMs, out, undefined);
    const peer = this.randomAlive(1, new Set())[0];
    if (peer) out.push(this.to(peer, { type: 'SyncRequest', nodes: EMPTY }));
    return out;
  }

  /** Our own published state changed: a new version, pushed in the next batch and piggybacked. */
  setLocal(state: SwimLocalState, nowMs: number): Outbound[] {
    // Leaving: a newer version would bring us back to life in every view that holds us Left.
    if (this.leaving) return [];
    const next = this.normal(state);
    if (sameLocal(next, this.selfState)) return [];
    this.selfState = { ...this.selfState, ...next, version: this.selfState.version + 1 };
    const out: Outbound[] = [];
    this.spread({ kind: 'State', state: this.selfState }, false, nowMs, out, undefined);
    return out;
  }

  /**
   * This node stops on purpose (SIGTERM, after its drain): the Leave notice to send, at a version one
   * above everything it published, so that no death a peer declares from the silence that follows can
   * outrank it. Call it a few times (copies against loss); each call picks new random members besides the
   * ring successors (its monitors, who would otherwise declare it dead). From the first call on it neither
   * publishes new state nor refutes its death: either would bring it back to life in every view.
   */
  leave(): Outbound[] {
    if (!this.leaving) {
      this.leaving = true;
      this.selfState = { ...this.selfState, version: this.selfState.version + 1 };
    }
    const left: LeftNotice = { node: this.node, incarnation: this.incarnation, version: this.selfState.version };
    const successors = this.successors();
    const targets = [...successors, ...this.randomAlive(this.tuning.urgentFanout, new Set(successors))];
    return targets.map((t) => this.to(t, { type: 'Leave', left }));
  }

  receive(m: SwimMessage, nowMs: number): SwimReceived {
    this.noteClock(nowMs);
    const out: Outbound[] = [];
    if (m.from === this.node) return { out, dropped: m.incarnation === this.incarnation ? 'FromSelf' : 'StaleIncarnation', changed: false };
    const known = this.table.get(m.from);
    if (known && m.incarnation < known.state.incarnation) return { out, dropped: 'StaleIncarnation', changed: false };
    let w = this.windows.get(m.from);
    if (w && m.incarnation < w.incarnation) return { out, dropped: 'StaleIncarnation', changed: false };
    if (!w || m.incarnation > w.incarnation) {
      w = { incarnation: m.incarnation, window: new ReplayWindow() };
      this.windows.set(m.from, w);
    }
    if (!w.window.accept(m.sequence)) return { out, dropped: 'Replay', changed: false };

    let changed = false;
    let rttSampleMs: number | undefined;
    // Acks and SyncReplies are only ever sent in answer to a datagram of ours: it arrived. The merged view
    // judges peers differently from now on (mergeMembershipViews), so it counts as a change.
    if (!this.answered && (m.type === 'Ack' || m.type === 'SyncReply')) {
      this.answered = true;
      changed = true;
    }
    // Anything from a node proves it runs: clear its suspicion, reset its silence.
    this.heard(m.from, nowMs, m.type === 'Heartbeat');
    const version = m.type === 'Heartbeat' || (m.type === 'Ack' && m.target === m.from) ? m.version : undefined;
    if (version !== undefined && version > (this.heardVersion.get(m.from) ?? 0)) this.heardVersion.set(m.from, version);

    switch (m.type) {
      case 'Heartbeat':
      case 'Gossip':
        for (const n of m.notices) {
          const revives = n.kind === 'State' && this.table.get(n.state.node)?.dead !== undefined;
          if (this.applyNotice(n, nowMs, out, m.from)) {
            changed = true;
            this.spread(n, n.kind === 'Dead', nowMs, out, m.from, revives);
            // A death learnt from a peer may be one that leaked over a healed partition (a far-side Dead at
            // the version the node runs): it reaches everyone within a second, and the node heard of it only
            // when it reached one of the node's ring successors or at the next whole-second round. Its
            // tellers of this second (~TELLERS_PER_SECOND of N) tell it now, so it refutes early; a crashed
            // node costs those few datagrams once.
            if (n.kind === 'Dead' && n.node !== this.node && this.tellGate(n.node, nowMs)) this.tellDead(n.node, nowMs, out);
          }
        }
        break;
      case 'SyncReply': {
        if (this.pullPending?.peer === m.from) this.pullPending = undefined;
        // Old news for everyone else: applied, not passed on.
        const unheard: string[] = [];
        for (const n of m.notices) {
          if (this.applyNotice(n, nowMs, out, m.from)) changed = true;
          else if (n.kind === 'State' && this.deadAtSameVersion(n.state)) unheard.push(n.state.node);
        }
        // The replier holds alive, at the very version we hold dead, nodes we asked about: it has not
        // heard of the deaths, maybe because it hears the nodes (a healed partition). Tell a few so they
        // refute; a refutation comes straight back to us. A few picked at random, not the first ones: the
        // askers name their dead in much the same order and the replies list them in that order, so the
        // first of every reply would be told by every asker (hundreds of tells a second to one member).
        // Not all of them (mayTell): every holder pulls, and a node whose death is still spreading shows
        // unheard in most replies (at 5,000 members ~900 tells in one second to one node).
        const gated = unheard.filter((node) => this.mayTell(node, nowMs));
        unheard.length = 0;
        unheard.push(...gated);
        for (let told = 0; told < MAX_REPLY_TELLS && unheard.length > 0; ) {
          const i = this.random.below(unheard.length);
          const node = unheard[i]!;
          unheard[i] = unheard[unheard.length - 1]!;
          unheard.pop();
          if (this.tellDead(node, nowMs, out, TELL_AGAIN_AFTER_REPLY_MS)) told++;
        }
        break;
      }
      case 'Probe':
        if (m.target === this.node) out.push(this.to(m.from, { type: 'Ack', id: m.id, target: this.node, version: this.selfState.version, agoMs: 0 }));
        break;
      case 'ProbeRequest': {
        if (m.target === this.node) {
          out.push(this.to(m.from, { type: 'Ack', id: m.id, target: this.node, version: this.selfState.version, agoMs: 0 }));
          break;
        }
        // We watch it too and heard it recently: say when. A lost heartbeat or two on the asker's link
        // then does not count as silence (the node may be in a 300 ms stall right now, unable to answer).
        // (When a heartbeat really arrived: not the grace a new ring position or a stall of ours gives.)
        const heardAt = this.expected.has(m.target) ? this.lastHeardAt.get(m.target) : undefined;
        if (heardAt !== undefined && nowMs - heardAt < this.tuning.suspectAfterMs) {
          out.push(this.to(m.from, { type: 'Ack', id: m.id, target: m.target, version: this.heardVersion.get(m.target) ?? 0, agoMs: Math.max(1, nowMs - heardAt) }));
        }
        const key = `${m.target}#${m.id}`;
        const relay = this.relays.get(key);
        if (relay) relay.origins.push(m.from);
        else this.relays.set(key, { origins: [m.from], expires: nowMs + 4 * this.tuning.probeTimeoutMs });
        out.push(this.to(m.target, { type: 'Probe', id: m.id, target: m.target }));
        break;
      }
      case 'Ack': {
        const s = this.suspicions.get(m.target);
        if (s && s.id === m.id) this.clearSuspicion(m.target, nowMs - m.agoMs, true);
        if (m.target === m.from) rttSampleMs = this.roundTrips.acked(m.id, m.from, nowMs);
        if (m.target === m.from) {
          const key = `${m.target}#${m.id}`;
          const relay = this.relays.get(key);
          if (relay) {
            this.relays.delete(key);
            for (const origin of relay.origins) out.push(this.to(origin, { type: 'Ack', id: m.id, target: m.target, version: m.version, agoMs: 0 }));
          }
        }
        break;
      }
      case 'SyncRequest':
        this.reply(m.from, m.nodes, out, nowMs);
        break;
      case 'Leave':
        if (this.applyLeave(m.left, nowMs)) {
          changed = true;
          this.passLeave(m.left, out, m.from);
        }
        break;
    }
    // After the notices: a datagram that carried the sender's own new state needs no SyncRequest.
    this.checkSender(m.from, m.incarnation, version, nowMs, out, m.type === 'Heartbeat');
    return rttSampleMs === undefined ? { out, changed } : { out, changed, rttSampleMs };
  }

  tick(nowMs: number): SwimTicked {
    this.noteClock(nowMs);
    const t = this.tuning;
    const out: Outbound[] = [];
    const declared: { node: string; incarnation: number; version: number }[] = [];
    let changed = false;
    const mult = this.healthMultiplier(nowMs);

    if (nowMs >= this.nextHeartbeatAt) {
      const notices = this.takePiggyback();
      for (const s of this.successors()) out.push(this.to(s, { type: 'Heartbeat', version: this.selfState.version, notices }));
      this.repeatLeaves(out);
      this.nextHeartbeatAt += t.intervalMs;
      if (this.nextHeartbeatAt <= nowMs) this.nextHeartbeatAt = nowMs + t.intervalMs;
    }

    for (const [p, heardAt] of this.expected) {
      // Same expression as nextDeadline, so float rounding cannot make a deadline that never fires.
      if (this.suspicions.has(p) || nowMs < heardAt + t.suspectAfterMs) continue;
      this.suspect(p, nowMs, mult, out);
    }
    for (const [p, s] of this.suspicions) {
      if (nowMs < s.deadline) continue;
      this.suspicions.delete(p);
      const e = this.table.get(p);
      if (!e || e.dead) continue;
      const version = Math.max(e.state.version, this.heardVersion.get(p) ?? 0);
      const notice: Notice = { kind: 'Dead', node: p, incarnation: e.state.incarnation, version, by: this.node };
      if (this.applyNotice(notice, nowMs, out)) {
        changed = true;
        declared.push({ node: p, incarnation: e.state.incarnation, version });
        this.spread(notice, true, nowMs, out, undefined);
      }
    }
    if (t.roundTripIntervalMs > 0 && nowMs >= this.nextRoundTripAt) {
      this.nextRoundTripAt = nowMs + t.roundTripIntervalMs;
      // A suspect is being probed already; its Ack would time the suspicion, not the link.
      const p = this.roundTrips.next(this.ring.predecessors(this.node, t.monitors).filter((x) => !this.suspicions.has(x)));
      if (p !== undefined) {
        const id = (this.probeSeq = (this.probeSeq + 1) >>> 0);
        this.roundTrips.sent(id, p, nowMs);
        out.push(this.to(p, { type: 'Probe', id, target: p }));
      }
    }
    for (const [key, r] of this.relays) if (nowMs >= r.expires) this.relays.delete(key);
    if (this.flushAt !== undefined && nowMs >= this.flushAt) this.flush(nowMs, out, undefined);
    if (nowMs >= this.nextDeadProbeAt) {
      this.nextDeadProbeAt = nowMs + t.deadProbeIntervalMs;
      this.tellLeft(out);
      // Partition heal: a member we hold dead learns it and refutes, if it runs. Each dead node is told by
      // the k members that would precede it on the ring (not by everyone: a restarted node at the same
      // address, or the small side of a healed partition, would otherwise hear from all N), at most
      // MAX_DEAD_PROBES per round.
      // Once views have changed the would-be predecessors may not hold it dead any more, so every member
      // also tells one of the members it has held dead for STRAY_AFTER_MS, in turn, each round (not
      // sooner: a node restarting at the same address hears from every holder until its new State
      // reaches them, and most restarts come back within seconds).
      // The stray is picked from an offset of our own (a hash of our name), not from the cursor alone: the
      // holders of a partition's dead learnt them in much the same order and would all pick the same node
      // in the same round (5,000 members: one member told by thousands in one second).
      // The next round goes on after the last node told, so a member that would precede more than
      // MAX_DEAD_PROBES dead nodes tells them all in turn (it started one place further and told nearly
      // the same ten every round: the small side of a 2,000-member partition precedes ~27 nodes each).
      const dead = [...this.deadNodes];
      const from = dead.length > 0 ? this.deadCursor % dead.length : 0;
      this.deadCursor = from + 1;
      let sent = 0;
      const told = new Set<string>();
      for (let i = 0; i < dead.length && sent < MAX_DEAD_PROBES; i++) {
        const d = dead[(from + i) % dead.length]!;
        const e = this.table.get(d);
        if (!e?.dead || !this.addressOf(d) || !this.ring.predecessors(d, t.monitors).includes(this.node)) continue;
        out.push(this.to(d, { type: 'Gossip', notices: [{ kind: 'Dead', node: d, incarnation: e.state.incarnation, version: e.dead.version, by: e.dead.by }] }));
        told.add(d);
        sent++;
        this.deadCursor = from + i + 1;
      }
      const start = dead.length > 0 ? (this.strayOffset + this.deadCursor) % dead.length : 0;
      for (let i = 0; i < dead.length && sent < MAX_DEAD_PROBES; i++) {
        const d = dead[(start + i) % dead.length]!;
        const e = this.table.get(d);
        if (told.has(d) || !e?.dead || !this.addressOf(d) || nowMs - (this.deadSince.get(d) ?? nowMs) < STRAY_AFTER_MS) continue;
        out.push(this.to(d, { type: 'Gossip', notices: [{ kind: 'Dead', node: d, incarnation: e.state.incarnation, version: e.dead.version, by: e.dead.by }] }));
        break;
      }
    }
    if (this.pullPending && nowMs >= this.pullPending.at + PULL_RETRY_MS) {
      // No reply to this round's pull: the request or the reply was lost, or the replier holds every
      // named node dead too. While a heal is under way (a node we held dead came back lately) ask another
      // member now rather than in a second: at N = 2,000 the last straggler of a heal was one member
      // whose pulls at two rounds running were lost (1 % loss), each loss a second more.
      const p = this.pullPending;
      this.pullPending = undefined;
      const names = p.names.filter((d) => this.deadNodes.has(d));
      const peer = names.length > 0 && nowMs - this.lastRevivalAt < RETRY_PULL_WHILE_REVIVING_MS ? this.randomAlive(1, new Set([p.peer]))[0] : undefined;
      if (peer) out.push(this.to(peer, { type: 'SyncRequest', nodes: names }));
    }
    if (nowMs >= this.nextPullAt) {
      this.nextPullAt = nowMs + t.antiEntropyIntervalMs;
      const names = this.pullNames();
      const peer = names.length > 0 ? this.randomAlive(1, new Set())[0] : undefined;
      this.pullPending = undefined;
      if (peer) {
        out.push(this.to(peer, { type: 'SyncRequest', nodes: names }));
        this.pullPending = { peer, names, at: nowMs };
      }
    }
    return { out, changed, declared };
  }

  /** The earliest time `tick` has something to do. Call tick then (or later: lateness counts as a stall). */
  nextDeadline(): number {
    const t = this.tuning;
    let next = this.nextHeartbeatAt;
    for (const [p, heardAt] of this.expected) if (!this.suspicions.has(p)) next = Math.min(next, heardAt + t.suspectAfterMs);
    for (const s of this.suspicions.values()) next = Math.min(next, s.deadline);
    if (this.flushAt !== undefined) next = Math.min(next, this.flushAt);
    if (this.deadNodes.size > 0) next = Math.min(next, this.nextDeadProbeAt, this.nextPullAt);
    if (this.leftNodes.size > 0) next = Math.min(next, this.nextDeadProbeAt);
    if (this.pullPending) next = Math.min(next, this.pullPending.at + PULL_RETRY_MS);
    if (t.roundTripIntervalMs > 0 && this.ring.size > 1) next = Math.min(next, this.nextRoundTripAt);
    this.dueAt = next;
    return next;
  }

  /** Every node known, self included, for the election (same shape as PeerTable's view). */
  view(nowMs: number): MembershipView {
    const peers: PeerView[] = [this.peerView(this.selfState, undefined, true)];
    for (const [node, e] of this.table) {
      const heardAt = this.lastHeardAt.get(node);
      const v = this.peerView(e.state, e.dead, false, heardAt, e.left);
      const rttMs = e.dead ? undefined : this.roundTrips.estimate(node);
      // Only a predecessor owes us heartbeats: the other members are judged by their own monitors.
      const since = this.predecessorSince.get(node);
      const missing = !e.dead && !e.left && since !== undefined && nowMs - Math.max(since, heardAt ?? -Infinity) >= this.tuning.heartbeatsMissingAfterMs;
      peers.push(rttMs === undefined && !missing ? v : { ...v, ...(rttMs === undefined ? {} : { rttMs }), ...(missing ? { heartbeatsMissing: true } : {}) });
    }
    peers.sort((a, b) => compareText(a.node, b.node));
    return { atMs: nowMs, peers };
  }

  // --------------------------------------------------------------------------------------- internals

  private peerView(s: NodeState, dead: Entry['dead'], self: boolean, lastHeartbeatMs?: number, left?: true): PeerView {
    const v: PeerView = {
      node: s.node,
      self,
      alive: self || (dead === undefined && !left),
      judgedBy: self ? 'Self' : 'Heartbeat',
      draining: s.draining,
      ready: s.ready,
      interfaces: s.interfaces,
      announcing: s.announcing,
      heartbeatsBroken: false,
      incarnation: s.incarnation,
      ...(left ? { left } : {}),
    };
    return lastHeartbeatMs === undefined ? v : { ...v, lastHeartbeatMs };
  }

  private normal(s: SwimLocalState): SwimLocalState {
    return { draining: s.draining, ready: s.ready, interfaces: normalInterfaces(s.interfaces), announcing: [...s.announcing].sort(compareText) };
  }

  private to(node: string, body: DistributiveOmit<SwimMessage, 'from' | 'incarnation' | 'sequence'>): Outbound {
    return { to: node, message: { ...body, from: this.node, incarnation: this.incarnation, sequence: ++this.sequence } as SwimMessage };
  }

  private noteClock(nowMs: number): void {
    if (this.dueAt !== undefined && nowMs - this.dueAt > this.tuning.stallThresholdMs) {
      // Our own timer fired late: this process stalled. Judge peers more leniently for a while.
      this.noteHealth('TimerLate', nowMs);
      // What queued meanwhile arrived after we last ran, but we cannot tell when: heard() dates it.
      this.ownStall = { fromMs: this.lastRunMs ?? this.dueAt, wokeMs: nowMs };
      // Silence we slept through is not the peers' fault: their clocks move on by our lateness (the
      // silence before the stall still counts, or a member late on every wake-up never suspects anyone).
      const lateMs = nowMs - this.dueAt;
      for (const [p, heardAtMs] of this.expected) this.expected.set(p, silenceAfterStall({ heardAtMs, nowMs, lateMs, intervalMs: this.tuning.intervalMs }));
      // Nor is a probe window we slept through: the Acks may sit unread in our socket (the adapter's tick
      // can run before the socket is read again), or the suspect stalled with us and answers only now.
      // Once per suspicion: after that wake-up the socket has been read.
      for (const [p, s] of this.suspicions) this.suspicions.set(p, { id: s.id, deadline: deadlineAfterStall({ deadlineMs: s.deadline, nowMs, graceMs: this.tuning.intervalMs, graced: s.graced === true }), graced: true });
    }
    this.dueAt = undefined;
    this.lastRunMs = nowMs;
  }

  private noteHealth(signal: LocalHealthSignal, nowMs: number): void {
    this.localHealth = raiseLocalHealth(this.localHealth, signal, nowMs, this.tuning);
    this.healthSignals.set(signal, (this.healthSignals.get(signal) ?? 0) + 1);
  }

  private healthMultiplier(nowMs: number): number {
    return localHealthMultiplier(this.localHealth, nowMs, this.tuning);
  }

  private heard(node: string, nowMs: number, heartbeat: boolean): void {
    if (this.expected.has(node)) this.expected.set(node, nowMs);
    if (heartbeat) {
      // Dated: one read on waking from our stall may have sat in the socket since before the sender crashed.
      this.lastHeardAt.set(node, heartbeatHeardAt({ nowMs, previousMs: this.lastHeardAt.get(node), stall: this.ownStall, intervalMs: this.tuning.intervalMs }));
      this.ackOnly.delete(node);
    }
    if (this.suspicions.has(node)) this.clearSuspicion(node, nowMs, !heartbeat);
  }

  /** `aliveAtMs`: when the node last showed life (now, or earlier when another monitor vouched for it). */
  private clearSuspicion(node: string, aliveAtMs: number, byProbe: boolean): void {
    this.suspicions.delete(node);
    const heardAt = this.expected.get(node);
    if (heardAt !== undefined) this.expected.set(node, Math.max(heardAt, aliveAtMs));
    if (!byProbe) return;
    // Alive but not heartbeating us twice running: it does not count us as its successor (our views of
    // the ring differ). Stop expecting it until the ring changes; its real successors watch it.
    const n = (this.ackOnly.get(node) ?? 0) + 1;
    this.ackOnly.set(node, n);
    if (n >= 2) this.expected.delete(node);
  }

  private suspect(p: string, nowMs: number, mult: number, out: Outbound[]): void {
    const id = (this.probeSeq = (this.probeSeq + 1) >>> 0);
    this.suspicions.set(p, { id, deadline: nowMs + this.tuning.probeTimeoutMs * mult });
    out.push(this.to(p, { type: 'Probe', id, target: p }));
    // Helpers: the suspect's other monitors first (they can vouch for a recent heartbeat), then random ones.
    const helpers = this.ring.successors(p, this.tuning.monitors).filter((h) => h !== this.node).slice(0, this.tuning.probeHelpers);
    const more = this.randomAlive(this.tuning.probeHelpers - helpers.length, new Set([p, ...helpers]));
    for (const h of [...helpers, ...more]) out.push(this.to(h, { type: 'ProbeRequest', id, target: p }));
  }

  /** A datagram from `from`: if we hold it dead at its current version, tell it (it will refute). */
  private checkSender(from: string, incarnation: number, version: number | undefined, nowMs: number, out: Outbound[], heartbeat: boolean): void {
    const e = this.table.get(from);
    const newer = !e || incarnation > e.state.incarnation || (version !== undefined && version > e.state.version);
    if (newer) {
      // It runs a newer incarnation or state than we hold: ask it (at most once a second per node).
      const asked = this.syncAsked.get(from);
      if (asked === undefined || nowMs - asked >= 1000) {
        this.syncAsked.set(from, nowMs);
        out.push(this.to(from, { type: 'SyncRequest', nodes: [from] }));
      }
      return;
    }
    // A heartbeat comes from a node that counts us among its few ring successors: always tell it. Any
    // other datagram may come from a node that talks to hundreds of holders in a second (pushes, pulls,
    // answers after a heal): only the tellers of this second tell it.
    if (e.dead && incarnation === e.state.incarnation && (heartbeat || this.mayTell(from, nowMs))) this.tellDead(from, nowMs, out);
  }

  /**
   * Whether to tell `node` (held dead) of its death now, on evidence every holder may see at once (a
   * SyncReply showing it unheard, a datagram from it): if this member is one of its tellers this second
   * (tellGate), or if it declared the death itself and has held it for FRESH_DEATH_MS. A straggler that
   * only a few members hold dead is one whose death never spread, so they are its declarers (its monitors,
   * at most a few): they tell it every round, and tellGate, out of N, rarely picks anyone else. Not every
   * holder: a death that did spread is held by a whole side, and each holder telling with probability
   * 10 / (nodes it holds dead), as before, sent a node held dead by h members about h / d tells a round —
   * at N = 2,000 the cut side (200, each holding ~40 dead) told one big-side node 71 times in the heal's
   * first second (busiest received member-second 118).
   */
  private mayTell(node: string, nowMs: number): boolean {
    if (this.tellGate(node, nowMs)) return true;
    if (this.table.get(node)?.dead?.by !== this.node) return false;
    return nowMs - (this.deadSince.get(node) ?? nowMs) >= FRESH_DEATH_MS;
  }

  /**
   * Whether this member is one of the tellers of `node` in this second: a hash of (us, node, second)
   * below TELLERS_PER_SECOND out of every member we know (alive or dead). Every holder decides alone, so a
   * node held dead by all N members is told by about TELLERS_PER_SECOND of them a second, not by all N,
   * and one held dead by a tenth of them by a tenth as many. Out of every member known, not out of those
   * held alive: after a heal the holders of a straggler are the small side, whose views are the whole
   * cluster again. A hash, not a random draw: the tellers change every second, and the random stream
   * (gossip targets) stays as it was.
   */
  private tellGate(node: string, nowMs: number): boolean {
    const n = this.table.size + 1;
    if (n <= TELLERS_PER_SECOND) return true;
    return mix32(ringHash(node) ^ Math.imul(this.strayOffset, 0x9e3779b1) ^ Math.floor(nowMs / 1000)) % n < TELLERS_PER_SECOND;
  }

  /** Sends `node` its Dead notice (at most once per `againAfterMs` per node) so that, if it runs, it refutes. */
  private tellDead(node: string, nowMs: number, out: Outbound[], againAfterMs = TELL_AGAIN_AFTER_MS): boolean {
    const e = this.table.get(node);
    if (!e?.dead) return false;
    const told = this.toldDead.get(node);
    if (told !== undefined && nowMs - told < againAfterMs) return false;
    if (!this.takeDirect(nowMs)) return false;
    this.toldDead.set(node, nowMs);
    out.push(this.to(node, { type: 'Gossip', notices: [{ kind: 'Dead', node, incarnation: e.state.incarnation, version: e.dead.version, by: e.dead.by }] }));
    return true;
  }

  /**
   * One of MAX_DIRECT_PER_SECOND direct tells/answers. After a heal a member may be told of its death by
   * many members, or hold many dead: beyond the cap, the anti-entropy pull and the pushes carry it.
   */
  private takeDirect(nowMs: number): boolean {
    if (nowMs - this.directWindowAt >= 1000) {
      this.directWindowAt = nowMs;
      this.directSent = 0;
    }
    if (this.directSent >= MAX_DIRECT_PER_SECOND) return false;
    this.directSent++;
    return true;
  }

  /** We hold `s.node` dead at exactly `s`'s (incarnation, version): the State is no refutation. */
  private deadAtSameVersion(s: NodeState): boolean {
    const e = this.table.get(s.node);
    return e?.dead !== undefined && e.state.incarnation === s.incarnation && e.dead.version === s.version;
  }

  /** The next run of dead members, in turn, that fits one SyncRequest (anti-entropy pull). */
  private pullNames(): string[] {
    const dead = [...this.deadNodes];
    if (dead.length === 0) return [];
    const budget = NOTICE_BUDGET - envelopeBytes(this.node);
    const out: string[] = [];
    let size = 0;
    const from = this.pullCursor % dead.length;
    for (let i = 0; i < dead.length && out.length < 0xffff; i++) {
      const d = dead[(from + i) % dead.length]!;
      if (size + 1 + d.length > budget) break;
      size += 1 + d.length;
      out.push(d);
    }
    this.pullCursor = from + out.length;
    return out;
  }

  /**
   * What goes straight back to a member that told us of our death: our State and, if we hold the teller
   * dead too, its Dead notice, so that it refutes in the same exchange. After a heal the tellers are
   * mostly the other side (its dead probes, its pulls), and a teller on the big side is otherwise told
   * only if the small side's dead probes or tell gates happen to pick it. No datagram more: the answer is
   * sent anyway, and only to those who told us.
   */
  private answerNotices(teller: string, nowMs: number): Notice[] {
    const notices: Notice[] = [{ kind: 'State', state: this.selfState }];
    const e = this.table.get(teller);
    if (e?.dead) {
      this.toldDead.set(teller, nowMs);
      notices.push({ kind: 'Dead', node: teller, incarnation: e.state.incarnation, version: e.dead.version, by: e.dead.by });
    }
    return notices;
  }

  /** Applies a notice; true if it was news (and should be passed on). */
  private applyNotice(n: Notice, nowMs: number, out?: Outbound[], from?: string): boolean {
    const node = noticeNode(n);
    if (node === this.node) {
      if (n.kind === 'Dead' && n.incarnation === this.incarnation && n.version < this.selfState.version && out && from !== undefined && from !== this.node) {
        // A death at a version we have already refuted (or changed past): the teller missed our newer
        // State. Send it straight back (at most once per TELL_AGAIN_AFTER_MS per teller) rather than bumping the version again.
        const answered = this.staleAnswered.get(from);
        if ((answered === undefined || nowMs - answered >= TELL_AGAIN_AFTER_MS) && this.takeDirect(nowMs)) {
          this.staleAnswered.set(from, nowMs);
          out.push(this.to(from, { type: 'Gossip', notices: this.answerNotices(from, nowMs) }));
        }
      }
      // Leaving: a refutation (a newer version) would bring us back to life in every view.
      if (n.kind === 'Dead' && n.incarnation === this.incarnation && n.version >= this.selfState.version && !this.leaving) {
        // Refute: we run. A higher version overrides the death everywhere it has reached.
        this.selfState = { ...this.selfState, version: n.version + 1 };
        // Our monitors found us silent: we were probably stalled or deaf, so judge peers leniently too.
        this.noteHealth('Refuted', nowMs);
        if (out) {
          this.spread({ kind: 'State', state: this.selfState }, true, nowMs, out, undefined, true);
          // The sender believes us dead and may be on the other side of a healed partition, where none of
          // the members we would push to (those we hold alive) can reach: answer it directly too.
          if (from !== undefined && from !== this.node) out.push(this.to(from, { type: 'Gossip', notices: this.answerNotices(from, nowMs) }));
        }
      }
      return false;
    }
    const cur = this.table.get(node);
    if (n.kind === 'State') {
      const s = n.state;
      if (cur && compareKey(s.incarnation, s.version, false, cur.state.incarnation, cur.state.version, heldDown(cur)) <= 0) return false;
      // A restart: the old process's round trip says nothing about the new one.
      if (cur && cur.state.incarnation !== s.incarnation) this.roundTrips.forget(node);
      if (cur?.dead) this.lastRevivalAt = nowMs;
      this.table.set(node, entryOf(s));
      this.deadNodes.delete(node);
      this.deadSince.delete(node);
      if (this.ring.insert(node)) this.ringChanged(nowMs);
      return true;
    }
    if (cur) {
      if (compareKey(n.incarnation, n.version, true, cur.state.incarnation, cur.state.version, heldDown(cur)) <= 0) {
        // A death at or below the version the node left at: the declarer never read the Leave (an older
        // herald, or every copy lost). Tell it, so that it shows the node Left too.
        if (cur.left && out && from !== undefined) this.answerLeft(cur.state, from, nowMs, out);
        // A death at an older version than the state we hold: the declarer missed a change. If we watch
        // the node, check it ourselves (only its monitors do: everyone probing it would cost O(N)). If it
        // really died, its monitors declare it at the newer version once that version reaches them.
        // Not when it heartbeated us within suspectAfter: that is fresher evidence than the notice, and
        // after a partition heal stale deaths keep arriving from the far side for a while (each one cost
        // the node 1 + probeHelpers probes).
        const heardAt = this.lastHeardAt.get(node);
        const silent = heardAt === undefined || nowMs - heardAt >= this.tuning.suspectAfterMs;
        if (!cur.dead && n.incarnation === cur.state.incarnation && out && silent && this.expected.has(node) && !this.suspicions.has(node)) this.suspect(node, nowMs, this.healthMultiplier(nowMs), out);
        return false;
      }
    }
    const state: NodeState = cur && cur.state.incarnation === n.incarnation
      ? cur.state
      : { node, incarnation: n.incarnation, version: n.version, draining: false, ready: false, interfaces: EMPTY, announcing: EMPTY, address: cur?.state.address ?? '', port: cur?.state.port ?? 0 };
    this.table.set(node, { state: state.version === n.version ? state : { ...state, version: n.version }, dead: { version: n.version, by: n.by } });
    this.roundTrips.forget(node);
    if (!this.deadNodes.has(node)) this.deadSince.set(node, nowMs);
    this.deadNodes.add(node);
    this.suspicions.delete(node);
    if (this.ring.remove(node)) this.ringChanged(nowMs);
    return true;
  }

  /** Records a leave notice (leaveNotice.ts decides); true if it was news (and should be passed on). */
  private applyLeave(n: LeftNotice, nowMs: number): boolean {
    if (n.node === this.node) return false;
    const cur = this.table.get(n.node);
    if (judgeLeave(cur && { incarnation: cur.state.incarnation, version: cur.state.version, dead: cur.dead !== undefined, left: cur.left !== undefined }, n) !== 'News') return false;
    const base = cur!.state;
    const state: NodeState = base.incarnation === n.incarnation
      ? (base.version === n.version ? base : { ...base, version: n.version })
      : { node: n.node, incarnation: n.incarnation, version: n.version, draining: false, ready: false, interfaces: EMPTY, announcing: EMPTY, address: base.address, port: base.port };
    this.table.set(n.node, { state, left: true });
    this.leftNodes.add(n.node);
    // Nothing more to find out about it: no probes, no tells, no pulls, no death to spread.
    this.deadNodes.delete(n.node);
    this.deadSince.delete(n.node);
    this.toldDead.delete(n.node);
    this.suspicions.delete(n.node);
    this.piggyback.delete(n.node);
    this.pendingPush.delete(n.node);
    this.pendingRevivals.delete(n.node);
    this.roundTrips.forget(n.node);
    if (this.ring.remove(n.node)) this.ringChanged(nowMs);
    return true;
  }

  /**
   * Passes fresh leave news on like death news, in Leave datagrams of its own (an older herald refuses
   * unknown types whole): at once to urgentFanout random members, and to our ring successors now and on
   * the next piggybackRounds − 1 heartbeats. Not through the push bucket: a leave is rare and one
   * datagram per target.
   */
  private passLeave(n: LeftNotice, out: Outbound[], from: string | undefined): void {
    const skip = new Set([n.node, ...(from === undefined ? [] : [from])]);
    for (const t of [...this.successors(), ...this.randomAlive(this.tuning.urgentFanout, new Set([...skip, ...this.successors()]))]) {
      if (!skip.has(t)) out.push(this.to(t, { type: 'Leave', left: n }));
    }
    if (this.tuning.piggybackRounds > 1) this.leaveNews.set(n.node, { notice: n, left: this.tuning.piggybackRounds - 1 });
  }

  private repeatLeaves(out: Outbound[]): void {
    if (this.leaveNews.size === 0) return;
    const successors = this.successors();
    for (const [node, r] of this.leaveNews) {
      for (const s of successors) if (s !== node) out.push(this.to(s, { type: 'Leave', left: r.notice }));
      if (--r.left <= 0) this.leaveNews.delete(node);
    }
  }

  /**
   * Each deadProbeInterval, the would-be ring predecessors of a node held Left send its Leave to its
   * address, as dead nodes are told of their death: a new process there that knows no peer (restarted
   * while its node cannot reach the API, its old Lease still in place) asks the sender for its state and
   * joins through it. Without this nobody would ever speak to it: a Left node is in nobody's ring. Once
   * its Lease is deleted (the usual stop) the node is forgotten and this stops.
   */
  private tellLeft(out: Outbound[]): void {
    let sent = 0;
    for (const node of this.leftNodes) {
      const e = this.table.get(node);
      if (!e?.left) {
        this.leftNodes.delete(node);
        continue;
      }
      if (sent >= MAX_DEAD_PROBES || !this.addressOf(node) || !this.ring.predecessors(node, this.tuning.monitors).includes(this.node)) continue;
      out.push(this.to(node, { type: 'Leave', left: { node, incarnation: e.state.incarnation, version: e.state.version } }));
      sent++;
    }
  }

  /** `from` holds `left` dead (it missed the Leave): tell it, at most once a second, within the direct cap. */
  private answerLeft(left: NodeState, from: string, nowMs: number, out: Outbound[]): void {
    const at = this.leftAnswered.get(from);
    if ((at !== undefined && nowMs - at < 1000) || !this.takeDirect(nowMs)) return;
    this.leftAnswered.set(from, nowMs);
    out.push(this.to(from, { type: 'Leave', left: { node: left.node, incarnation: left.incarnation, version: left.version } }));
  }

  private ringChanged(nowMs: number): void {
    const next = new Map<string, number>();
    const since = new Map<string, number>();
    for (const p of this.ring.predecessors(this.node, this.tuning.monitors)) {
      next.set(p, this.expected.get(p) ?? nowMs);
      since.set(p, this.predecessorSince.get(p) ?? nowMs);
    }
    this.predecessorSince = since;
    for (const p of this.suspicions.keys()) if (!next.has(p)) this.suspicions.delete(p);
    this.expected = next;
  }

  /**
   * Pass a fresh notice on: piggyback on the next heartbeats, and push (now if urgent, else batched).
   * `revival`: it overturns a death we held; it goes ahead of other news in both, and so does any newer
   * State of the same node while it waits (it overturns that death too).
   */
  private spread(n: Notice, urgent: boolean, nowMs: number, out: Outbound[], from: string | undefined, revival = false): void {
    const node = noticeNode(n);
    const revives = n.kind === 'State' && (revival || this.pendingRevivals.has(node) || this.piggyback.get(node)?.revival === true);
    this.piggyback.delete(node);
    this.piggyback.set(node, { notice: n, left: this.tuning.piggybackRounds, revival: revives });
    // A burst of news (a partition heal) does not fit the heartbeats anyway: keep the freshest, the pushes
    // and the anti-entropy pull carry the rest (and the heartbeat need not sort thousands every round).
    if (this.piggyback.size > MAX_PIGGYBACK) this.dropPiggyback();
    this.pendingPush.delete(node);
    this.pendingRevivals.delete(node);
    (revives ? this.pendingRevivals : this.pendingPush).set(node, n);
    if (this.pendingPush.size + this.pendingRevivals.size > MAX_PENDING_PUSH) {
      const oldest = this.pendingPush.size > 0 ? this.pendingPush : this.pendingRevivals;
      oldest.delete(oldest.keys().next().value!);
    }
    if (urgent) this.pendingUrgent = true;
    if (urgent && this.refill(nowMs) >= this.tuning.urgentFanout) this.flush(nowMs, out, from);
    else this.flushAt = Math.min(this.flushAt ?? Infinity, this.pushAllowedAt(nowMs, urgent ? 0 : this.tuning.gossipBatchMs));
  }

  /** Makes room in the piggyback: the oldest notice that is no revival, or the oldest if all are. */
  private dropPiggyback(): void {
    for (const [node, p] of this.piggyback) {
      if (p.revival) continue;
      this.piggyback.delete(node);
      return;
    }
    this.piggyback.delete(this.piggyback.keys().next().value!);
  }

  private pendingUrgent = false;

  /** Tokens available now (the bucket refills at pushesPerSecond up to 2 × urgentFanout). */
  private refill(nowMs: number): number {
    const t = this.tuning;
    this.pushTokens = Math.min(2 * t.urgentFanout, this.pushTokens + ((nowMs - this.pushTokensAt) * t.pushesPerSecond) / 1000);
    this.pushTokensAt = nowMs;
    return this.pushTokens;
  }

  /** The earliest time, at least `delayMs` from now, at which a push to the fanout it needs is allowed. */
  private pushAllowedAt(nowMs: number, delayMs: number): number {
    const need = this.pendingUrgent ? this.tuning.urgentFanout : this.tuning.stateFanout;
    const lack = need - this.refill(nowMs);
    return nowMs + Math.max(delayMs, lack > 0 ? Math.ceil((lack * 1000) / this.tuning.pushesPerSecond) : 0);
  }

  private flush(nowMs: number, out: Outbound[], from: string | undefined): void {
    if (this.pendingPush.size + this.pendingRevivals.size === 0) {
      this.flushAt = undefined;
      return;
    }
    const fanout = this.pendingUrgent ? this.tuning.urgentFanout : this.tuning.stateFanout;
    if (this.refill(nowMs) < fanout - 1e-9) {
      this.flushAt = this.pushAllowedAt(nowMs, 0);
      return;
    }
    this.pendingUrgent = false;
    // One datagram per target, the freshest news first; the rest waits for the next push (the bucket
    // refills at pushesPerSecond). Sending it all at once (a heal: dozens of datagrams to each target)
    // made the targets receive hundreds of datagrams in one second. Revivals before the rest.
    const batch = this.firstBatch([...this.pendingRevivals.values()].reverse(), [...this.pendingPush.values()].reverse());
    for (const n of batch) {
      this.pendingPush.delete(noticeNode(n));
      this.pendingRevivals.delete(noticeNode(n));
    }
    this.flushAt = this.pendingPush.size + this.pendingRevivals.size > 0 ? this.pushAllowedAt(nowMs, 0) : undefined;
    this.pushTokens -= fanout;
    const skip = new Set(batch.map(noticeNode));
    if (from !== undefined) skip.add(from);
    const targets = this.randomAlive(fanout, skip);
    for (const t of targets) out.push(this.to(t, { type: 'Gossip', notices: batch }));
  }

  /** What fits one datagram, taken in order from the lists given. */
  private firstBatch(...lists: readonly (readonly Notice[])[]): Notice[] {
    const out: Notice[] = [];
    let size = 0;
    for (const list of lists) {
      for (const n of list) {
        const b = noticeBytes(n);
        if (out.length > 0 && size + b > NOTICE_BUDGET) return out;
        out.push(n);
        size += b;
      }
    }
    return out;
  }

  private batches(notices: readonly Notice[]): Notice[][] {
    const out: Notice[][] = [];
    let cur: Notice[] = [];
    let size = 0;
    for (const n of notices) {
      const b = noticeBytes(n);
      if (cur.length > 0 && size + b > NOTICE_BUDGET) {
        out.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(n);
      size += b;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  private takePiggyback(): Notice[] {
    if (this.piggyback.size === 0) return EMPTY as never;
    const budget = NOTICE_BUDGET - envelopeBytes(this.node);
    const out: Notice[] = [];
    let size = 0;
    // Revivals first (see pendingRevivals), then the freshest (most rounds left).
    const list = [...this.piggyback.entries()].sort((a, b) => Number(b[1].revival) - Number(a[1].revival) || b[1].left - a[1].left);
    for (const [node, p] of list) {
      const b = noticeBytes(p.notice);
      if (size + b > budget) continue;
      size += b;
      out.push(p.notice);
      if (--p.left <= 0) this.piggyback.delete(node);
    }
    return out;
  }

  private reply(to: string, nodes: readonly string[], out: Outbound[], nowMs: number): void {
    const notices: Notice[] = [];
    const lefts: NodeState[] = [];
    const add = (node: string) => {
      if (node === this.node) return notices.push({ kind: 'State', state: this.selfState });
      const e = this.table.get(node);
      if (!e) return;
      // Left is no notice kind an older herald reads (it would refuse the whole reply): a Leave of its own.
      if (e.left) {
        if (lefts.length < MAX_REPLY_TELLS) lefts.push(e.state);
        return;
      }
      notices.push(e.dead ? { kind: 'Dead', node, incarnation: e.state.incarnation, version: e.dead.version, by: e.dead.by } : { kind: 'State', state: e.state });
    };
    if (nodes.length === 0) {
      add(this.node);
      for (const node of this.table.keys()) add(node);
    } else {
      // Named nodes: the asker holds them dead (anti-entropy) or asks a node for its own state. A Dead
      // we hold too tells it nothing it can use, so only States (and our own) go back.
      for (const node of nodes) if (!this.table.get(node)?.dead) add(node);
    }
    const batches = this.batches(notices);
    if (nodes.length > 0) {
      // A healed partition: every member pulls, and a member may be asked by several in one second. Beyond
      // the cap the asker gets part of what it asked (it asks someone else next round).
      if (nowMs - this.repliesWindowAt >= 1000) {
        this.repliesWindowAt = nowMs;
        this.repliesSent = 0;
      }
      batches.length = Math.min(batches.length, Math.max(0, MAX_REPLIES_PER_SECOND - this.repliesSent));
      this.repliesSent += batches.length;
    }
    for (const batch of batches) out.push(this.to(to, { type: 'SyncReply', notices: batch }));
    for (const s of lefts) out.push(this.to(to, { type: 'Leave', left: { node: s.node, incarnation: s.incarnation, version: s.version } }));
  }

  /** Up to `k` distinct members believed alive, not self and not in `skip`, uniformly at random. */
  private randomAlive(k: number, skip: ReadonlySet<string>): string[] {
    const n = this.ring.size;
    if (n <= 1 || k <= 0) return [];
    const out: string[] = [];
    const chosen = new Set<string>();
    // The ring holds exactly the live members, self included.
    for (let tries = 0; out.length < k && tries < 4 * k + 8; tries++) {
      const c = this.ring.at(this.random.below(n));
      if (chosen.has(c) || skip.has(c) || c === this.node) continue;
      chosen.add(c);
      out.push(c);
    }
    return out;
  }

  /**
   * Drops everything known about `node` (its Lease is gone: the node left the cluster), so a removed node
   * is neither told of its death forever nor kept in views. The replay window is kept: a captured datagram
   * of the old incarnation must still not be believed. If the node does run and speaks again, it is
   * learnt afresh (SyncRequest). True if the node was known.
   */
  forget(node: string, nowMs: number): boolean {
    if (node === this.node || !this.table.has(node)) return false;
    this.table.delete(node);
    this.deadNodes.delete(node);
    this.deadSince.delete(node);
    this.toldDead.delete(node);
    this.suspicions.delete(node);
    this.ackOnly.delete(node);
    this.heardVersion.delete(node);
    this.lastHeardAt.delete(node);
    this.syncAsked.delete(node);
    this.piggyback.delete(node);
    this.pendingPush.delete(node);
    this.pendingRevivals.delete(node);
    this.staleAnswered.delete(node);
    this.leaveNews.delete(node);
    this.leftAnswered.delete(node);
    this.roundTrips.forget(node);
    if (this.ring.remove(node)) this.ringChanged(nowMs);
    return true;
  }

  /**
   * Asks up to `limit` live nodes we know only from outside the protocol (state version 0: a Lease,
   * static configuration) for their own State, each at most once a second. A node that is not our ring
   * predecessor never heartbeats us, and when a whole cluster starts at once the join's SyncReply may
   * carry no more than we have: without this their announced addresses and MACs could stay unknown.
   */
  askUnknown(nowMs: number, limit: number): Outbound[] {
    const out: Outbound[] = [];
    for (const [node, e] of this.table) {
      if (out.length >= limit) break;
      if (e.dead || e.state.version !== 0 || e.state.address === '') continue;
      const asked = this.syncAsked.get(node);
      if (asked !== undefined && nowMs - asked < 1000) continue;
      this.syncAsked.set(node, nowMs);
      out.push(this.to(node, { type: 'SyncRequest', nodes: [node] }));
    }
    return out;
  }

  /**
   * Whether any of our datagrams has reached a member in this incarnation, as far as we can know: a member
   * answered one (an Ack to a Probe or ProbeRequest of ours, a SyncReply to our SyncRequest). Until then
   * every member holds us never heard and judges us by our Lease, so we judge them by theirs
   * (mergeMembershipViews): a node that can receive but not send hears the States of members that joined
   * through it, then their silence once they declare it, and must not hold them dead for that.
   */
  reached(): boolean {
    return this.answered;
  }

  /** The state version held for `node` (0: known only from outside the protocol, e.g. its Lease). */
  versionOf(node: string): number | undefined {
    return node === this.node ? this.selfState.version : this.table.get(node)?.state.version;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** murmur3's finaliser: spreads a 32-bit hash's bits so that its remainder by a small number is uniform. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
