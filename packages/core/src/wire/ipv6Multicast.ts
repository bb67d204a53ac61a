import { formatAddress, type IPAddress } from '../ip/address.js';
import { macFromBytes, type MacAddress } from './macAddress.js';

/** ff02::1, where unsolicited advertisements and answers to DAD probes go. */
export const ALL_NODES_MULTICAST: IPAddress = { family: 6, value: (0xff02n << 112n) | 1n };

/** ff00::/8 (RFC 4291 §2.7). */
export const isIPv6Multicast = (ip: IPAddress): boolean => ip.family === 6 && ip.value >> 120n === 0xffn;

export const isIPv6Unspecified = (ip: IPAddress): boolean => ip.family === 6 && ip.value === 0n;

/** The Ethernet group address for an IPv6 multicast group: 33:33 and the group's low 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(group: IPAddress): MacAddress {
  if (!isIPv6Multicast(group)) throw new RangeError(`${formatAddress(group)} is not an IPv6 multicast group`);
  const low = Number(group.value & 0xffffffffn);
  return macFromBytes(Uint8Array.of(0x33, 0x33, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff));
}
