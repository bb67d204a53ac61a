import {
  addressBytes, AnswerTable, encodeArpFrame, formatAddress, gratuitousArp, ProvisionalAnswers, unsolicitedNeighborAdvertisement,
  type AnswerChange, type AnswerLink, type IPAddress, type ProvisionalAddress, type StandbyAddress, type WireContext,
} from '@herald/core';
import type { Logger } from 'pino';
import type { Icmp6Socket, PacketSocket } from '../native/index.js';
import { answerArp, answerNdp, type AnswerOutcomes } from './answerRequest.js';
import type { AnswerCount, FromAnswerer } from './answerThreadProtocol.js';
import type { SocketFactory } from './interfaceResponder.js';

export interface AnswererOptions {
  readonly sockets: SocketFactory;
  readonly log: Logger;
  /** Claims, counts and socket failures for the main thread. */
  readonly report: (m: FromAnswerer) => void;
  /**
   * False while the main thread is wedged beyond its bound (the membership worker's MainLoopWatch): peers
   * then declare this node dead and take its addresses, so it must stop answering for them too.
   */
  readonly mayAnswer?: () => boolean;
  /** Counts are batched this long before they are reported (default 100 ms). */
  readonly countsFlushMs?: number;
  /**
   * How long an address taken over at a peer's death is answered without the announcer's word (default
   * 2,000 ms, the hand-over timeout: the longest two nodes answer one address today). Normally the main
   * thread confirms or releases it within one election round.
   */
  readonly provisionalHoldMs?: number;
  /** Clock for the provisional hold (default Date.now). */
  readonly now?: () => number;
}

interface LinkSockets {
  readonly link: AnswerLink;
  readonly context: WireContext;
  readonly outcomes: AnswerOutcomes;
  arp: PacketSocket | undefined;
  ndp: PacketSocket | undefined;
  icmp6: Icmp6Socket | undefined;
}

/**
 * Reads ARP requests and neighbour solicitations and answers them, off the main thread (it runs in the
 * membership worker): what is owned comes from the announcer's changes through an AnswerTable (core), each
 * frame goes through answerArp / answerNdp (the receive path InterfaceResponder uses on the main thread);
 * this class opens the sockets the table asks for and batches the counts. The main thread keeps the sockets that hold the solicited-node link-layer groups, the MLD
 * reports and the gratuitous announcements (InterfaceResponder with `answers`).
 */
export class Answerer {
  private readonly table = new AnswerTable();
  private readonly links = new Map<number, LinkSockets>();
  private counts = new Map<string, AnswerCount>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly provisional: ProvisionalAnswers;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AnswererOptions) {
    this.provisional = new ProvisionalAnswers({ holdMs: o.provisionalHoldMs ?? 2_000 });
  }

  /** The announcer's changes, in order. */
  apply(changes: readonly AnswerChange[]): void {
    for (const c of changes) {
      this.applyOne(c);
      this.provisional.announcerChanged(c, this.table);
    }
  }

  /** The announcer's standby plan: what to answer at once when each peer dies (standbyPlan). */
  setPlan(plan: ReadonlyMap<string, readonly StandbyAddress[]>): void {
    this.provisional.setPlan(plan);
  }

  /**
   * `peer` was declared dead (this thread's membership said so): its planned addresses are answered now,
   * then announced with gratuitous ARP / unsolicited NA, without waiting for the main thread (issue 11:
   * its election round and the acknowledgement's round trip each wait for a CPU on a busy host). Answering
   * first, then the packets: make before break. Nothing while the main thread is wedged beyond its bound
   * (peers are taking this node's addresses). Returns what was taken over, for the main thread to confirm.
   */
  takeOver(peer: string): ProvisionalAddress[] {
    if (this.o.mayAnswer && !this.o.mayAnswer()) return [];
    const changes = this.provisional.takeOver(peer, this.now(), this.table);
    if (changes.length === 0) return [];
    const taken: ProvisionalAddress[] = [];
    for (const c of changes) {
      this.applyOne(c);
      if (c.op !== 'add') continue;
      if (!this.table.owns(c.ifindex, c.address)) continue;
      taken.push({ ifindex: c.ifindex, address: c.address });
      const l = this.links.get(c.ifindex);
      if (l) this.announce(l, c.address);
    }
    this.armHold();
    this.o.log.info({ event: 'standbyTakeover', peer, addresses: taken.map((t) => formatAddress(t.address)) }, `answering ${peer}'s addresses at its death, before the election confirms`);
    return taken;
  }

  /** The main thread's election did not give these to this node: stop answering those still provisional. */
  release(addresses: readonly ProvisionalAddress[]): void {
    const changes = this.provisional.release(addresses, this.table);
    for (const c of changes) this.applyOne(c);
    const removed = changes.flatMap((c) => (c.op === 'remove' ? [formatAddress(c.address)] : []));
    if (removed.length > 0) this.o.log.info({ event: 'standbyReleased', addresses: removed }, 'stopped answering addresses taken over at a death: the election gave them to another node or to none');
  }

  /**
   * `peer` is alive again here (it refuted its death): whatever was taken over from it and is still
   * provisional stops being answered now; the owner announces it again on its own conflict check.
   */
  peerAlive(peer: string): void {
    const changes = this.provisional.peerAlive(peer, this.table);
    for (const c of changes) this.applyOne(c);
    const removed = changes.flatMap((c) => (c.op === 'remove' ? [formatAddress(c.address)] : []));
    if (removed.length > 0) this.o.log.info({ event: 'standbyReverted', peer, addresses: removed }, `stopped answering addresses taken over at ${peer}'s death: it is alive again`);
  }

  /** Closes every socket and reports the last counts: nothing is read or sent after this. */
  close(): void {
    for (const l of this.links.values()) this.closeSockets(l);
    this.links.clear();
    clearTimeout(this.flushTimer);
    clearTimeout(this.holdTimer);
    this.flush();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private applyOne(c: AnswerChange): void {
    const ifindex = c.op === 'open' ? c.link.ifindex : c.ifindex;
    for (const effect of this.table.apply(c)) {
      try {
        this.effect(effect, ifindex, c.op === 'open' ? c.link : undefined);
      } catch (e) {
        const err = e as Error & { code?: string };
        const ifname = this.table.link(ifindex)?.ifname ?? this.links.get(ifindex)?.link.ifname ?? String(ifindex);
        this.o.log.warn({ event: 'answerSocketFailed', interface: ifname, code: err.code, err: err.message }, 'the answering thread could not open a socket');
        this.o.report({ type: 'socketFailed', interface: ifname, code: err.code ?? 'unknown', message: err.message });
      }
    }
  }

  /** One announcement, as InterfaceResponder.announce sends it: GARP request and reply, or one unsolicited NA. */
  private announce(l: LinkSockets, a: IPAddress): void {
    try {
      if (a.family === 4) {
        const { request, reply } = gratuitousArp(l.link.mac, a);
        l.arp?.send(encodeArpFrame(request));
        l.arp?.send(encodeArpFrame(reply));
        this.count(['gratuitousSent', 'IPv4', 2]);
      } else if (l.icmp6) {
        const na = unsolicitedNeighborAdvertisement(a, l.link.mac);
        l.icmp6.send(na.payload, addressBytes(na.to));
        this.count(['gratuitousSent', 'IPv6', 1]);
      }
    } catch (e) {
      this.count(['sendErrors', (e as Error & { code?: string }).code ?? 'unknown', 1]);
    }
  }

  /** Provisional addresses the announcer never confirmed stop being answered after the hold. */
  private armHold(): void {
    clearTimeout(this.holdTimer);
    const at = this.provisional.nextExpiryMs();
    if (at === undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      const changes = this.provisional.expire(this.now(), this.table);
      for (const c of changes) this.applyOne(c);
      const removed = changes.flatMap((c) => (c.op === 'remove' ? [formatAddress(c.address)] : []));
      if (removed.length > 0) this.o.log.warn({ event: 'standbyExpired', addresses: removed }, 'stopped answering addresses taken over at a death: the announcer did not confirm them in time');
      this.armHold();
    }, Math.max(0, at - this.now()));
  }

  private effect(effect: ReturnType<AnswerTable['apply']>[number], ifindex: number, opened: AnswerLink | undefined): void {
    switch (effect) {
      case 'OpenLink': {
        const link = opened!;
        const arp = this.o.sockets.packet(link.ifname, 'arp');
        if (arp.ifindex !== link.ifindex) {
          arp.close();
          throw Object.assign(new Error(`${link.ifname} is now ifindex ${arp.ifindex}, not ${link.ifindex}`), { code: 'ENODEV' });
        }
        const context = { interfaceMac: link.mac, owns: (ip: IPAddress) => this.table.owns(ifindex, ip) };
        const l: LinkSockets = { link, context, outcomes: this.outcomes(link.ifname), arp, ndp: undefined, icmp6: undefined };
        this.links.set(ifindex, l);
        arp.start((frame, type) => answerArp(frame, type, l.context, l.arp, l.outcomes), (e) => this.o.log.warn({ event: 'socketError', interface: link.ifname, code: e.code, syscall: e.syscall }, 'ARP socket error'));
        return;
      }
      case 'CloseLink': {
        const l = this.links.get(ifindex);
        if (l) this.closeSockets(l);
        this.links.delete(ifindex);
        return;
      }
      case 'OpenIPv6': {
        const l = this.links.get(ifindex);
        if (!l) return;
        const ndp = this.o.sockets.packet(l.link.ifname, 'ndp');
        let icmp6: Icmp6Socket;
        try {
          icmp6 = this.o.sockets.icmp6(l.link.ifname);
        } catch (e) {
          ndp.close();
          throw e;
        }
        l.ndp = ndp;
        l.icmp6 = icmp6;
        ndp.start((frame, type) => answerNdp(frame, type, l.context, l.icmp6, l.outcomes), (e) => this.o.log.warn({ event: 'socketError', interface: l.link.ifname, code: e.code, syscall: e.syscall }, 'NDP socket error'));
        return;
      }
      case 'CloseIPv6': {
        const l = this.links.get(ifindex);
        if (!l) return;
        l.ndp?.close();
        l.icmp6?.close();
        l.ndp = undefined;
        l.icmp6 = undefined;
      }
    }
  }

  private closeSockets(l: LinkSockets): void {
    l.arp?.close();
    l.ndp?.close();
    l.icmp6?.close();
    l.arp = undefined;
    l.ndp = undefined;
    l.icmp6 = undefined;
  }

  /** Counts batched for the main thread, claims reported at once; answering stops while the main loop is wedged. */
  private outcomes(ifname: string): AnswerOutcomes {
    return {
      count: (c) => this.count(c),
      sendFailed: (e) => this.count(['sendErrors', e.code ?? 'unknown', 1]),
      claim: (address, mac) => this.o.report({ type: 'claim', address, mac, interface: ifname }),
      ...(this.o.mayAnswer ? { mayAnswer: this.o.mayAnswer } : {}),
    };
  }

  private count(c: AnswerCount): void {
    const k = `${c[0]}\u0000${c[1]}`;
    const before = this.counts.get(k);
    this.counts.set(k, before ? ([c[0], c[1], before[2] + c[2]] as AnswerCount) : c);
    this.flushTimer ??= setTimeout(() => this.flush(), this.o.countsFlushMs ?? 100);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.counts.size === 0) return;
    this.o.report({ type: 'counts', counts: [...this.counts.values()] });
    this.counts = new Map();
  }
}
