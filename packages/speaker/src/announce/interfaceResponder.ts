import {
  addressBytes, addressFromBytes, decideArp, decideNdp, encodeArpFrame, formatAddress, gratuitousArp, macFromBytes, solicitedNodeMulticast,
  unsolicitedNeighborAdvertisement, type IPAddress, type MacAddress,
} from '@herald/core';
import type { Logger } from 'pino';
import { PacketType, type Icmp6Socket, type PacketSocket } from '../native/index.js';
import type { SpeakerMetrics } from '../metrics.js';

export interface SocketFactory {
  packet(ifname: string): PacketSocket;
  icmp6(ifname: string): Icmp6Socket;
}

export interface Claim {
  readonly address: IPAddress;
  readonly mac: MacAddress;
  readonly interface: string;
}

const key = (a: IPAddress) => `${a.family}:${a.value}`;

/**
 * Answers for the addresses this node owns on one interface: ARP through an AF_PACKET socket, NDP through
 * an ICMPv6 socket joined to each address's solicited-node group. Sockets open with the first address of
 * their family and close with the last. Decisions come from core; this class only moves bytes.
 */
export class InterfaceResponder {
  readonly mac: MacAddress;
  /** The link this responder's sockets are bound to: a link re-created under the same name is another one. */
  readonly ifindex: number;
  private packet: PacketSocket | undefined;
  private icmp6: Icmp6Socket | undefined;
  private readonly owned = new Map<string, IPAddress>();
  private readonly groups = new Map<string, number>();
  /** Built once: the receive path runs for every ARP/NDP packet on the LAN. */
  private readonly context: { interfaceMac: MacAddress; owns: (ip: IPAddress) => boolean };

  constructor(
    readonly ifname: string,
    private readonly o: { sockets: SocketFactory; log: Logger; metrics: SpeakerMetrics; onClaim: (claim: Claim) => void },
  ) {
    // Opening the ARP socket also tells us the interface MAC; keep it open while the responder lives.
    this.packet = o.sockets.packet(ifname);
    this.mac = macFromBytes(new Uint8Array(this.packet.mac));
    this.ifindex = this.packet.ifindex;
    this.context = { interfaceMac: this.mac, owns: (ip) => this.owned.has(key(ip)) };
    this.packet.start(
      (frame, type) => this.onArp(frame, type),
      (e) => o.log.warn({ event: 'socketError', interface: ifname, code: e.code, syscall: e.syscall }, 'ARP socket error'),
    );
  }

  get size(): number {
    return this.owned.size;
  }

  owns(a: IPAddress): boolean {
    return this.owned.has(key(a));
  }

  /**
   * Starts answering for `a`. All or nothing: the address counts as owned only once its IPv6
   * solicited-node group is joined, so a failed join (ENOMEM when net.core.optmem_max is exhausted)
   * throws with nothing changed and the caller's retry really retries.
   */
  add(a: IPAddress): void {
    if (this.owned.has(key(a))) return;
    if (a.family === 6) {
      const icmp6 = this.ensureIcmp6();
      const g = solicitedNodeMulticast(a);
      const gk = key(g);
      const n = this.groups.get(gk) ?? 0;
      if (n === 0) {
        try {
          icmp6.joinGroup(addressBytes(g));
        } catch (e) {
          if (this.groups.size === 0) this.closeIcmp6();
          throw e;
        }
      }
      this.groups.set(gk, n + 1);
    }
    this.owned.set(key(a), a);
  }

  remove(a: IPAddress): void {
    if (!this.owned.delete(key(a))) return;
    if (a.family === 6) {
      const gk = key(solicitedNodeMulticast(a));
      const n = (this.groups.get(gk) ?? 1) - 1;
      if (n <= 0) {
        this.groups.delete(gk);
        try {
          this.icmp6?.leaveGroup(addressBytes(solicitedNodeMulticast(a)));
        } catch {
          // The interface may be gone; nothing to leave.
        }
      } else this.groups.set(gk, n);
      if (![...this.owned.values()].some((x) => x.family === 6)) this.closeIcmp6();
    }
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
    this.packet?.close();
    this.icmp6?.close();
    this.packet = undefined;
    this.icmp6 = undefined;
  }

  private closeIcmp6(): void {
    this.icmp6?.close();
    this.icmp6 = undefined;
  }

  private ensureIcmp6(): Icmp6Socket {
    if (this.icmp6) return this.icmp6;
    const icmp6 = this.o.sockets.icmp6(this.ifname);
    if (icmp6.ifindex !== this.ifindex) {
      // The name now belongs to another link than the ARP socket's: the announcer re-creates the responder.
      icmp6.close();
      throw Object.assign(new Error(`${this.ifname} was re-created (ifindex ${this.ifindex} → ${icmp6.ifindex})`), { code: 'ENODEV', syscall: 'socket' });
    }
    this.icmp6 = icmp6;
    icmp6.start(
      (m) => this.onNdp(m.payload, m.source, m.destination, m.hopLimit),
      (e) => this.o.log.warn({ event: 'socketError', interface: this.ifname, code: e.code, syscall: e.syscall }, 'ICMPv6 socket error'),
    );
    return icmp6;
  }

  private sendFailed(e: Error & { code?: string }, a: IPAddress): void {
    this.o.metrics.sendErrors.inc({ code: e.code ?? 'unknown' });
    this.o.log.debug({ event: 'sendFailed', interface: this.ifname, address: formatAddress(a), code: e.code, err: e.message }, 'could not send');
  }

  /** The same three outcomes for ARP and NDP: send the reply, report a claim, or count why not. */
  private act(d: { kind: 'reply'; address: IPAddress } | { kind: 'conflict'; address: IPAddress; mac: MacAddress } | { kind: 'ignore'; reason: string }, family: 'IPv4' | 'IPv6', send: () => void): void {
    if (d.kind === 'reply') {
      this.o.metrics.requestsReceived.inc({ family });
      try {
        send();
        this.o.metrics.repliesSent.inc({ family });
      } catch (e) {
        this.sendFailed(e as Error, d.address);
      }
    } else if (d.kind === 'conflict') {
      this.o.onClaim({ address: d.address, mac: d.mac, interface: this.ifname });
    } else {
      this.o.metrics.ignored.inc({ reason: d.reason });
    }
  }

  private onArp(frame: Buffer, type: PacketType): void {
    // A frame for another host (e.g. a VLAN this node has no interface for) is never ours to answer.
    if (type === PacketType.otherHost) {
      this.o.metrics.ignored.inc({ reason: 'OtherHost' });
      return;
    }
    const d = decideArp(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), this.context);
    this.act(d, 'IPv4', () => d.kind === 'reply' && this.packet?.send(d.frame));
  }

  private onNdp(payload: Buffer, source: Buffer, destination: Buffer, hopLimit: number): void {
    const meta = { source: addressFromBytes(new Uint8Array(source)), destination: addressFromBytes(new Uint8Array(destination)), hopLimit };
    const d = decideNdp(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), meta, this.context);
    this.act(d, 'IPv6', () => d.kind === 'reply' && this.icmp6?.send(d.payload, addressBytes(d.to)));
  }
}
