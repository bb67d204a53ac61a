import { formatAddress, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import { isIPv6Multicast, isIPv6Unspecified } from './ipv6Multicast.js';
import { assertMac, macFromBytes, writeMac, type MacAddress } from './macAddress.js';
import { isSolicitedNodeMulticast } from './solicitedNode.js';
import { wireError, type WireError } from './wireReason.js';

export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;
const HEADER = 24;
const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

/** What the ICMPv6 raw socket reports beside the message (the kernel has removed the IPv6 header). */
export interface NdpMeta {
  readonly source: IPAddress;
  /** Unknown when the socket cannot report it (no IPV6_PKTINFO); the checks that need it are then skipped. */
  readonly destination?: IPAddress;
  readonly hopLimit: number;
}

export interface NeighborSolicitation {
  readonly type: 'solicitation';
  readonly target: IPAddress;
  readonly sourceMac?: MacAddress;
}

export interface NeighborAdvertisement {
  readonly type: 'advertisement';
  readonly target: IPAddress;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly targetMac?: MacAddress;
}

export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

const ipv6At = (bytes: Uint8Array, at: number): IPAddress => {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 16);
  return { family: 6, value: (view.getBigUint64(0) << 64n) | view.getBigUint64(8) };
};

function writeIPv6(ip: IPAddress, what: string, out: Uint8Array, at: number): void {
  if (ip.family !== 6 || ip.value < 0n || ip.value >> 128n !== 0n) {
    throw new RangeError(`Neighbor Discovery carries IPv6 addresses; ${what} ${formatAddress(ip)} is not one`);
  }
  const view = new DataView(out.buffer, out.byteOffset + at, 16);
  view.setBigUint64(0, ip.value >> 64n);
  view.setBigUint64(8, ip.value & 0xffff_ffff_ffff_ffffn);
}

/**
 * Finds the first link-layer address option of `wanted` type, checking every option's length on the way
 * (RFC 4861 §7.1: any zero-length option invalidates the message; so, as in Linux, does one running past
 * the end). A later duplicate is ignored, as Linux does; other option types are skipped (§4.6).
 */
function findLinkLayerOption(icmp: Uint8Array, wanted: number): Result<MacAddress | undefined, WireError> {
  let found: MacAddress | undefined;
  for (let at = HEADER; at < icmp.length; ) {
    const remaining = icmp.length - at;
    if (remaining < 2) {
      return err(wireError('OptionTruncated', `${remaining} byte(s) after the last option at byte ${at} cannot hold an option header`));
    }
    const type = icmp[at]!;
    const units = icmp[at + 1]!;
    if (units === 0) return err(wireError('OptionLengthZero', `option type ${type} at byte ${at} has length 0`));
    if (units * 8 > remaining) {
      return err(wireError('OptionTruncated', `option type ${type} at byte ${at} claims ${units * 8} bytes; ${remaining} remain`));
    }
    if (type === wanted && found === undefined) {
      // Ethernet's link-layer option is exactly one unit (RFC 2464 §8); Linux drops the message otherwise.
      if (units !== 1) {
        return err(
          wireError('LinkLayerOptionLength', `link-layer address option at byte ${at} is ${units * 8} bytes; Ethernet uses 8`),
        );
      }
      found = macFromBytes(icmp, at + 2);
    }
    at += units * 8;
  }
  return ok(found);
}

/**
 * Validates a Neighbor Solicitation or Advertisement as RFC 4861 §7.1.1 and §7.1.2 require, except the
 * checksum, which the kernel has verified. The type is checked before the hop limit so that other ICMPv6
 * traffic on the socket is counted as NotNeighborDiscovery rather than as a hop-limit violation.
 */
export function decodeNdpMessage(icmp: Uint8Array, meta: NdpMeta): Result<NdpMessage, WireError> {
  if (meta.source.family !== 6) throw new RangeError(`NDP source ${formatAddress(meta.source)} is not IPv6`);
  if (meta.destination !== undefined && meta.destination.family !== 6) {
    throw new RangeError(`NDP destination ${formatAddress(meta.destination)} is not IPv6`);
  }
  if (icmp.length < 1) return err(wireError('TooShort', 'ICMPv6 message is empty'));
  const type = icmp[0]!;
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    return err(wireError('NotNeighborDiscovery', `ICMPv6 type ${type} is neither Neighbor Solicitation (135) nor Advertisement (136)`));
  }
  const name = type === ICMPV6_NEIGHBOR_SOLICITATION ? 'Neighbor Solicitation' : 'Neighbor Advertisement';
  if (meta.hopLimit !== 255) {
    return err(wireError('HopLimitNot255', `${name} arrived with hop limit ${meta.hopLimit}, not 255: it may come from off-link`));
  }
  if (icmp.length < HEADER) return err(wireError('TooShort', `${name} has ${icmp.length} bytes; at least 24 are required`));
  if (icmp[1] !== 0) return err(wireError('CodeNotZero', `${name} has ICMPv6 code ${icmp[1]}, not 0`));
  if (isIPv6Multicast(meta.source)) {
    return err(wireError('SourceMulticast', `${name} comes from multicast address ${formatAddress(meta.source)}`));
  }
  const target = ipv6At(icmp, 8);
  if (isIPv6Multicast(target)) {
    return err(wireError('TargetMulticast', `${name} targets multicast address ${formatAddress(target)}`));
  }
  const option = findLinkLayerOption(icmp, type === ICMPV6_NEIGHBOR_SOLICITATION ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER);
  if (!option.ok) return option;
  const mac = option.value;
  const destination = meta.destination;

  if (type === ICMPV6_NEIGHBOR_SOLICITATION) {
    if (isIPv6Unspecified(meta.source)) {
      if (destination !== undefined && !isSolicitedNodeMulticast(destination)) {
        return err(
          wireError('DadNotToSolicitedNode', `DAD solicitation from :: is sent to ${formatAddress(destination)}, not a solicited-node group`),
        );
      }
      if (mac !== undefined) {
        return err(wireError('DadWithSourceLinkLayer', `DAD solicitation from :: carries source link-layer address ${mac}`));
      }
    }
    return ok(mac === undefined ? { type: 'solicitation', target } : { type: 'solicitation', target, sourceMac: mac });
  }

  const flags = icmp[4]!;
  const solicited = (flags & FLAG_SOLICITED) !== 0;
  if (solicited && destination !== undefined && isIPv6Multicast(destination)) {
    return err(
      wireError('SolicitedToMulticast', `solicited Neighbor Advertisement is sent to multicast address ${formatAddress(destination)}`),
    );
  }
  const advertisement: NeighborAdvertisement = {
    type: 'advertisement',
    target,
    router: (flags & FLAG_ROUTER) !== 0,
    solicited,
    override: (flags & FLAG_OVERRIDE) !== 0,
  };
  return ok(mac === undefined ? advertisement : { ...advertisement, targetMac: mac });
}

export interface NeighborAdvertisementOptions {
  readonly target: IPAddress;
  readonly targetMac: MacAddress;
  readonly solicited: boolean;
  readonly override: boolean;
  /** herald is not a router; settable only so tests and tools can build any advertisement. */
  readonly router?: boolean;
}

/** A Neighbor Advertisement with a target link-layer option; checksum 0, because the kernel fills it in. */
export function encodeNeighborAdvertisement(options: NeighborAdvertisementOptions): Uint8Array {
  assertMac(options.targetMac, 'target link-layer address');
  const out = new Uint8Array(HEADER + 8);
  out[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
  out[4] = (options.router === true ? FLAG_ROUTER : 0) | (options.solicited ? FLAG_SOLICITED : 0) | (options.override ? FLAG_OVERRIDE : 0);
  writeIPv6(options.target, 'target', out, 8);
  out[HEADER] = OPTION_TARGET_LINK_LAYER;
  out[HEADER + 1] = 1;
  writeMac(options.targetMac, out, HEADER + 2);
  return out;
}

export interface NeighborSolicitationOptions {
  readonly target: IPAddress;
  /** Omit for a DAD probe (sent from ::), which must not carry one. */
  readonly sourceMac?: MacAddress;
}

/** A Neighbor Solicitation; herald never sends one, but tests and LAN probes do. Checksum 0, as above. */
export function encodeNeighborSolicitation(options: NeighborSolicitationOptions): Uint8Array {
  const out = new Uint8Array(HEADER + (options.sourceMac === undefined ? 0 : 8));
  out[0] = ICMPV6_NEIGHBOR_SOLICITATION;
  writeIPv6(options.target, 'target', out, 8);
  if (options.sourceMac !== undefined) {
    out[HEADER] = OPTION_SOURCE_LINK_LAYER;
    out[HEADER + 1] = 1;
    writeMac(options.sourceMac, out, HEADER + 2);
  }
  return out;
}
