// The speaker's only door to herald_net.node: loaded on first use (never at import), from the paths
// below, with an error that lists every path tried. Errors from the sockets are NativeSocketError.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ThreadScheduling } from '@herald/core';
import type { ErrorCallback, NativeAddon, RawIcmp6Socket, RawNetlinkEvents, RawPacketSocket } from './addon.js';

export type { ErrorCallback, NativeSocketError } from './addon.js';

/** Where the addon is looked for: the node-gyp output next to this package (Release, then Debug). */
export function addonCandidates(): string[] {
  // src/native/ and dist/native/ are both two levels below the package root.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return ['Release', 'Debug'].map((config) => `${root}native/build/${config}/herald_net.node`);
}

/** Loads the first candidate that exists. A file that exists but fails to load is an error, not a miss. */
export function loadAddon(candidates: readonly string[] = addonCandidates()): NativeAddon {
  const require = createRequire(import.meta.url);
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      return require(path) as NativeAddon;
    } catch (e) {
      throw new Error(`herald_net: ${path} exists but could not be loaded: ${(e as Error).message}`, { cause: e });
    }
  }
  const error = new Error(
    'herald_net.node (the speaker native addon) was not found. Build it with ' +
      '`npm_config_nodedir=/usr npm run build:native -w @herald/speaker`. Tried:\n' +
      candidates.map((p) => `  ${p}`).join('\n'),
  ) as Error & { code: string; tried: readonly string[] };
  error.code = 'ERR_HERALD_NATIVE_NOT_FOUND';
  error.tried = candidates;
  throw error;
}

let loaded: NativeAddon | undefined;
const addon = (): NativeAddon => (loaded ??= loadAddon());

/** sll_pkttype of a received frame: who the frame was addressed to. */
export const PacketType = { host: 0, broadcast: 1, multicast: 2, otherHost: 3, outgoing: 4 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Without an error callback, receive errors (ENETDOWN when the link drops) become process warnings. */
const warn: ErrorCallback = (error) => process.emitWarning(error);

/**
 * What a PacketSocket receives: Ethernet/IPv4 ARP, IPv6 Neighbor Solicitations and Advertisements, or
 * Multicast Listener Queries; 'none': nothing at all (a socket that only sends and holds link-layer
 * memberships while another socket, e.g. on the answering thread, reads).
 */
export type PacketProtocol = 'arp' | 'ndp' | 'mld' | 'none';

/**
 * AF_PACKET socket on one Ethernet interface that receives one protocol only (kernel BPF filter), never
 * outgoing frames, and sends whole Ethernet frames. 'arp': Ethernet/IPv4 ARP. 'ndp': ICMPv6 types 135/136
 * directly after the IPv6 header with hop limit 255 (checksum not verified: the caller must). 'mld': ICMPv6
 * type 130 behind an 8-byte hop-by-hop header with hop limit 1 (the same). Needs
 * CAP_NET_RAW. A started socket stays alive (and keeps the process alive) until stop() or close(); close()
 * is idempotent and safe anywhere.
 */
export class PacketSocket {
  readonly interface: string;
  readonly ifindex: number;
  /** The interface MAC when the socket was opened. */
  readonly mac: Buffer;
  readonly #raw: RawPacketSocket;

  /** Throws NativeSocketError: ENODEV (no such interface), EPERM (no CAP_NET_RAW), … */
  constructor(ifname: string, protocol: PacketProtocol = 'arp') {
    this.#raw = new (addon().PacketSocket)(ifname, protocol);
    this.interface = this.#raw.interface;
    this.ifindex = this.#raw.ifindex;
    this.mac = this.#raw.mac;
  }

  /** Sends a whole Ethernet frame; returns bytes sent. Never blocks: a full queue throws EAGAIN/ENOBUFS. */
  send(frame: Uint8Array): number {
    return this.#raw.send(frame);
  }

  /**
   * Makes the interface accept a link-layer multicast group (PACKET_MR_MULTICAST) while this socket is
   * open; the kernel counts repeats. Not charged to net.core.optmem_max; sends no MLD report.
   */
  addMembership(mac: Uint8Array): void {
    this.#raw.addMembership(mac);
  }

  /** Undoes one addMembership; one never added throws EADDRNOTAVAIL. */
  dropMembership(mac: Uint8Array): void {
    this.#raw.dropMembership(mac);
  }

  /** PACKET_MR_ALLMULTI on or off: the interface accepts every multicast frame while on. Idempotent. */
  setAllMulticast(on: boolean): void {
    this.#raw.setAllMulticast(on);
  }

  /** Delivers each received frame (Ethernet header included) with its packet type. */
  start(onFrame: (frame: Buffer, packetType: PacketType) => void, onError: ErrorCallback = warn): void {
    this.#raw.start(onFrame as (frame: Buffer, packetType: number) => void, onError);
  }

  stop(): void {
    this.#raw.stop();
  }

  close(): void {
    this.#raw.close();
  }
}

export interface Icmp6Message {
  /** The ICMPv6 message (no IPv6 header). */
  payload: Buffer;
  source: Buffer;
  /** From IPV6_PKTINFO: the address the packet was sent to (a solicited-node group, ff02::1, …). */
  destination: Buffer;
  /** -1 if the kernel gave none; NDP must drop anything that is not 255. */
  hopLimit: number;
  ifindex: number;
}

/**
 * Raw ICMPv6 socket bound to one interface that receives neighbour solicitations and advertisements
 * only and sends with hop limit 255 (multicast loop off). Needs CAP_NET_RAW. Same lifetime as PacketSocket.
 */
export class Icmp6Socket {
  readonly interface: string;
  readonly ifindex: number;
  readonly mac: Buffer;
  readonly #raw: RawIcmp6Socket;

  /** `receive: false`: a socket only for sending, which queues nothing (every ICMPv6 type blocked). */
  constructor(ifname: string, options: { receive?: boolean } = {}) {
    this.#raw = new (addon().Icmp6Socket)(ifname, options);
    this.interface = this.#raw.interface;
    this.ifindex = this.#raw.ifindex;
    this.mac = this.#raw.mac;
  }

  /** Sends an ICMPv6 message (the kernel fills in the checksum) to a 16-byte address via this interface. */
  send(payload: Uint8Array, destination: Uint8Array): number {
    return this.#raw.send(payload, destination);
  }

  /** Joins a multicast group on this interface; joining twice throws EADDRINUSE. */
  joinGroup(group: Uint8Array): void {
    this.#raw.joinGroup(group);
  }

  /** Leaves a group; leaving one not joined throws EADDRNOTAVAIL. */
  leaveGroup(group: Uint8Array): void {
    this.#raw.leaveGroup(group);
  }

  start(onMessage: (message: Icmp6Message) => void, onError: ErrorCallback = warn): void {
    this.#raw.start((payload, source, destination, hopLimit, ifindex) => onMessage({ payload, source, destination, hopLimit, ifindex }), onError);
  }

  stop(): void {
    this.#raw.stop();
  }

  close(): void {
    this.#raw.close();
  }
}

/**
 * rtnetlink link and address change notifications (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR),
 * unparsed: a caller re-reads the links after any of them. When the kernel dropped events because the
 * receive buffer was full, onError gets an error with code ENOBUFS (once) and the socket goes on: the
 * caller must re-read everything. Needs no capability.
 */
export class NetlinkEvents {
  /** What the kernel granted (it doubles the request and caps it at 2 × net.core.rmem_max). */
  readonly receiveBufferBytes: number;
  readonly #raw: RawNetlinkEvents;

  constructor(receiveBufferBytes = 0) {
    this.#raw = new (addon().NetlinkEvents)(receiveBufferBytes);
    this.receiveBufferBytes = this.#raw.receiveBufferBytes;
  }

  /** `onMessage` gets each datagram's size in bytes. */
  start(onMessage: (bytes: number) => void, onError: ErrorCallback = warn): void {
    this.#raw.start(onMessage, onError);
  }

  stop(): void {
    this.#raw.stop();
  }

  close(): void {
    this.#raw.close();
  }
}

/**
 * The election's ranking hash for many nodes at once (native/src/sha256_prefixes.cc): out[i] = the first
 * 48 bits of sha256(name i + suffix), name i being names[ends[i-1]..ends[i]). Loads the addon on first use.
 */
export function sha256Prefixes(names: Uint8Array, ends: Uint32Array, suffix: Uint8Array, out: Float64Array): void {
  addon().sha256Prefixes(names, ends, suffix, out);
}

/** The kernel's id of the calling thread (gettid): a worker thread's own, not the process's. */
export function threadId(): number {
  return addon().threadId();
}

/**
 * Sets one thread's scheduling (native/src/thread_scheduling.cc): SCHED_RR at a real-time priority,
 * SCHED_OTHER at a nice value or SCHED_DEADLINE with a budget, never inherited by what it forks. `tid` 0 is
 * the calling thread. Throws NativeSocketError-shaped errors: EPERM / EACCES without CAP_SYS_NICE (raising),
 * ESRCH (no such thread), EBUSY (deadline admission control), EINVAL (a budget the kernel does not take).
 */
export function setThreadScheduling(tid: number, s: ThreadScheduling): void {
  if (s.policy === 'rr') addon().setThreadScheduling(tid, 'rr', s.priority);
  else if (s.policy === 'deadline') addon().setThreadScheduling(tid, 'deadline', s.runtimeUs * 1_000, s.deadlineUs * 1_000, s.periodUs * 1_000);
  else addon().setThreadScheduling(tid, 'other', s.nice);
}

/**
 * Hands the C allocator's free but resident pages back to the kernel (native/src/free_pages.cc); true when
 * some went back. Loads the addon on first use.
 */
export function releaseFreePages(): boolean {
  return addon().releaseFreePages();
}
