import { formatAddress, type IPAddress } from '../ip/address.js';
import { decodeArpFrame, encodeArpFrame } from './arpFrame.js';
import { arpReply } from './arpReply.js';
import { assertMac, isBroadcastMac, isUnicastMac, type MacAddress } from './macAddress.js';
import { ignoreFrame, type WireConflict, type WireContext, type WireIgnore } from './wireDecision.js';

export interface ArpReplyDecision {
  readonly kind: 'reply';
  /** The encoded reply, ready for the packet socket of the interface the request came in on. */
  readonly frame: Uint8Array;
  /** The owned address being answered for. */
  readonly address: IPAddress;
  /** The requester's MAC, the reply's Ethernet destination. */
  readonly to: MacAddress;
}

export type ArpDecision = ArpReplyDecision | WireConflict | WireIgnore;

/**
 * Decides what to do with one frame read from an ARP packet socket. The checks run in a fixed order and
 * the first that applies wins:
 * 1. unreadable → the decode reason; a VLAN tag → VlanTagged (the kernel hands tagged traffic to the VLAN
 *    interface when one exists, so a tag here is a network nobody selected for announcing);
 * 2. our MAC as Ethernet or ARP sender → OwnFrame (a reflected copy of what we sent);
 * 3. a group or zero sender MAC → InvalidSenderMac (a reply would go to a group; a claim names nobody);
 * 4. a sender IP we own → conflict, whatever the operation or Ethernet destination: that station uses our
 *    address (GARP of either form, a reply, or an ordinary request from it). Never answered: answering a
 *    GARP would be talking to the claimant as if it asked a question. Sender IP 0.0.0.0 is a probe, not a
 *    claim, and goes on;
 * 5. not a request → NotRequest; Ethernet destination neither broadcast nor our MAC → NotForUs;
 *    target IP not owned → NotOwner;
 * 6. otherwise reply, unicast to the requester. This includes RFC 5227 probes (sender IP 0.0.0.0) for an
 *    owned address: the reply is the defence that makes the prober give the address up, as Linux does.
 */
export function decideArp(bytes: Uint8Array, ctx: WireContext): ArpDecision {
  assertMac(ctx.interfaceMac, 'interface MAC');
  const decoded = decodeArpFrame(bytes);
  if (!decoded.ok) return ignoreFrame(decoded.error.reason, decoded.error.message);
  const frame = decoded.value;
  const ours = ctx.interfaceMac;
  if (frame.vlan !== undefined) {
    return ignoreFrame('VlanTagged', `ARP frame carries VLAN tag ${frame.vlan.id}; herald answers on the VLAN interface itself`);
  }
  if (frame.ethernetSource === ours || frame.senderMac === ours) {
    return ignoreFrame('OwnFrame', `ARP ${frame.operation} was sent by our MAC ${ours}`);
  }
  if (!isUnicastMac(frame.senderMac)) {
    return ignoreFrame('InvalidSenderMac', `ARP sender MAC ${frame.senderMac} is not a unicast station address`);
  }
  if (!isUnicastMac(frame.ethernetSource)) {
    return ignoreFrame('InvalidSenderMac', `Ethernet source ${frame.ethernetSource} is not a unicast station address`);
  }
  if (frame.senderIp.value !== 0n && ctx.owns(frame.senderIp)) {
    return { kind: 'conflict', address: frame.senderIp, mac: frame.senderMac };
  }
  if (frame.operation !== 'request') {
    return ignoreFrame('NotRequest', `ARP ${frame.operation} from ${frame.senderMac} is not a question`);
  }
  if (!isBroadcastMac(frame.ethernetDestination) && frame.ethernetDestination !== ours) {
    return ignoreFrame('NotForUs', `ARP request is addressed to ${frame.ethernetDestination}, neither broadcast nor our MAC ${ours}`);
  }
  if (!ctx.owns(frame.targetIp)) {
    return ignoreFrame('NotOwner', `ARP request asks for ${formatAddress(frame.targetIp)}, which this node does not announce here`);
  }
  return { kind: 'reply', frame: encodeArpFrame(arpReply(frame, ours)), address: frame.targetIp, to: frame.senderMac };
}
