import { err, ok, type Result } from '../result.js';
import { acceptHeartbeat } from './acceptHeartbeat.js';
import type { Heartbeat, HeartbeatEcho, HeartbeatInterface } from './heartbeat.js';
import { heartbeatError, type HeartbeatError, type ObserveRejectReason } from './heartbeatReason.js';
import { compareText, diffViews, type MembershipView, type PeerView } from './membershipView.js';
import { SentLog } from './sentLog.js';

/** What a node's Lease says, with renewTime already on this table's clock (the adapter converts). */
export interface LeaseFacts {
  readonly renewTimeMs: number;
  readonly durationMs: number;
  readonly heartbeatAddress?: string;
  readonly heartbeatPort?: number;
  /** Published so that a peer judged by its Lease can still be an election candidate. */
  readonly draining?: boolean;
  /** Absent reads as ready (see SpeakerLeaseInfo.ready). */
  readonly ready?: boolean;
  readonly interfaces?: readonly HeartbeatInterface[];
  /** The incarnation the peer published at start: heartbeats of older ones are replays (acceptHeartbeat). */
  readonly incarnation?: number;
}

export interface HeartbeatTarget {
  readonly node: string;
  readonly address: string;
  readonly port: number;
}

export interface LocalState {
  readonly draining: boolean;
  /** Absent reads as ready. */
  readonly ready?: boolean;
  readonly interfaces: readonly HeartbeatInterface[];
  readonly announcing: readonly string[];
}

export interface PeerTableOptions {
  readonly self: { readonly node: string; readonly incarnation: number };
  /** A peer is alive while its last accepted heartbeat is younger than this (5 × interval). */
  readonly deadAfterMs: number;
  /** A peer with neither a Lease nor a static entry is dropped after being dead this long. Default 10 min. */
  readonly forgetAfterMs?: number;
  /** Heartbeats whose send time is remembered for round-trip estimates. Default 64. */
  readonly sentLogSize?: number;
}

export interface HeartbeatAccepted {
  readonly node: string;
  /** Whether this peer's entry in `view()` changed in a way `diffViews` reports. */
  readonly changed: boolean;
  /** A fresh round-trip sample if the heartbeat echoed one of ours. */
  readonly rttSampleMs?: number;
}

export type ObserveResult = Result<HeartbeatAccepted, HeartbeatError<ObserveRejectReason>>;

interface LastHeartbeat {
  readonly incarnation: number;
  readonly sequence: number;
  readonly atMs: number;
  readonly draining: boolean;
  readonly ready: boolean;
  readonly interfaces: readonly HeartbeatInterface[];
  readonly announcing: readonly string[];
  readonly address: string;
  readonly port: number;
}

interface PeerRecord {
  readonly node: string;
  knownSinceMs: number;
  lease?: LeaseFacts;
  staticAddress?: { readonly address: string; readonly port: number };
  heartbeat?: LastHeartbeat;
  rttMs?: number;
  retired?: number[];
}

const RTT_GAIN = 1 / 8; // RFC 6298's alpha: smooth, but follow a real change within a second or two.

const normalInterfaces = (list: readonly HeartbeatInterface[]): HeartbeatInterface[] =>
  list.map((i) => ({ name: i.name, subnets: [...i.subnets].sort(compareText), ...(i.mac === undefined ? {} : { mac: i.mac }) })).sort((a, b) => compareText(a.name, b.name));

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Who is alive, decided from heartbeats and Leases on an injected clock. No I/O and no timers: the adapter
 * feeds observations with `nowMs`, reads `view(nowMs)`, and sets one timer for `nextDeadline(nowMs)`.
 *
 * A peer that has sent at least one valid heartbeat (since this table was created) is judged by
 * heartbeats alone: alive while the last one is younger than `deadAfterMs`, whatever its Lease says, so
 * a node cut off from the LAN drops out even while its Lease, renewed over another network, stays fresh.
 * A peer never heard from is alive while its Lease is fresh, and flagged `heartbeatsBroken` once this
 * table has known it for `deadAfterMs` without a heartbeat.
 */
export class PeerTable {
  private readonly peers = new Map<string, PeerRecord>();
  private readonly sent: SentLog;
  private local: LocalState & { ready: boolean } = { draining: false, ready: true, interfaces: EMPTY, announcing: EMPTY };
  private readonly deadAfterMs: number;
  private readonly forgetAfterMs: number;

  constructor(private readonly o: PeerTableOptions) {
    if (!(o.deadAfterMs > 0)) throw new RangeError(`deadAfterMs must be positive, not ${o.deadAfterMs}`);
    this.deadAfterMs = o.deadAfterMs;
    this.forgetAfterMs = o.forgetAfterMs ?? 600_000;
    if (!(this.forgetAfterMs >= this.deadAfterMs)) throw new RangeError(`forgetAfterMs (${this.forgetAfterMs}) must be at least deadAfterMs (${this.deadAfterMs})`);
    this.sent = new SentLog(o.sentLogSize ?? 64);
  }

  get self(): { readonly node: string; readonly incarnation: number } {
    return this.o.self;
  }

  /** This speaker's own state, shown in its own view entry. */
  setLocal(state: LocalState): void {
    this.local = { draining: state.draining, ready: state.ready ?? true, interfaces: normalInterfaces(state.interfaces), announcing: [...state.announcing].sort(compareText) };
  }

  /** A decoded, correctly signed heartbeat arrived. */
  observeHeartbeat(hb: Heartbeat, nowMs: number): ObserveResult {
    if (hb.node === this.o.self.node) {
      const who = hb.incarnation === this.o.self.incarnation ? 'our own heartbeat came back' : `another speaker (incarnation ${hb.incarnation}) uses our node name`;
      return err(heartbeatError('FromSelf', `heartbeat names this node, ${hb.node}: ${who}`));
    }
    const existing = this.peers.get(hb.node);
    const last = existing?.heartbeat;
    const verdict = acceptHeartbeat({
      heartbeat: hb,
      ...(last ? { last } : {}),
      ...(existing?.lease?.incarnation === undefined ? {} : { leaseIncarnation: existing.lease.incarnation }),
      ...(existing?.retired ? { retired: existing.retired } : {}),
      nowMs,
      deadAfterMs: this.deadAfterMs,
    });
    if (!verdict.ok) return verdict;
    const before = existing ? this.peerView(existing, nowMs) : undefined;
    const rec = existing ?? this.add(hb.node, nowMs);
    if (last && last.incarnation !== hb.incarnation) delete rec.rttMs;
    // A smaller incarnation replaced a larger one (clock stepped back): the larger one must stay dead.
    if (last && hb.incarnation < last.incarnation) rec.retired = [...(rec.retired ?? []), last.incarnation].slice(-4);
    rec.heartbeat = {
      incarnation: hb.incarnation,
      sequence: hb.sequence,
      atMs: nowMs,
      draining: hb.draining,
      ready: !hb.notReady,
      interfaces: normalInterfaces(hb.interfaces),
      announcing: [...hb.announcing].sort(compareText),
      address: hb.heartbeatAddress,
      port: hb.heartbeatPort,
    };
    const rttSampleMs = this.rttSample(hb.echo, nowMs);
    if (rttSampleMs !== undefined) rec.rttMs = rec.rttMs === undefined ? rttSampleMs : rec.rttMs + (rttSampleMs - rec.rttMs) * RTT_GAIN;
    const changed = before === undefined || this.entryChanged(before, this.peerView(rec, nowMs));
    return ok(rttSampleMs === undefined ? { node: hb.node, changed } : { node: hb.node, changed, rttSampleMs });
  }

  /** The node's Lease was listed or changed. Leases of this node itself are ignored. */
  observeLease(node: string, lease: LeaseFacts, nowMs: number): void {
    if (node === this.o.self.node) return;
    const rec = this.peers.get(node) ?? this.add(node, nowMs);
    // A new process (larger incarnation) with no heartbeat of it yet: its first heartbeat is due from
    // now, not from when we first heard of the node (a restart is not "heartbeats broken").
    const before = rec.lease?.incarnation;
    if (before !== undefined && lease.incarnation !== undefined && lease.incarnation > before && (rec.heartbeat?.incarnation ?? -1) < lease.incarnation) rec.knownSinceMs = nowMs;
    rec.lease = lease;
  }

  /** The node's Lease was deleted. A peer with nothing else to go by is forgotten now. */
  forgetLease(node: string, nowMs: number): void {
    const rec = this.peers.get(node);
    if (!rec) return;
    delete rec.lease;
    this.prune(nowMs);
  }

  /** A peer address from configuration (a fixed peer list, or tests without an API server). */
  addStaticPeer(target: HeartbeatTarget, nowMs: number): void {
    if (target.node === this.o.self.node) return;
    const rec = this.peers.get(target.node) ?? this.add(target.node, nowMs);
    rec.staticAddress = { address: target.address, port: target.port };
  }

  /** Our heartbeat `sequence` left now; an echo of it later yields a round trip. */
  recordSent(sequence: number, nowMs: number): void {
    this.sent.record(sequence, nowMs);
  }

  /** What to echo to `node` in the next heartbeat sent to it, if we hear it. */
  echoFor(node: string, nowMs: number): HeartbeatEcho | undefined {
    const hb = this.peers.get(node)?.heartbeat;
    if (!hb || nowMs - hb.atMs >= this.deadAfterMs) return undefined;
    return { incarnation: hb.incarnation, sequence: hb.sequence, holdMs: nowMs - hb.atMs };
  }

  /**
   * Where to send heartbeats: every known peer, dead ones included (they need ours to see us when they
   * come back). The address a peer last advertised in a heartbeat wins over its Lease, then static config.
   */
  targets(): HeartbeatTarget[] {
    const out: HeartbeatTarget[] = [];
    for (const rec of this.peers.values()) {
      const a = rec.heartbeat
        ? { address: rec.heartbeat.address, port: rec.heartbeat.port }
        : rec.lease?.heartbeatAddress !== undefined && rec.lease.heartbeatPort !== undefined
          ? { address: rec.lease.heartbeatAddress, port: rec.lease.heartbeatPort }
          : rec.staticAddress;
      if (a) out.push({ node: rec.node, address: a.address, port: a.port });
    }
    return out.sort((a, b) => compareText(a.node, b.node));
  }

  view(nowMs: number): MembershipView {
    this.prune(nowMs);
    const peers = [this.selfView(), ...[...this.peers.values()].map((r) => this.peerView(r, nowMs))];
    return { atMs: nowMs, peers: peers.sort((a, b) => compareText(a.node, b.node)) };
  }

  /** The earliest time after `nowMs` at which `view` can change without a new observation, if any. */
  nextDeadline(nowMs: number): number | undefined {
    this.prune(nowMs);
    let next = Infinity;
    const consider = (t: number) => {
      if (t > nowMs && t < next) next = t;
    };
    for (const rec of this.peers.values()) {
      if (rec.heartbeat) {
        consider(rec.heartbeat.atMs + this.deadAfterMs);
        if (this.forgettable(rec)) consider(rec.heartbeat.atMs + this.forgetAfterMs);
      } else if (rec.lease) {
        const expires = rec.lease.renewTimeMs + rec.lease.durationMs;
        consider(expires);
        if (nowMs < expires) consider(rec.knownSinceMs + this.deadAfterMs);
      }
    }
    return next === Infinity ? undefined : next;
  }

  private add(node: string, nowMs: number): PeerRecord {
    const rec: PeerRecord = { node, knownSinceMs: nowMs };
    this.peers.set(node, rec);
    return rec;
  }

  private forgettable(rec: PeerRecord): boolean {
    return rec.lease === undefined && rec.staticAddress === undefined;
  }

  private prune(nowMs: number): void {
    for (const [node, rec] of this.peers) {
      if (!this.forgettable(rec)) continue;
      if (!rec.heartbeat || nowMs - rec.heartbeat.atMs >= this.forgetAfterMs) this.peers.delete(node);
    }
  }

  private rttSample(echo: HeartbeatEcho | undefined, nowMs: number): number | undefined {
    if (!echo || echo.incarnation !== this.o.self.incarnation) return undefined;
    const sentAt = this.sent.sentAt(echo.sequence);
    if (sentAt === undefined) return undefined;
    const sample = nowMs - sentAt - echo.holdMs;
    return sample >= 0 ? sample : undefined;
  }

  private entryChanged(before: PeerView, after: PeerView): boolean {
    return diffViews({ atMs: 0, peers: [before] }, { atMs: 0, peers: [after] }).length > 0;
  }

  private selfView(): PeerView {
    return {
      node: this.o.self.node,
      self: true,
      alive: true,
      judgedBy: 'Self',
      draining: this.local.draining,
      ready: this.local.ready,
      interfaces: this.local.interfaces,
      announcing: this.local.announcing,
      heartbeatsBroken: false,
      incarnation: this.o.self.incarnation,
    };
  }

  private peerView(rec: PeerRecord, nowMs: number): PeerView {
    const hb = rec.heartbeat;
    if (hb) {
      const view: PeerView = {
        node: rec.node,
        self: false,
        alive: nowMs - hb.atMs < this.deadAfterMs,
        judgedBy: 'Heartbeat',
        draining: hb.draining,
        ready: hb.ready,
        interfaces: hb.interfaces,
        announcing: hb.announcing,
        heartbeatsBroken: false,
        incarnation: hb.incarnation,
        lastHeartbeatMs: hb.atMs,
      };
      return rec.rttMs === undefined ? view : { ...view, rttMs: rec.rttMs };
    }
    const lease = rec.lease;
    const fresh = lease !== undefined && nowMs < lease.renewTimeMs + lease.durationMs;
    return {
      node: rec.node,
      self: false,
      alive: fresh,
      judgedBy: lease ? 'Lease' : 'Nothing',
      draining: lease?.draining ?? false,
      ready: lease?.ready ?? true,
      interfaces: lease?.interfaces ? normalInterfaces(lease.interfaces) : EMPTY,
      announcing: EMPTY,
      heartbeatsBroken: fresh && nowMs - rec.knownSinceMs >= this.deadAfterMs,
    };
  }
}
