// The raw shape of herald_net.node (packages/speaker/native). Only index.ts loads the addon; everything
// else uses the typed wrappers there. Kept in step with native/src/*.h by hand: the surface is tiny.

/** Thrown by every failing syscall in the addon, shaped like Node core's system errors. */
export interface NativeSocketError extends Error {
  /** 'EPERM', 'ENODEV', 'EAGAIN', … */
  code: string;
  /** Negative, as in Node (-1 for EPERM), so `util.getSystemErrorName(err.errno)` works. */
  errno: number;
  /** 'socket', 'bind', 'setsockopt', 'ioctl', 'send', 'sendto', 'recvfrom', 'recvmsg', … */
  syscall: string;
  /** The interface the socket was opened on. */
  interface: string;
}

export type ErrorCallback = (error: NativeSocketError) => void;

interface RawSocket {
  readonly interface: string;
  readonly ifindex: number;
  /** The interface's MAC when the socket was opened. */
  readonly mac: Buffer;
  stop(): void;
  close(): void;
}

export interface RawPacketSocket extends RawSocket {
  send(frame: Uint8Array): number;
  addMembership(mac: Uint8Array): void;
  dropMembership(mac: Uint8Array): void;
  setAllMulticast(on: boolean): void;
  /** Replaces the callbacks if already started. Throws EBADF once closed. */
  start(onFrame: (frame: Buffer, packetType: number) => void, onError?: ErrorCallback): void;
}

export interface RawIcmp6Socket extends RawSocket {
  send(payload: Uint8Array, destination: Uint8Array): number;
  joinGroup(group: Uint8Array): void;
  leaveGroup(group: Uint8Array): void;
  /** Replaces the callbacks if already started. Throws EBADF once closed. */
  start(
    onMessage: (payload: Buffer, source: Buffer, destination: Buffer, hopLimit: number, ifindex: number) => void,
    onError?: ErrorCallback,
  ): void;
}

export interface RawNetlinkEvents {
  readonly receiveBufferBytes: number;
  start(onMessage: (bytes: number) => void, onError?: ErrorCallback): void;
  stop(): void;
  close(): void;
}

export interface NativeAddon {
  PacketSocket: new (ifname: string, protocol?: 'arp' | 'ndp' | 'mld' | 'none') => RawPacketSocket;
  Icmp6Socket: new (ifname: string, options?: { receive?: boolean }) => RawIcmp6Socket;
  NetlinkEvents: new (receiveBufferBytes?: number) => RawNetlinkEvents;
  /**
   * out[i] = the first 48 bits of sha256(names[ends[i-1]..ends[i]) + suffix) (ends[-1] = 0), as an exact
   * integer. Throws TypeError on wrong argument types, out.length ≠ ends.length or offsets outside names.
   */
  sha256Prefixes(names: Uint8Array, ends: Uint32Array, suffix: Uint8Array, out: Float64Array): void;
  /** gettid() of the calling thread. */
  threadId(): number;
  /** SCHED_RR at `value` (1..99) or SCHED_OTHER at nice `value`, with SCHED_RESET_ON_FORK; tid 0: this thread. */
  setThreadScheduling(tid: number, policy: 'rr' | 'other', value: number): void;
  /** SCHED_DEADLINE with this budget in nanoseconds (sched_setattr), with SCHED_FLAG_RESET_ON_FORK; tid 0: this thread. */
  setThreadScheduling(tid: number, policy: 'deadline', runtimeNs: number, deadlineNs: number, periodNs: number): void;
  /** glibc's malloc_trim(0): true when memory went back to the kernel; always false on other C libraries. */
  releaseFreePages(): boolean;
}
