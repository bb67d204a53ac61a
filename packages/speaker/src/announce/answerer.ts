import {
  addressBytes, AnswerTable, encodeArpFrame, gratuitousArp, unsolicitedNeighborAdvertisement,
  type AnswerChange, type AnswerLink, type IPAddress, type WireContext,
} from '@herald/core';
import type { Logger } from 'pino';
import type { Icmp6Socket, PacketSocket } from '../native/index.js';
import { answerArp, answerNdp, type AnswerOutcomes } from './answerRequest.js';
import type { AnswerCount, FromAnswerer } from './answerThreadProtocol.js';
import type { SocketFactory } from './interfaceResponder.js';
import { StandbyTakeover } from './standbyTakeover.js';

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
 * reports and the gratuitous announcements (InterfaceResponder with `answers`). What is answered at a peer's
 * death, before the announcer's word, goes through the same table and sockets (`standby`, StandbyTakeover).
 */
export class Answerer {
  private readonly table = new AnswerTable();
  private readonly links = new Map<number, LinkSockets>();
  private counts = new Map<string, AnswerCount>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** The takeover at a peer's death: the standby plan, what is answered provisionally, and its hold. */
  readonly standby: StandbyTakeover;

  constructor(private readonly o: AnswererOptions) {
    this.standby = new StandbyTakeover({
      answers: {
        table: this.table,
        apply: (c) => this.applyOne(c),
        announce: (ifindex, address) => {
          const l = this.links.get(ifindex);
          if (l) this.announce(l, address);
        },
      },
      log: o.log,
      ...(o.mayAnswer ? { mayAnswer: o.mayAnswer } : {}),
      holdMs: o.provisionalHoldMs ?? 2_000,
      now: () => (o.now ?? Date.now)(),
    });
  }

  /** The announcer's changes, in order. */
  apply(changes: readonly AnswerChange[]): void {
    for (const c of changes) {
      this.applyOne(c);
      this.standby.announcerChanged(c);
    }
  }

  /** Closes every socket and reports the last counts: nothing is read or sent after this. */
  close(): void {
    for (const l of this.links.values()) this.closeSockets(l);
    this.links.clear();
    clearTimeout(this.flushTimer);
    this.standby.close();
    this.flush();
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
