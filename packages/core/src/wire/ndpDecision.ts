import { formatAddress, type IPAddress } from '../ip/address.js';
import { ALL_NODES_MULTICAST, isIPv6Multicast, isIPv6Unspecified } from './ipv6Multicast.js';
import { assertMac, isUnicastMac } from './macAddress.js';
import { decodeNdpFrame } from './ndpFrame.js';
import { decodeNdpMessage, encodeNeighborAdvertisement, type NdpMeta } from './ndpMessage.js';
import { solicitedNodeMulticast } from './solicitedNode.js';
import type { NdpSend } from './unsolicitedNeighborAdvertisement.js';
import { ignoreFrame, type WireConflict, type WireContext, type WireIgnore } from './wireDecision.js';

export interface NdpReplyDecision extends NdpSend {
  readonly kind: 'reply';
  /** The owned address being answered for. */
  readonly address: IPAddress;
}

export type NdpDecision = NdpReplyDecision | WireConflict | WireIgnore;

/**
 * Decides what to do with one ICMPv6 message from the raw socket. First applicable check wins:
 * 1. invalid per RFC 4861 §7.1 (hop limit, code, length, options, DAD shape) → the decode reason;
 * 2. a link-layer option with our MAC → OwnFrame (our own multicast advertisement looped back);
 * 3. a group or zero link-layer address → InvalidSenderMac;
 * Solicitation:
 * 4. from an address we own: with a source link-layer address → conflict (that station uses our address);
 *    without one → SourceOwned (we cannot name it, and answering would send to our own address);
 * 5. target not owned → NotOwner; sent to a multicast group other than the target's solicited-node
 *    group → NotForUs;
 * 6. from :: (DAD) → reply to ff02::1 with S=0 (RFC 4861 §7.2.4): the prober sees the address is taken
 *    and does not configure it — defending the address is the point;
 * 7. otherwise → reply to the source, S=1, O=0, with our MAC. A solicitation without a source link-layer
 *    option (a unicast NUD probe) is answered too; the kernel resolves the source to deliver it.
 *    O=0 as MetalLB does, so a solicited answer never overrides an entry another station holds.
 * Advertisement:
 * 4. target not owned → NotOwner; no target link-layer option → NoLinkLayerAddress;
 * 5. otherwise → conflict: another MAC advertises our address.
 */
export function decideNdp(icmp: Uint8Array, meta: NdpMeta, ctx: WireContext): NdpDecision {
  assertMac(ctx.interfaceMac, 'interface MAC');
  const decoded = decodeNdpMessage(icmp, meta);
  if (!decoded.ok) return ignoreFrame(decoded.error.reason, decoded.error.message);
  const message = decoded.value;
  const ours = ctx.interfaceMac;
  const target = message.target;
  const mac = message.type === 'solicitation' ? message.sourceMac : message.targetMac;
  if (mac === ours) return ignoreFrame('OwnFrame', `Neighbor ${message.type} carries our MAC ${ours}`);
  if (mac !== undefined && !isUnicastMac(mac)) {
    return ignoreFrame('InvalidSenderMac', `Neighbor ${message.type} carries link-layer address ${mac}, not a unicast station address`);
  }

  if (message.type === 'advertisement') {
    if (!ctx.owns(target)) return ignoreFrame('NotOwner', `Neighbor Advertisement for ${formatAddress(target)}, which this node does not announce here`);
    if (mac === undefined) {
      return ignoreFrame('NoLinkLayerAddress', `Neighbor Advertisement for ${formatAddress(target)} names no link-layer address`);
    }
    return { kind: 'conflict', address: target, mac };
  }

  if (!isIPv6Unspecified(meta.source) && ctx.owns(meta.source)) {
    if (mac !== undefined) return { kind: 'conflict', address: meta.source, mac };
    return ignoreFrame('SourceOwned', `Neighbor Solicitation comes from ${formatAddress(meta.source)}, an address this node announces`);
  }
  if (!ctx.owns(target)) {
    return ignoreFrame('NotOwner', `Neighbor Solicitation asks for ${formatAddress(target)}, which this node does not announce here`);
  }
  const group = solicitedNodeMulticast(target);
  if (meta.destination !== undefined && isIPv6Multicast(meta.destination) && meta.destination.value !== group.value) {
    return ignoreFrame(
      'NotForUs',
      `Neighbor Solicitation for ${formatAddress(target)} was sent to ${formatAddress(meta.destination)}, not ${formatAddress(group)}`,
    );
  }
  const dad = isIPv6Unspecified(meta.source);
  return {
    kind: 'reply',
    to: dad ? ALL_NODES_MULTICAST : meta.source,
    payload: encodeNeighborAdvertisement({ target, targetMac: ours, solicited: !dad, override: false }),
    address: target,
  };
}

/**
 * decideNdp for a whole Ethernet frame from the NDP packet socket: the frame checks of decodeNdpFrame
 * (IPv6, ICMPv6 right after the header, checksum) first, then decideNdp on what the IPv6 header says.
 */
export function decideNdpFrame(frame: Uint8Array, ctx: WireContext): NdpDecision {
  const decoded = decodeNdpFrame(frame);
  if (!decoded.ok) return ignoreFrame(decoded.error.reason, decoded.error.message);
  return decideNdp(decoded.value.icmp, decoded.value.meta, ctx);
}
