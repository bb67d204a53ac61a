import type { ArpFrame } from './arpFrame.js';
import { assertMac, type MacAddress } from './macAddress.js';

/**
 * Answers `request` as the owner of its target IP: unicast to the requester's sender MAC (as the Linux
 * kernel does, rather than to the Ethernet source, which a bridge or proxy may have rewritten), with the
 * roles swapped. A DAD probe (sender IP 0.0.0.0) gets a reply with target IP 0.0.0.0, which is what tells
 * the prober the address is taken.
 */
export function arpReply(request: ArpFrame, ourMac: MacAddress): ArpFrame {
  assertMac(ourMac, 'replying MAC');
  if (request.operation !== 'request') throw new RangeError(`arpReply answers requests; got an ARP ${request.operation}`);
  return {
    ethernetDestination: request.senderMac,
    ethernetSource: ourMac,
    operation: 'reply',
    senderMac: ourMac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
}
