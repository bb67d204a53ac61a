import {
  addressBytes, solicitedNodeMulticast, encodeArpFrame, formatAddress, gratuitousArp, macFromBytes, macToBytes, solicitedNodeMulticastMac,
  unsolicitedNeighborAdvertisement, type IPAddress, type MacAddress, type WireContext,
} from '@herald/core';
import type { Logger } from 'pino';
import type { Icmp6Socket, PacketProtocol, PacketSocket } from '../native/index.js';
import type { SpeakerMetrics } from '../metrics.js';
import type { AnswerSink } from './answerPort.js';
import { answerArp, answerNdp, type AnswerOutcomes } from './answerRequest.js';
import { countAnswer } from './countAnswer.js';
import { MldReporter } from './mldReporter.js';

export interface SocketFactory {
  /** 'arp': ARP frames; 'ndp': neighbour solicitations and advertisements; 'mld': MLD queries (whole frames). */
  packet(ifname: string, protocol: PacketProtocol): PacketSocket;
  /** Only for sending neighbour advertisements: it must receive nothing ({ receive: false }). */
  icmp6(ifname: string): Icmp6Socket;
}

/**
 * Distinct solicited-node link-layer groups (33:33:ff:xx:xx:xx) an interface is asked to accept one by one;
 * beyond this the NDP socket switches the interface to all-multicast instead. Addresses share a group only
 * when their low 24 bits are equal, so a contiguous pool needs one group per address. NICs filter a few
 * dozen to a few thousand groups in hardware and fall back to all-multicast themselves beyond that, while
 * the kernel keeps each socket's and each device's group list as a linked list walked on every change:
 * 10,000 exact groups cost 3.1 s of setsockopt and a 467 ms event-loop turn (bench/speaker/replyLatency.ts,
 * phase largeExactGroups), 256 cost 4 ms. All-multicast costs the node the LAN's other multicast frames,
 * which the NDP socket's BPF filter drops in the kernel unless they are NS/NA.
 */
export const NDP_EXACT_GROUPS_MAX = 256;

export interface Claim {
  readonly address: IPAddress;
  readonly mac: MacAddress;
  readonly interface: string;
}

const key = (a: IPAddress) => `${a.family}:${a.value}`;

/**
 * Answers for the addresses this node owns on one interface: ARP through an AF_PACKET socket; NDP received
 * on a second AF_PACKET socket (IPv6 NS/NA only, kernel BPF filter) that makes the interface accept each
 * owned address's solicited-node link-layer group, or all multicast when there are more than
 * `ndpExactGroupsMax` distinct groups, and answered through a send-only ICMPv6 socket. No IPv6 group is
 * joined, so nothing is charged to net.core.optmem_max; instead an MldReporter sends the MLD reports for
 * the solicited-node groups itself (unless `mldReports` is false), so MLD-snooping switches forward the
 * solicitations. The IPv6 sockets open with the first IPv6 address and close with the last. Decisions come
 * from core; this class moves bytes.
 */
export class InterfaceResponder {
  readonly mac: MacAddress;
  /** The link this responder's sockets are bound to: a link re-created under the same name is another one. */
  readonly ifindex: number;
  private packet: PacketSocket | undefined;
  private icmp6: Icmp6Socket | undefined;
  private ndp: PacketSocket | undefined;
  private mld: MldReporter | undefined;
  private readonly owned = new Map<string, IPAddress>();
  private ownedIPv6 = 0;
  /** Owned addresses per solicited-node link-layer group. */
  private readonly groups = new Map<MacAddress, number>();
  /** The groups the interface accepts one by one (PACKET_MR_MULTICAST); the rest need all-multicast. */
  private readonly exact = new Set<MacAddress>();
  private allMulticast = false;
  /** Whether `answers` was told of this link (with its first address). */
  private answering = false;
  /** Built once: the receive path runs for every ARP/NDP packet on the LAN. */
  private readonly context: WireContext;
  private readonly outcomes: AnswerOutcomes;

  constructor(
    readonly ifname: string,
    private readonly o: {
      sockets: SocketFactory; log: Logger; metrics: SpeakerMetrics; onClaim: (claim: Claim) => void; ndpExactGroupsMax?: number; mldReports?: boolean;
      /**
       * Another thread reads and answers the requests (AnswerPort → serveAnswers in the membership worker):
       * this responder's sockets then receive nothing ('none'); they send the gratuitous announcements and
       * hold the solicited-node groups, and every change of what is owned is told to `answers`.
       */
      answers?: AnswerSink;
    },
  ) {
    // Opening the ARP socket also tells us the interface MAC; keep it open while the responder lives.
    this.packet = o.sockets.packet(ifname, o.answers ? 'none' : 'arp');
    this.mac = macFromBytes(new Uint8Array(this.packet.mac));
    this.ifindex = this.packet.ifindex;
    this.context = { interfaceMac: this.mac, owns: (ip) => this.owned.has(key(ip)) };
    this.outcomes = {
      count: (c) => countAnswer(o.metrics, c),
      sendFailed: (e, a) => this.sendFailed(e, a),
      claim: (address, mac) => o.onClaim({ address, mac, interface: ifname }),
    };
    if (o.answers) return;
    this.packet.start(
      (frame, type) => answerArp(frame, type, this.context, this.packet, this.outcomes),
      (e) => o.log.warn({ event: 'socketError', interface: ifname, code: e.code, syscall: e.syscall }, 'ARP socket error'),
    );
  }

  get size(): number {
    return this.owned.size;
  }

  owns(a: IPAddress): boolean {
    return this.owned.has(key(a));
  }

  /** How the interface is made to accept solicitations: exact link-layer groups and whether all-multicast is on. */
  get multicastFilter(): { groups: number; exact: number; allMulticast: boolean } {
    return { groups: this.groups.size, exact: this.exact.size, allMulticast: this.allMulticast };
  }

  /**
   * Starts answering for `a`. All or nothing: an IPv6 address counts as owned only once the interface
   * accepts its solicited-node group (exactly or by all-multicast), so a failure throws with nothing
   * changed and the caller's retry really retries.
   */
  add(a: IPAddress): void {
    if (this.owned.has(key(a))) return;
    if (a.family === 6) {
      this.ensureIcmp6();
      const group = solicitedNodeMulticastMac(a);
      const fresh = !this.groups.has(group);
      try {
        this.acceptGroup(group);
      } catch (e) {
        if (this.ownedIPv6 === 0) this.closeIPv6();
        throw e;
      }
      this.ownedIPv6++;
      // Solicited-node groups and their link-layer groups map one to one (both are the low 24 bits).
      if (fresh) this.mld?.join(solicitedNodeMulticast(a));
    }
    this.owned.set(key(a), a);
    if (this.o.answers) {
      // Told with the first address, not at construction: a stale responder for the same ifindex that the
      // announcer closes after constructing this one must close the link before it opens again.
      if (!this.answering) this.o.answers.open({ ifname: this.ifname, ifindex: this.ifindex, mac: this.mac });
      this.answering = true;
      this.o.answers.add(this.ifindex, a);
    }
  }

  remove(a: IPAddress): void {
    if (!this.owned.delete(key(a))) return;
    this.o.answers?.remove(this.ifindex, a);
    if (a.family === 6) {
      this.ownedIPv6--;
      if (this.groups.get(solicitedNodeMulticastMac(a)) === 1) this.mld?.leave(solicitedNodeMulticast(a));
      if (this.ownedIPv6 === 0) {
        // Closing the socket drops every membership it holds, all-multicast included.
        this.closeIPv6();
        return;
      }
      this.releaseGroup(solicitedNodeMulticastMac(a));
    }
  }

  /** Counts one more address in `group`; a new group is accepted exactly while there is room, else by all-multicast. */
  private acceptGroup(group: MacAddress): void {
    const n = this.groups.get(group) ?? 0;
    if (n > 0) {
      this.groups.set(group, n + 1);
      return;
    }
    const ndp = this.ndp!;
    if (this.exact.size < (this.o.ndpExactGroupsMax ?? NDP_EXACT_GROUPS_MAX)) {
      try {
        ndp.addMembership(macToBytes(group));
        this.exact.add(group);
        this.groups.set(group, 1);
        return;
      } catch (e) {
        const err = e as Error & { code?: string };
        this.o.log.warn({ event: 'ndpGroupRefused', interface: this.ifname, group, code: err.code, err: err.message }, 'interface refused a link-layer multicast group; accepting all multicast instead');
      }
    }
    if (!this.allMulticast) {
      ndp.setAllMulticast(true);
      this.allMulticast = true;
      this.o.log.info({ event: 'ndpAllMulticast', interface: this.ifname, groups: this.groups.size + 1, exactGroupsMax: this.o.ndpExactGroupsMax ?? NDP_EXACT_GROUPS_MAX }, 'more solicited-node groups than exact filtering takes: the interface accepts all multicast');
    }
    this.groups.set(group, 1);
  }

  private releaseGroup(group: MacAddress): void {
    const n = (this.groups.get(group) ?? 1) - 1;
    if (n > 0) {
      this.groups.set(group, n);
      return;
    }
    this.groups.delete(group);
    if (this.exact.delete(group)) {
      try {
        this.ndp?.dropMembership(macToBytes(group));
      } catch {
        // The interface may be gone; nothing to drop.
      }
    }
    if (this.allMulticast && this.exact.size === this.groups.size) {
      // Every remaining group is accepted exactly again.
      try {
        this.ndp?.setAllMulticast(false);
      } catch {
        // As above.
      }
      this.allMulticast = false;
      this.o.log.info({ event: 'ndpAllMulticastOff', interface: this.ifname, groups: this.groups.size }, 'every solicited-node group is filtered exactly again');
    }
  }

  /** The link came back (carrier up again): MLD reports for every group go out again. */
  linkUp(): void {
    this.mld?.linkUp();
  }

  /** One announcement burst: GARP request and reply forms, or one unsolicited NA to ff02::1. */
  announce(a: IPAddress): number {
    try {
      if (a.family === 4) {
        const { request, reply } = gratuitousArp(this.mac, a);
        this.packet?.send(encodeArpFrame(request));
        this.packet?.send(encodeArpFrame(reply));
        this.o.metrics.gratuitousSent.inc({ family: 'IPv4' }, 2);
        return 2;
      }
      const icmp6 = this.ensureIcmp6();
      const na = unsolicitedNeighborAdvertisement(a, this.mac);
      icmp6.send(na.payload, addressBytes(na.to));
      this.o.metrics.gratuitousSent.inc({ family: 'IPv6' });
      return 1;
    } catch (e) {
      this.sendFailed(e as Error & { code?: string }, a);
      return 0;
    }
  }

  close(): void {
    if (this.answering) this.o.answers?.close(this.ifindex);
    this.answering = false;
    this.packet?.close();
    this.packet = undefined;
    this.closeIPv6();
  }

  private closeIPv6(): void {
    // Sends a leave still pending (the last group just left) before the socket goes.
    this.mld?.close();
    this.mld = undefined;
    this.icmp6?.close();
    this.ndp?.close();
    this.icmp6 = undefined;
    this.ndp = undefined;
    this.groups.clear();
    this.exact.clear();
    this.allMulticast = false;
  }

  /** Opens the NDP receive socket and the send-only ICMPv6 socket together, on this responder's link. */
  private ensureIcmp6(): Icmp6Socket {
    if (this.icmp6 && this.ndp) return this.icmp6;
    this.closeIPv6();
    const recreated = (ifindex: number) =>
      // The name now belongs to another link than the ARP socket's: the announcer re-creates the responder.
      Object.assign(new Error(`${this.ifname} was re-created (ifindex ${this.ifindex} → ${ifindex})`), { code: 'ENODEV', syscall: 'socket' });
    const ndp = this.o.sockets.packet(this.ifname, this.o.answers ? 'none' : 'ndp');
    if (ndp.ifindex !== this.ifindex) {
      ndp.close();
      throw recreated(ndp.ifindex);
    }
    let icmp6: Icmp6Socket;
    try {
      icmp6 = this.o.sockets.icmp6(this.ifname);
    } catch (e) {
      ndp.close();
      throw e;
    }
    if (icmp6.ifindex !== this.ifindex) {
      ndp.close();
      icmp6.close();
      throw recreated(icmp6.ifindex);
    }
    if (this.o.mldReports !== false) {
      let socket: PacketSocket;
      try {
        socket = this.o.sockets.packet(this.ifname, 'mld');
      } catch (e) {
        ndp.close();
        icmp6.close();
        throw e;
      }
      if (socket.ifindex !== this.ifindex) {
        ndp.close();
        icmp6.close();
        socket.close();
        throw recreated(socket.ifindex);
      }
      this.mld = new MldReporter({ socket, ifname: this.ifname, mac: this.mac, log: this.o.log, metrics: this.o.metrics });
    }
    this.ndp = ndp;
    this.icmp6 = icmp6;
    if (this.o.answers) return icmp6;
    ndp.start(
      (frame, type) => answerNdp(frame, type, this.context, this.icmp6, this.outcomes),
      (e) => this.o.log.warn({ event: 'socketError', interface: this.ifname, code: e.code, syscall: e.syscall }, 'NDP socket error'),
    );
    return icmp6;
  }

  private sendFailed(e: Error & { code?: string }, a: IPAddress): void {
    this.o.metrics.sendErrors.inc({ code: e.code ?? 'unknown' });
    this.o.log.debug({ event: 'sendFailed', interface: this.ifname, address: formatAddress(a), code: e.code, err: e.message }, 'could not send');
  }
}
