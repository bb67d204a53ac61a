import { formatAddress, type IPAddress } from '../ip/address.js';
import type { ArpFrame } from './arpFrame.js';
import { assertMac, BROADCAST_MAC, isUnicastMac, ZERO_MAC, type MacAddress } from './macAddress.js';

export interface GratuitousArp {
  readonly request: ArpFrame;
  readonly reply: ArpFrame;
}

/**
 * The two frames of one announcement burst, both broadcast with sender IP = target IP = the address.
 * Linux treats a request of that shape as gratuitous (it bypasses locktime), and treats a reply as
 * gratuitous only when its target MAC equals its sender MAC (arp_is_garp), so the reply carries our MAC
 * there, not broadcast as MetalLB sends it. The request's target MAC is zero, as RFC 5227 §3 asks.
 */
export function gratuitousArp(mac: MacAddress, ip: IPAddress): GratuitousArp {
  assertMac(mac, 'announcing MAC');
  if (!isUnicastMac(mac)) throw new RangeError(`cannot announce with MAC ${mac}: it is not a unicast station address`);
  if (ip.family !== 4) throw new RangeError(`gratuitous ARP announces IPv4 addresses; ${formatAddress(ip)} is IPv6`);
  const common = {
    ethernetDestination: BROADCAST_MAC,
    ethernetSource: mac,
    senderMac: mac,
    senderIp: ip,
    targetIp: ip,
  };
  return {
    request: { ...common, operation: 'request', targetMac: ZERO_MAC },
    reply: { ...common, operation: 'reply', targetMac: mac },
  };
}
