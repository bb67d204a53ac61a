import { encodeSwimMessage, fitNodeState, SwimCodecCache, SwimMember, type MembershipView, type NodeState, type Outbound, type SwimLocalState, type SwimMessage, type SwimTuning } from '@herald/core';
import type { Logger } from 'pino';
import type { MembershipMetrics } from './membershipMetrics.js';
import type { Timers } from './timers.js';
import type { DatagramEndpoint } from './udpDatagrams.js';

/** SyncRequests to peers known only from their Lease, per look (twice a second; a cold start of a large cluster). */
const ASK_UNKNOWN_PER_LOOK = 16;

export interface SwimMembershipOptions {
  readonly self: { readonly node: string; readonly incarnation: number; readonly address: string; readonly port: number };
  readonly local: SwimLocalState;
  readonly tuning?: Partial<SwimTuning>;
  readonly now: () => number;
  readonly timers: Timers;
  readonly log: Logger;
  readonly metrics: MembershipMetrics;
  /** Signs and sends one encoded version-2 payload (HeartbeatSocket.send). */
  send(payload: Uint8Array, to: DatagramEndpoint): void;
  /** The view may have changed (a death, a refutation, a peer's new state). */
  onChange(): void;
}

/**
 * The version-2 membership (docs/adr/0012-scalable-membership.md) on real time: feeds received messages
 * and the clock to the pure SwimMember in core, sends what it returns, and runs one timer at its next
 * deadline. Decides nothing itself.
 *
 * The judging `tick` runs from setImmediate after the timer fires: datagrams that queued in the socket
 * while the event loop was blocked are processed first, so a stall of this process does not read as
 * silence of its peers.
 */
export class SwimMembership {
  readonly member: SwimMember;
  private timer: unknown;
  private timerAt: number | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  private trimmedLogged = 0;
  private askedUnknownAt = -Infinity;
  /**
   * Where each node's datagrams last came from: the address to answer when the member holds none for it
   * (a speaker restarted without the API knows no peer until one speaks to it; its SyncRequest must reach).
   */
  private readonly seenAt = new Map<string, DatagramEndpoint>();
  /** A State (up to thousands of announced addresses) is encoded once, not once per datagram carrying it. */
  private readonly codec = new SwimCodecCache();

  constructor(private readonly o: SwimMembershipOptions) {
    const now = o.now();
    this.member = new SwimMember({ self: o.self, local: this.fit(o.local), nowMs: now, ...(o.tuning ? { tuning: o.tuning } : {}) });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.send(this.member.join(this.o.now()));
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.o.timers.clearTimeout(this.timer);
    this.timerAt = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  receive(m: SwimMessage, from: DatagramEndpoint): void {
    if (!this.running) return;
    const versionBefore = this.member.self.version;
    const reachedBefore = this.member.reached();
    const alone = this.member.knownNodes().next().done === true;
    const now = this.o.now();
    const r = this.member.receive(m, now);
    if (r.dropped) {
      this.o.metrics.swimDropped.inc({ reason: r.dropped });
      return;
    }
    this.o.metrics.swimReceived.inc({ type: m.type });
    if (!reachedBefore && this.member.reached()) {
      this.o.metrics.answered.set(1);
      this.o.log.info({ event: 'membershipAnswered', by: m.from, type: m.type }, `${m.from} answered a datagram of ours: peers are judged by the ring from now on`);
    }
    // Version 2's round trip (one probe a second to a ring predecessor): the histogram version 1's echoes fill.
    if (r.rttSampleMs !== undefined) this.o.metrics.rtt.observe(r.rttSampleMs / 1000);
    if (this.member.addressOf(m.from) === undefined) this.seenAt.set(m.from, from);
    else this.seenAt.delete(m.from);
    // Our version moves only by setLocal (not here) or by refuting a notice of our own death.
    if (this.member.self.version !== versionBefore) {
      this.o.metrics.swimRefutations.inc();
      this.o.log.warn({ event: 'membershipDeathRefuted', by: m.from, version: this.member.self.version }, `${m.from} told us we are dead; refuted with state version ${this.member.self.version}`);
    }
    this.send(r.out);
    // We knew no one (started without the API or peers) and now do: join through them, so that every
    // member learns our State (a SyncReply is not passed on, a pushed join notice is).
    if (alone && this.member.knownNodes().next().done !== true) this.send(this.member.join(now));
    if (r.changed) this.o.onChange();
    this.arm();
  }

  /** A node learnt from its Lease (or static configuration): alive unless something newer is known. */
  learn(state: NodeState): void {
    const now = this.o.now();
    const first = this.member.knownNodes().next().done === true;
    if (!this.member.learn(state, now)) return;
    // The first peer known (usually from the first Lease listed): join through it — push our State and
    // ask it for every node's (SyncRequest). A Lease carries no announced addresses nor MACs, and peers
    // that are not our ring predecessors never heartbeat us, so this is how we learn their state.
    if (first && this.running) this.send(this.member.join(now));
    this.arm();
  }

  /** Whether a member has answered a datagram of ours (SwimMember.reached). */
  reached(): boolean {
    return this.member.reached();
  }

  /** The state version held for `node`: 0 while it is known only from its Lease or configuration. */
  versionOf(node: string): number | undefined {
    return this.member.versionOf(node);
  }

  /** A node whose Lease is gone, or that turned out to speak version 1. */
  forget(node: string): boolean {
    this.seenAt.delete(node);
    const known = this.member.forget(node, this.o.now());
    if (known) this.arm();
    return known;
  }

  status(node: string): ReturnType<SwimMember['status']> {
    return this.member.status(node);
  }

  /** This node stops on purpose: one copy of its Leave notice (SwimMember.leave), sent now. */
  leave(): void {
    if (this.running) this.send(this.member.leave());
  }

  setLocal(local: SwimLocalState): void {
    this.send(this.member.setLocal(this.fit(local), this.o.now()));
    if (this.running) this.arm();
  }

  view(now: number): MembershipView {
    return this.member.view(now);
  }

  /** Version 1 already trimmed to its datagram (fitHeartbeat); version 2's State has a little less room. */
  private fit(local: SwimLocalState): SwimLocalState {
    const self = this.o.self;
    const { state, trimmedAnnouncing } = fitNodeState({ node: self.node, incarnation: self.incarnation, version: 1, address: self.address, port: self.port, ...local });
    if (trimmedAnnouncing > 0 && trimmedAnnouncing !== this.trimmedLogged) {
      this.o.metrics.heartbeatTrimmed.inc({ part: 'announcing' }, trimmedAnnouncing);
      this.o.log.warn({ event: 'heartbeatStateTrimmed', protocol: 'v2', announcing: trimmedAnnouncing, of: local.announcing.length }, 'local state does not fit one membership datagram; publishing the part that does');
    }
    this.trimmedLogged = trimmedAnnouncing;
    return { draining: state.draining, ready: state.ready, interfaces: state.interfaces, announcing: state.announcing };
  }

  private tick(): void {
    this.immediate = undefined;
    if (!this.running) return;
    const now = this.o.now();
    const r = this.member.tick(now);
    // Peers still known only from their Lease are asked for their State (bounded, once a second each);
    // looked for twice a second, not every tick: it walks the whole table.
    if (now - this.askedUnknownAt >= 500) {
      this.askedUnknownAt = now;
      r.out.push(...this.member.askUnknown(now, ASK_UNKNOWN_PER_LOOK));
    }
    for (const o of r.out) if (o.message.type === 'Probe' && o.message.target === o.to && !this.member.isRoundTripProbe(o.message.id)) this.o.metrics.swimSuspicions.inc();
    if (r.declared.length > 0) {
      this.o.metrics.swimDeclared.inc(r.declared.length);
      for (const d of r.declared) this.o.log.warn({ event: 'membershipDeathDeclared', peer: d.node, incarnation: d.incarnation, version: d.version }, `declared ${d.node} dead: silent and unreachable by direct and indirect probes`);
    }
    this.send(r.out);
    if (r.changed) this.o.onChange();
    this.arm();
  }

  /** One timer at the member's next deadline; an earlier one already set is kept (an early tick is harmless). */
  private arm(): void {
    if (!this.running || this.immediate) return;
    const next = this.member.nextDeadline();
    if (this.timerAt !== undefined && this.timerAt <= next) return;
    this.o.timers.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = this.o.timers.setTimeout(() => {
      this.timerAt = undefined;
      // Drain first: datagrams queued while the loop was blocked are handled before we judge silence.
      this.immediate = setImmediate(() => this.tick());
    }, Math.max(0, next - this.o.now()));
  }

  private send(out: readonly Outbound[]): void {
    for (const o of out) {
      const to = this.member.addressOf(o.to) ?? this.seenAt.get(o.to);
      if (!to) continue;
      let payload: Uint8Array;
      try {
        payload = encodeSwimMessage(o.message, this.codec);
      } catch (e) {
        // A state that cannot be encoded is a bug in trimming; never crash the speaker over it.
        this.o.log.error({ event: 'membershipEncodeFailed', type: o.message.type, to: o.to, err: (e as Error).message }, 'could not encode a membership datagram');
        continue;
      }
      this.o.metrics.swimSent.inc({ type: o.message.type });
      if (o.message.type === 'Probe' && o.message.target === o.to) this.o.metrics.swimProbes.inc({ path: this.member.isRoundTripProbe(o.message.id) ? 'roundTrip' : 'direct' });
      else if (o.message.type === 'ProbeRequest') this.o.metrics.swimProbes.inc({ path: 'indirect' });
      this.o.send(payload, to);
    }
  }
}
