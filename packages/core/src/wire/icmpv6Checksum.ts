import { formatAddress, type IPAddress } from '../ip/address.js';

const IPPROTO_ICMPV6 = 58;

/** Adds 16-bit big-endian words of `bytes` (a trailing odd byte padded with zero) to `sum`. */
function addWords(sum: number, bytes: Uint8Array): number {
  let s = sum;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even !== bytes.length) s += bytes[even]! << 8;
  return s;
}

function addAddress(sum: number, ip: IPAddress): number {
  if (ip.family !== 6) throw new RangeError(`the ICMPv6 pseudo-header carries IPv6 addresses; ${formatAddress(ip)} is not one`);
  let s = sum;
  for (let shift = 112n; shift >= 0n; shift -= 16n) s += Number((ip.value >> shift) & 0xffffn);
  return s;
}

const fold = (sum: number): number => {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
};

/**
 * The RFC 1071 one's-complement sum over the RFC 8200 §8.1 pseudo-header (source, destination, length,
 * next header 58) and the message, checksum field included. A received message is intact when this is
 * 0xffff; a message with its checksum field zeroed gets `~sum & 0xffff` written there.
 */
export function icmpv6Sum(source: IPAddress, destination: IPAddress, message: Uint8Array): number {
  let s = addAddress(addAddress(0, source), destination);
  s += Math.floor(message.length / 0x10000) + (message.length & 0xffff) + IPPROTO_ICMPV6;
  return fold(addWords(s, message));
}

/** The checksum to put in bytes 2-3 of `message` (whose checksum field must be zero). */
export const icmpv6Checksum = (source: IPAddress, destination: IPAddress, message: Uint8Array): number =>
  ~icmpv6Sum(source, destination, message) & 0xffff;

/** Copies `message` to `target` (its place in a frame) with its checksum computed and filled in. */
export function writeIcmpv6(target: Uint8Array, message: Uint8Array, source: IPAddress, destination: IPAddress): void {
  target.set(message);
  target[2] = 0;
  target[3] = 0;
  const checksum = icmpv6Checksum(source, destination, target.subarray(0, message.length));
  target[2] = checksum >> 8;
  target[3] = checksum & 0xff;
}
