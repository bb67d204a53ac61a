import {
  diffViews,
  encodeHeartbeat,
  fitHeartbeat,
  membershipMarker,
  mergeMembershipViews,
  PeerTable,
  plainDataEqual,
  type Heartbeat,
  type HeartbeatInterface,
  type HeartbeatRejectReason,
  type HeartbeatTarget,
  type LeaseFacts,
  type MembershipProtocolSetting,
  type MembershipView,
  type PeerChange,
  type PeerTransition,
  type PeerView,
  type SwimMessage,
  swimTimingsForInterval,
  type SwimTuning,
} from '@herald/core';
import type { Logger } from 'pino';
import { ChangeListeners, type MembershipListener } from './changeListeners.js';
import { HeartbeatKeyring } from './heartbeatKeyring.js';
import { HeartbeatSocket } from './heartbeatSocket.js';
import type { MembershipGaugeSources, MembershipMetrics } from './membershipMetrics.js';
import type { MembershipLeases } from './membershipLeases.js';
import type { SpeakerLeaseSeen } from './speakerLeaseWatch.js';
import { PeerProtocols } from './peerProtocols.js';
import { SwimMembership } from './swimMembership.js';
import { monotonicNow, realTimers, type Timers } from './timers.js';
import type { DatagramEndpoint, OpenDatagrams } from './udpDatagrams.js';

export interface LocalMembershipState {
  readonly draining: boolean;
  /** False while the speaker starts: heartbeats and the Lease say so, and peers hand it nothing. Default true. */
  readonly ready?: boolean;
  readonly interfaces: readonly HeartbeatInterface[];
  readonly announcing: readonly string[];
}

export interface MembershipOptions {
  /** This node's name (the Kubernetes Node name). */
  readonly node: string;
  /** Process start in epoch ms; see chooseIncarnation for restarts with a clock that went back. */
  readonly incarnation: number;
  readonly heartbeat: {
    /** The node's address on the LAN that carries the announced addresses; bound, and published. */
    readonly address: string;
    readonly port: number;
    readonly intervalMs: number;
    /** Default 5 × intervalMs. */
    readonly deadAfterMs?: number;
    /** HMAC-SHA256 key (Secret herald-memberlist, key secretkey), or a keyring a key file watcher rotates. */
    readonly key: Uint8Array | HeartbeatKeyring;
  };
  /** Fixed peers, in addition to those discovered from Leases (or instead of them, without an API). */
  readonly peers?: readonly HeartbeatTarget[];
  /**
   * Per-node Leases: publish ours, discover peers from theirs (KubeLeases in-process; the membership worker's
   * ThreadLeases, run by the main thread). Omit to run on heartbeats alone.
   */
  readonly leases?: MembershipLeases;
  readonly initialState?: LocalMembershipState;
  /**
   * Membership's metrics: made by the caller from the gauge sources this membership gives (in-process:
   * `(sources) => createMembershipMetrics(registry, sources)`), or already made (the worker thread's, which it
   * forwards to the main thread). Not made here: this module must not load prom-client into the worker.
   */
  readonly metrics: MembershipMetrics | ((sources: MembershipGaugeSources) => MembershipMetrics);
  /**
   * Asked before every datagram is sent; false withholds it (counted). The membership worker passes its
   * main-loop watch: a wedged main thread (no ARP replies, no elections) must not keep the node alive.
   */
  readonly maySend?: () => boolean;
  readonly log: Logger;
  /** Monotonic ms; liveness is measured on it. */
  readonly now?: () => number;
  /** Epoch ms; only to place a Lease's renewTime on the monotonic clock. */
  readonly wallNow?: () => number;
  readonly timers?: Timers;
  /** The datagram layer; tests swap in an in-memory network. */
  readonly openDatagrams?: OpenDatagrams;
  readonly forgetAfterMs?: number;
  /**
   * `auto` (default): version 2 (SWIM ring, ADR 0012) with every peer that speaks it, version 1 with the
   * others. `v1`: exactly a version-1 speaker (all-to-all heartbeats, version-2 datagrams refused), for
   * tests of a rolling upgrade and as an escape hatch.
   */
  readonly protocol?: MembershipProtocolSetting;
  /** Version-2 tunables (tests); defaults are ADR 0012's, with the heartbeat interval above. */
  readonly swimTuning?: Partial<SwimTuning>;
}

export type { MembershipListener } from './changeListeners.js';

/** What the speaker reads from membership, in-process (Membership) or in a worker thread (MembershipWorker). */
export interface MembershipPort {
  view(): MembershipView;
  peersListed(): boolean;
  setLocalState(state: LocalMembershipState): void;
  on(event: 'change', listener: MembershipListener): unknown;
  off(event: 'change', listener: MembershipListener): unknown;
}

const LOG_EVENT: Record<PeerChange, string> = {
  PeerAdded: 'peerAdded',
  PeerRemoved: 'peerRemoved',
  PeerAlive: 'peerAlive',
  PeerDead: 'peerDead',
  PeerLeft: 'peerLeft',
  PeerRestarted: 'peerRestarted',
  PeerDraining: 'peerDraining',
  PeerUndrained: 'peerUndrained',
  PeerReady: 'peerReady',
  PeerNotReady: 'peerNotReady',
  PeerInterfacesChanged: 'peerInterfacesChanged',
  PeerAnnouncingChanged: 'peerAnnouncingChanged',
  HeartbeatsBroken: 'heartbeatsBroken',
  HeartbeatsRestored: 'heartbeatsRestored',
};

/**
 * Who is alive, for the election (ADR 0012): version-2 ring heartbeats with every peer that speaks them
 * (SwimMembership, SwimMember deciding), all-to-all version-1 heartbeats with older peers (PeerTable
 * deciding), a per-node Lease for discovery (and, for version-1 peers, as a slow fallback). Emits
 * 'change' only on transitions, with the merged view and what changed. Timers: one for version-1
 * sending, one for PeerTable's next deadline, one for SwimMember's: nothing polls.
 */
export class Membership {
  readonly metrics: MembershipMetrics;
  private readonly table: PeerTable;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly timers: Timers;
  private readonly intervalMs: number;
  private readonly listeners: ChangeListeners;
  private local: LocalMembershipState;
  private socket: HeartbeatSocket | undefined;
  private sequence = 0;
  private nextSendAt = 0;
  private sendTimer: unknown;
  private deadlineTimer: unknown;
  private deadlineAt: number | undefined;
  private lastView: MembershipView | undefined;
  private running = false;
  private readonly keys: HeartbeatKeyring;
  private trimmedLogged = '';
  /** The version-2 side; undefined when forced to version 1. */
  private readonly swim: SwimMembership | undefined;
  /** Which protocol each peer speaks (rolling upgrade), and whose Lease is gone. */
  private readonly protocols = new PeerProtocols();

  constructor(private readonly o: MembershipOptions) {
    this.now = o.now ?? monotonicNow;
    this.wallNow = o.wallNow ?? Date.now;
    this.timers = o.timers ?? realTimers;
    this.intervalMs = o.heartbeat.intervalMs;
    if (!(this.intervalMs > 0)) throw new RangeError(`heartbeat interval must be positive, not ${this.intervalMs}`);
    const deadAfterMs = o.heartbeat.deadAfterMs ?? 5 * this.intervalMs;
    if (deadAfterMs <= this.intervalMs) throw new RangeError(`dead-after (${deadAfterMs} ms) must be longer than the heartbeat interval (${this.intervalMs} ms)`);
    this.table = new PeerTable({ self: { node: o.node, incarnation: o.incarnation }, deadAfterMs, ...(o.forgetAfterMs === undefined ? {} : { forgetAfterMs: o.forgetAfterMs }) });
    this.listeners = new ChangeListeners(o.log);
    this.keys = o.heartbeat.key instanceof HeartbeatKeyring ? o.heartbeat.key : new HeartbeatKeyring(o.heartbeat.key);
    this.metrics = typeof o.metrics === 'function'
      ? o.metrics({ view: () => (this.running ? this.view() : undefined) })
      : o.metrics;
    this.local = { draining: false, interfaces: [], announcing: [] };
    encodeHeartbeat(this.heartbeat()); // refuses a bad node name or address before anything starts
    this.local = this.fit(o.initialState ?? this.local);
    this.table.setLocal(this.local);
    if ((o.protocol ?? 'auto') === 'auto') {
      this.swim = new SwimMembership({
        self: { node: o.node, incarnation: o.incarnation, address: o.heartbeat.address, port: o.heartbeat.port },
        local: this.swimLocal(),
        tuning: { ...swimTimingsForInterval(this.intervalMs), ...o.swimTuning },
        now: this.now,
        timers: this.timers,
        log: o.log,
        metrics: this.metrics,
        send: (payload, to) => this.send(payload, to),
        onChange: () => this.onSwimChange(),
      });
    }
  }

  /** Binds the heartbeat socket (throws if it cannot), then starts sending, the Lease and the watch. */
  async start(): Promise<void> {
    if (this.running) return;
    const { address, port } = this.o.heartbeat;
    this.socket = await HeartbeatSocket.open({
      bind: { address, port },
      keys: this.keys,
      onHeartbeat: (hb, from) => this.onHeartbeat(hb, from),
      ...(this.swim ? { onSwim: (m: SwimMessage, from: DatagramEndpoint) => this.onSwim(m, from) } : {}),
      onReject: (reason, message, from) => this.reject(reason, message, from),
      onSendError: (code, to, message) => {
        this.metrics.sendErrors.inc({ code });
        this.o.log.debug({ event: 'heartbeatSendError', code, to: to && `${to.address}:${to.port}`, err: message }, 'heartbeat send failed');
      },
      ...(this.o.openDatagrams ? { open: this.o.openDatagrams } : {}),
    });
    this.running = true;
    const now = this.now();
    for (const p of this.o.peers ?? []) {
      this.table.addStaticPeer(p, now);
      this.learnSwim(p.node, { address: p.address, port: p.port, incarnation: 0 });
    }
    this.swim?.start();
    if (this.o.leases) this.startLeases(this.o.leases);
    this.o.log.info({ event: 'membershipStarted', node: this.o.node, incarnation: this.o.incarnation, heartbeat: `${address}:${port}`, intervalMs: this.intervalMs, protocol: this.swim ? 'auto' : 'v1' }, 'membership started');
    this.refresh();
    this.nextSendAt = now;
    this.tick();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timers.clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineAt = undefined;
    this.swim?.stop();
    this.o.leases?.stop();
    await this.socket?.close();
    this.socket = undefined;
  }

  /**
   * What this speaker announces and on which interfaces; the next heartbeat carries it (and the Lease
   * when draining or interfaces change). Never throws: state that does not fit one datagram is trimmed
   * (fitHeartbeat), logged once per distinct trim and counted. Unchanged state changes nothing.
   */
  setLocalState(state: LocalMembershipState): void {
    const before = this.local;
    const next = this.fit(state);
    // Compared without building strings: the announced list can hold thousands of addresses.
    const interfacesChanged = !plainDataEqual(before.interfaces, next.interfaces);
    if (!interfacesChanged && plainDataEqual(before, next)) return;
    this.local = next;
    this.table.setLocal(this.local);
    this.swim?.setLocal(this.swimLocal());
    if (before.draining !== next.draining || (before.ready ?? true) !== (next.ready ?? true) || interfacesChanged) this.o.leases?.poke();
    if (this.running) this.refresh();
  }

  /** The part of `state` one heartbeat can carry; what was left out is logged (on change) and counted. */
  private fit(state: LocalMembershipState): LocalMembershipState {
    const { heartbeat, trimmed } = fitHeartbeat({ ...this.heartbeat(), draining: state.draining, interfaces: state.interfaces, announcing: state.announcing });
    this.metrics.publishedInterfaces.set(heartbeat.interfaces.length);
    const text = JSON.stringify(trimmed);
    const any = Object.values(trimmed).some((n) => n > 0);
    // Counted and logged when what is left out changes, not on every publish of the same state.
    if (any && text !== this.trimmedLogged) {
      for (const [part, n] of Object.entries(trimmed)) if (n > 0) this.metrics.heartbeatTrimmed.inc({ part }, n);
      this.o.log.warn({ event: 'heartbeatStateTrimmed', ...trimmed, interfaces: state.interfaces.length, announcing: state.announcing.length }, 'local state does not fit one heartbeat datagram; sending the part that does');
    }
    this.trimmedLogged = any ? text : '';
    // Every other field of the state (flags) passes through untouched.
    return { ...state, interfaces: heartbeat.interfaces, announcing: heartbeat.announcing };
  }

  /** The speaker Leases have been listed once: the peer list is known (false without Leases configured). */
  peersListed(): boolean {
    return this.o.leases?.synced ?? false;
  }

  /** The current view (self included), computed now. */
  view(): MembershipView {
    return this.currentView(this.now());
  }

  /**
   * Version-1 peers as PeerTable judges them, version-2 peers as SwimMember does (ADR 0012, Rollout).
   * A peer known only from its Lease, not yet to the version-2 side, keeps PeerTable's Lease judgement.
   */
  private currentView(now: number): MembershipView {
    const v1 = this.table.view(now);
    const swim = this.swim;
    if (!swim) return v1;
    const { view, v1Peers } = mergeMembershipViews({ v1, v2: swim.view(now), protocolOf: (node) => this.protocolOf(node, now), versionOf: (node) => swim.versionOf(node), selfReached: swim.reached(), nowMs: now });
    this.metrics.peersV1.set(v1Peers);
    return view;
  }

  private protocolOf(node: string, now: number): 'v1' | 'v2' {
    if (!this.swim) return 'v1';
    return this.protocols.of(node, now);
  }

  /** Our state as version 2 publishes it (already trimmed for version 1). */
  private swimLocal() {
    return { draining: this.local.draining, ready: this.local.ready ?? true, interfaces: this.local.interfaces, announcing: this.local.announcing };
  }

  /** A peer for the version-2 side, unless it speaks version 1. */
  private learnSwim(node: string, at: { address: string; port: number; incarnation: number; draining?: boolean; ready?: boolean; interfaces?: PeerView['interfaces'] }): void {
    if (!this.swim || node === this.o.node) return;
    if (this.protocolOf(node, this.now()) === 'v1') {
      this.swim.forget(node);
      return;
    }
    this.swim.learn({ node, incarnation: at.incarnation, version: 0, draining: at.draining ?? false, ready: at.ready ?? true, interfaces: at.interfaces ?? [], announcing: [], address: at.address, port: at.port });
  }

  private onSwim(m: SwimMessage, from: DatagramEndpoint): void {
    if (!this.running || !this.swim) return;
    // The incarnation a node publishes on its Lease is a floor, as for version 1: datagrams captured
    // before it restarted are refused even by a speaker that has never heard it (no replay window yet).
    const floor = this.protocols.leaseIncarnation(m.from);
    if (floor !== undefined && m.incarnation < floor) {
      return this.reject('BelowLeaseIncarnation', `${m.type} from ${m.from} incarnation ${m.incarnation} is older than the incarnation ${floor} its Lease publishes`, from);
    }
    this.swim.receive(m, from);
  }

  private onSwimChange(): void {
    // A node whose Lease is gone and that the ring now holds dead leaves the view for good.
    for (const node of this.protocols.leaseGone()) if (this.heldDown(node)) this.swim?.forget(node);
    this.refresh();
  }

  /** Dead or left in the ring: a node whose Lease is gone then leaves the view for good. */
  private heldDown(node: string): boolean {
    const s = this.swim?.status(node);
    return s === 'dead' || s === 'left';
  }

  /**
   * This speaker stops on purpose (SIGTERM, after its drain): tells its version-2 peers it leaves, in
   * `copies` copies `gapMs` apart against loss, so that they record it Left (PeerLeft), not Dead, and
   * move what it still holds at once. Peers of an older herald refuse the datagram (UnknownFlags) and see
   * it die as before. After this the speaker publishes no new state. Nothing to do when forced to v1.
   */
  async leave(o: { copies?: number; gapMs?: number } = {}): Promise<void> {
    if (!this.running || !this.swim) return;
    const copies = o.copies ?? 3;
    this.o.log.info({ event: 'membershipLeaving', copies }, 'telling peers this speaker leaves');
    for (let i = 0; i < copies; i++) {
      if (i > 0) await new Promise<void>((r) => this.timers.setTimeout(() => r(), o.gapMs ?? 20));
      this.swim.leave();
    }
  }

  on(event: 'change', listener: MembershipListener): this {
    this.listeners.add(event, listener);
    return this;
  }

  off(_event: 'change', listener: MembershipListener): this {
    this.listeners.delete(listener);
    return this;
  }

  /** This speaker's heartbeat without an echo; encoding it checks that the local state is sendable. */
  private heartbeat(): Heartbeat {
    return {
      node: this.o.node,
      incarnation: this.o.incarnation,
      sequence: this.sequence,
      draining: this.local.draining,
      ...(this.local.ready === false ? { notReady: true } : {}),
      interfaces: this.local.interfaces,
      announcing: this.local.announcing,
      heartbeatAddress: this.o.heartbeat.address,
      heartbeatPort: this.o.heartbeat.port,
    };
  }

  /** Version-1 heartbeats go to version-1 peers only (all of them when forced to version 1). */
  private v1Targets(now: number): HeartbeatTarget[] {
    return this.swim ? this.table.targets().filter((t) => this.protocolOf(t.node, now) === 'v1') : this.table.targets();
  }

  /**
   * A version-1 peer may have appeared (its heartbeat, its Lease, its Lease gone): the version-1 cadence
   * resumes if it had stopped for want of one. Those are the only ways a peer becomes a version-1 target.
   */
  private resumeV1(): void {
    if (!this.running || !this.socket || this.sendTimer !== undefined) return;
    const now = this.now();
    if (this.v1Targets(now).length === 0) return;
    this.sendTimer = this.timers.setTimeout(() => this.tick(), Math.max(0, this.nextSendAt - now));
  }

  private tick(): void {
    this.sendTimer = undefined;
    if (!this.running || !this.socket) return;
    const now = this.now();
    const targets = this.v1Targets(now);
    // A version-2 speaker with no version-1 peer has nothing to send: the cadence stops until resumeV1 (an
    // idle speaker's membership thread woke ten times a second for nothing; issue 11, goal 7).
    if (this.swim && targets.length === 0) return;
    this.sequence++;
    const base = this.heartbeat();
    for (const t of targets) {
      // Each peer gets the echo of its own last heartbeat, for its round-trip estimate.
      const echo = this.table.echoFor(t.node, now);
      this.send(encodeHeartbeat(echo ? { ...base, echo } : base), t);
    }
    this.table.recordSent(this.sequence, now);
    this.metrics.sent.inc(targets.length);
    // Fixed cadence; after a stall (GC, suspended VM) skip the missed beats rather than burst them.
    this.nextSendAt += this.intervalMs;
    if (this.nextSendAt <= now) this.nextSendAt = now + this.intervalMs;
    this.sendTimer = this.timers.setTimeout(() => this.tick(), this.nextSendAt - now);
  }

  /** Every datagram leaves here: withheld (and counted) while `maySend` says no. */
  private send(payload: Uint8Array, to: DatagramEndpoint): void {
    if (this.o.maySend && !this.o.maySend()) {
      this.metrics.withheld.inc();
      return;
    }
    this.socket?.send(payload, to);
  }

  private onHeartbeat(hb: Heartbeat, from: DatagramEndpoint): void {
    if (!this.running) return;
    const now = this.now();
    const r = this.table.observeHeartbeat(hb, now);
    if (!r.ok) return this.reject(r.error.reason, r.error.message, from);
    this.metrics.received.inc();
    if (this.swim) {
      const wasV1 = this.protocols.v1Heartbeat(hb.node, hb.incarnation, now);
      // It speaks version 1: the ring must not expect version-2 heartbeats from it.
      if (!wasV1) {
        this.swim.forget(hb.node);
        this.refresh();
      }
      this.resumeV1();
    }
    if (r.value.rttSampleMs !== undefined) this.metrics.rtt.observe(r.value.rttSampleMs / 1000);
    if (r.value.changed) this.refresh();
    else if (this.deadlineAt === undefined) this.armDeadline(this.now());
  }

  private reject(reason: HeartbeatRejectReason, message: string, from: DatagramEndpoint): void {
    this.metrics.rejected.inc({ reason });
    this.o.log.debug({ event: 'heartbeatRejected', reason, from: `${from.address}:${from.port}`, err: message }, 'heartbeat rejected');
  }

  private startLeases(leases: MembershipLeases): void {
    leases.start({
      state: () => ({
        heartbeatAddress: this.o.heartbeat.address,
        heartbeatPort: this.o.heartbeat.port,
        incarnation: this.o.incarnation,
        draining: this.local.draining,
        ready: this.local.ready ?? true,
        interfaces: this.local.interfaces,
        ...(this.swim ? { membership: membershipMarker(this.o.incarnation) } : {}),
      }),
      onUpsert: (seen) => this.onLease(seen, leases.durationMs),
      onDelete: (node) => {
        if (!this.running) return;
        this.table.forgetLease(node, this.now());
        this.protocols.leaseDeleted(node);
        if (this.heldDown(node)) this.swim?.forget(node);
        this.refresh();
        this.resumeV1();
      },
      onRenewal: (result) => this.metrics.leaseRenewals.inc({ result }),
      onRestart: (reason) => this.metrics.leaseWatchRestarts.inc({ reason }),
      ...(this.o.maySend ? { mayRenew: this.o.maySend } : {}),
    });
  }

  private onLease(seen: SpeakerLeaseSeen, defaultDurationMs: number): void {
    if (!this.running || seen.info.node === this.o.node) return;
    const now = this.now();
    const { info } = seen;
    // renewTime is the peer's wall clock; its age on our wall clock places it on the monotonic one.
    const renewTimeMs = seen.renewTimeWallMs === undefined ? Number.NEGATIVE_INFINITY : now - (this.wallNow() - seen.renewTimeWallMs);
    const facts: LeaseFacts = {
      renewTimeMs,
      durationMs: info.durationMs ?? defaultDurationMs,
      draining: info.draining,
      ready: info.ready,
      ...(info.heartbeatAddress === undefined ? {} : { heartbeatAddress: info.heartbeatAddress }),
      ...(info.heartbeatPort === undefined ? {} : { heartbeatPort: info.heartbeatPort }),
      ...(info.interfaces === undefined ? {} : { interfaces: info.interfaces }),
      ...(info.incarnation === undefined ? {} : { incarnation: info.incarnation }),
    };
    this.table.observeLease(info.node, facts, now);
    this.protocols.lease(info);
    this.resumeV1();
    // Only a live Lease makes a node a ring member: a node whose Lease ran out is dead by its Lease (as in
    // version 1) until it speaks again; if it does, it is asked for its state (SyncRequest).
    if (info.heartbeatAddress !== undefined && renewTimeMs + facts.durationMs > now) {
      this.learnSwim(info.node, {
        address: info.heartbeatAddress, port: info.heartbeatPort ?? this.o.heartbeat.port, incarnation: info.incarnation ?? 0,
        draining: info.draining, ready: info.ready, ...(info.interfaces ? { interfaces: info.interfaces } : {}),
      });
    }
    this.refresh();
  }

  /** Recomputes the view; on transitions updates gauges, logs, and tells listeners. Re-arms the deadline timer. */
  private refresh(): void {
    if (!this.running) return;
    const now = this.now();
    const view = this.currentView(now);
    const transitions = diffViews(this.lastView, view);
    if (transitions.length > 0) {
      const previous = this.lastView;
      this.lastView = view;
      const peers = view.peers.filter((p) => !p.self);
      this.metrics.peersAlive.set(peers.filter((p) => p.alive).length);
      this.metrics.peersKnown.set(peers.length);
      this.metrics.heartbeatsBroken.set(peers.filter((p) => p.heartbeatsBroken).length);
      for (const t of transitions) this.logTransition(t, view, previous, now);
      this.listeners.emit(view, transitions);
    }
    this.armDeadline(now);
  }

  private logTransition(t: PeerTransition, view: MembershipView, previous: MembershipView | undefined, now: number): void {
    this.metrics.transitions.inc({ change: t.change });
    const p = view.peers.find((x) => x.node === t.node) ?? previous?.peers.find((x) => x.node === t.node);
    const fields = {
      event: LOG_EVENT[t.change],
      peer: t.node,
      judgedBy: p?.judgedBy,
      incarnation: p?.incarnation,
      ...(p?.lastHeartbeatMs === undefined ? {} : { lastHeartbeatAgoMs: Math.round(now - p.lastHeartbeatMs) }),
    };
    if (t.change === 'PeerDead') this.o.log.warn(fields, `peer ${t.node} is dead`);
    else if (t.change === 'PeerLeft') this.o.log.info(fields, `peer ${t.node} left (its speaker stopped on purpose)`);
    else if (t.change === 'HeartbeatsBroken') this.o.log.warn(fields, `no heartbeat ever arrived from ${t.node}; judging it by its Lease`);
    else if (p?.self) this.o.log.debug(fields, `this node: ${t.change}`);
    else this.o.log.info(fields, `peer ${t.node}: ${t.change}`);
  }

  private armDeadline(now: number): void {
    const tableNext = this.table.nextDeadline(now);
    // A peer's protocol also changes with time alone (its last version-1 heartbeat stops being recent).
    const protocolNext = this.swim ? this.protocols.nextChange(now) : undefined;
    const next = tableNext === undefined ? protocolNext : protocolNext === undefined ? tableNext : Math.min(tableNext, protocolNext);
    if (next === this.deadlineAt) return;
    this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineAt = next;
    if (next === undefined) return;
    this.deadlineTimer = this.timers.setTimeout(() => {
      this.deadlineAt = undefined;
      this.refresh();
    }, Math.max(0, next - now));
  }
}
