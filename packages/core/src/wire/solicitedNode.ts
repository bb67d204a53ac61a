import { formatAddress, type IPAddress } from '../ip/address.js';
import { ipv6MulticastMac } from './ipv6Multicast.js';
import type { MacAddress } from './macAddress.js';

const PREFIX = 0xff02_0000_0000_0000_0000_0001_ff00_0000n; // ff02::1:ff00:0/104
const LOW_24 = 0xffffffn;

/** ff02::1:ffXX:XXXX — the group a Neighbor Solicitation for `ip` is sent to (RFC 4291 §2.7.1). */
export function solicitedNodeMulticast(ip: IPAddress): IPAddress {
  if (ip.family !== 6) throw new RangeError(`solicited-node groups exist for IPv6 addresses; ${formatAddress(ip)} is IPv4`);
  return { family: 6, value: PREFIX | (ip.value & LOW_24) };
}

export const isSolicitedNodeMulticast = (ip: IPAddress): boolean => ip.family === 6 && ip.value >> 24n === PREFIX >> 24n;

/** 33:33:ff:XX:XX:XX — the Ethernet group a speaker must accept to hear solicitations for `ip`. */
export const solicitedNodeMulticastMac = (ip: IPAddress): MacAddress => ipv6MulticastMac(solicitedNodeMulticast(ip));
