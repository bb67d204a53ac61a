import { formatAddress, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import { decodeEthernetHeader, encodeEthernetHeader } from './ethernetHeader.js';
import { icmpv6Sum, writeIcmpv6 } from './icmpv6Checksum.js';
import type { MacAddress } from './macAddress.js';
import type { NdpMeta } from './ndpMessage.js';
import { wireError, type WireError } from './wireReason.js';

export const ETHERTYPE_IPV6 = 0x86dd;
const IPV6_HEADER = 40;
const NEXT_HEADER_ICMPV6 = 58;

/** An ICMPv6 message read from an Ethernet frame, with what the IPv6 header said about it. */
export interface NdpFrame {
  readonly ethernetSource: MacAddress;
  readonly ethernetDestination: MacAddress;
  /** Source, destination and hop limit from the IPv6 header, as decideNdp takes them. */
  readonly meta: Required<NdpMeta>;
  /** The ICMPv6 message (a view into the frame), exactly the IPv6 payload length long. */
  readonly icmp: Uint8Array;
}

const ipv6At = (bytes: Uint8Array, at: number): IPAddress => {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 16);
  return { family: 6, value: (view.getBigUint64(0) << 64n) | view.getBigUint64(8) };
};

/**
 * Reads an ICMPv6 message out of a whole Ethernet frame from the NDP packet socket, which sees frames
 * before the kernel's IPv6 stack has checked anything. Checks, first failing wins: Ethernet header
 * readable and untagged (VlanTagged, as for ARP), ethertype IPv6 and version 6 (NotIPv6), the payload
 * length fits the frame (TooShort; Ethernet padding after it is ignored), ICMPv6 directly after the fixed
 * header (NextHeaderNotIcmpv6: herald does not walk extension headers, which neighbour discovery senders
 * do not use), and the ICMPv6 checksum (ChecksumInvalid). The hop limit is passed on, not judged here.
 */
export function decodeNdpFrame(frame: Uint8Array): Result<NdpFrame, WireError> {
  const header = decodeEthernetHeader(frame);
  if (!header.ok) return header;
  const { vlan, etherType, payloadOffset: at } = header.value;
  if (vlan !== undefined) return err(wireError('VlanTagged', `frame carries 802.1Q tag ${vlan.id}; herald answers untagged frames only`));
  if (etherType !== ETHERTYPE_IPV6) return err(wireError('NotIPv6', `ethertype 0x${etherType.toString(16).padStart(4, '0')} is not IPv6 (0x86dd)`));
  if (frame.length < at + IPV6_HEADER) {
    return err(wireError('TooShort', `frame has ${frame.length} bytes; an IPv6 header after the Ethernet header needs ${at + IPV6_HEADER}`));
  }
  const version = frame[at]! >> 4;
  if (version !== 6) return err(wireError('NotIPv6', `IP version ${version} in an IPv6 frame`));
  const payloadLength = (frame[at + 4]! << 8) | frame[at + 5]!;
  const nextHeader = frame[at + 6]!;
  const hopLimit = frame[at + 7]!;
  const start = at + IPV6_HEADER;
  if (start + payloadLength > frame.length) {
    return err(wireError('TooShort', `IPv6 payload length ${payloadLength} runs past the frame's ${frame.length - start} bytes`));
  }
  if (nextHeader !== NEXT_HEADER_ICMPV6) {
    return err(wireError('NextHeaderNotIcmpv6', `IPv6 next header ${nextHeader} is not ICMPv6 (58); extension headers are not read`));
  }
  const source = ipv6At(frame, at + 8);
  const destination = ipv6At(frame, at + 24);
  const icmp = frame.subarray(start, start + payloadLength);
  if (icmp.length < 4) return err(wireError('TooShort', `ICMPv6 message has ${icmp.length} bytes`));
  if (icmpv6Sum(source, destination, icmp) !== 0xffff) {
    return err(wireError('ChecksumInvalid', `ICMPv6 checksum 0x${((icmp[2]! << 8) | icmp[3]!).toString(16)} from ${formatAddress(source)} does not match`));
  }
  return ok({
    ethernetSource: header.value.source,
    ethernetDestination: header.value.destination,
    meta: { source, destination, hopLimit },
    icmp,
  });
}

export interface NdpFrameOptions {
  readonly ethernetSource: MacAddress;
  readonly ethernetDestination: MacAddress;
  readonly source: IPAddress;
  readonly destination: IPAddress;
  /** 255 unless a test wants a frame that must be dropped. */
  readonly hopLimit?: number;
  /** The ICMPv6 message with its checksum field zero; the checksum is computed here. */
  readonly icmp: Uint8Array;
}

/** A whole Ethernet/IPv6/ICMPv6 frame with the checksum filled in: for tests, probes and fuzz seeds. */
export function encodeNdpFrame(o: NdpFrameOptions): Uint8Array {
  const hopLimit = o.hopLimit ?? 255;
  if (!Number.isInteger(hopLimit) || hopLimit < 0 || hopLimit > 255) throw new RangeError(`hop limit ${hopLimit} is not 0-255`);
  if (o.icmp.length > 0xffff) throw new RangeError(`ICMPv6 message of ${o.icmp.length} bytes does not fit an IPv6 payload length`);
  const out = new Uint8Array(14 + IPV6_HEADER + o.icmp.length);
  const at = encodeEthernetHeader({ destination: o.ethernetDestination, source: o.ethernetSource, etherType: ETHERTYPE_IPV6 }, out);
  const view = new DataView(out.buffer, out.byteOffset);
  out[at] = 0x60;
  view.setUint16(at + 4, o.icmp.length);
  out[at + 6] = NEXT_HEADER_ICMPV6;
  out[at + 7] = hopLimit;
  for (const [ip, offset] of [[o.source, at + 8], [o.destination, at + 24]] as const) {
    if (ip.family !== 6) throw new RangeError(`an IPv6 header carries IPv6 addresses; ${formatAddress(ip)} is not one`);
    view.setBigUint64(offset, ip.value >> 64n);
    view.setBigUint64(offset + 8, ip.value & 0xffff_ffff_ffff_ffffn);
  }
  writeIcmpv6(out.subarray(at + IPV6_HEADER), o.icmp, o.source, o.destination);
  return out;
}
