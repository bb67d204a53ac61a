import { formatAddress, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import { decodeEthernetHeader, encodeEthernetHeader } from './ethernetHeader.js';
import { icmpv6Sum, writeIcmpv6 } from './icmpv6Checksum.js';
import { ipv6MulticastMac, isIPv6Multicast, isIPv6Unspecified } from './ipv6Multicast.js';
import type { MacAddress } from './macAddress.js';
import { ETHERTYPE_IPV6 } from './ndpFrame.js';
import { wireError, type WireError } from './wireReason.js';

// Multicast Listener Discovery (RFC 2710 v1, RFC 3810 v2): what herald sends so that MLD-snooping switches
// forward solicitations for its addresses, and the queries it answers. Whole Ethernet frames, because the
// speaker sends them on its packet socket (it joins no IPv6 group, so the kernel reports none for it).

export const MLD_QUERY = 130;
export const MLDV1_REPORT = 131;
export const MLDV1_DONE = 132;
export const MLDV2_REPORT = 143;

/** ff02::16, where MLDv2 reports go (RFC 3810 §5.2.14). */
export const ALL_MLDV2_ROUTERS: IPAddress = { family: 6, value: (0xff02n << 112n) | 0x16n };
/** ff02::2, where MLDv1 Done messages go (RFC 2710 §3.7). */
export const ALL_ROUTERS: IPAddress = { family: 6, value: (0xff02n << 112n) | 2n };

/** RFC 3810 §5.2.12 record types herald uses: current state (answers) and state changes (unsolicited). */
export const MLD_RECORD_TYPES = { ModeIsInclude: 1, ModeIsExclude: 2, ChangeToInclude: 3, ChangeToExclude: 4 } as const;
export type MldRecordType = keyof typeof MLD_RECORD_TYPES;

/** One group record with no sources: EXCLUDE {} is "listening", INCLUDE {} is "not listening". */
export interface MldRecord {
  readonly type: MldRecordType;
  readonly group: IPAddress;
}

/** A report to send: MLDv2 with any number of records, or one MLDv1 Report/Done for older queriers. */
export type MldReport =
  | { readonly version: 2; readonly records: readonly MldRecord[] }
  | { readonly version: 1; readonly kind: 'report' | 'done'; readonly group: IPAddress };

const IPV6_HEADER = 40;
/** Hop-by-hop header: next header, length 0 (8 bytes), Router Alert (type 5, length 2, value 0 = MLD), PadN of 2. */
const HOP_BY_HOP = 8;
const NEXT_HEADER_HOP_BY_HOP = 0;
const NEXT_HEADER_ICMPV6 = 58;
const OPTION_PAD1 = 0;
const OPTION_ROUTER_ALERT = 5;
const V2_REPORT_HEADER = 8;
const RECORD = 20;
const V1_MESSAGE = 24;
const V2_QUERY = 28;

/** How many zero-source records fit one report on a link of `mtu` bytes (IPv6 + hop-by-hop + report header). */
export function mldv2RecordsPerReport(mtu: number): number {
  const n = Math.floor((mtu - IPV6_HEADER - HOP_BY_HOP - V2_REPORT_HEADER) / RECORD);
  if (!Number.isInteger(mtu) || n < 1) throw new RangeError(`MTU ${mtu} cannot carry an MLDv2 report with one record (IPv6 needs at least 1280)`);
  return n;
}

function writeIPv6(ip: IPAddress, what: string, out: Uint8Array, at: number): void {
  if (ip.family !== 6) throw new RangeError(`MLD carries IPv6 addresses; ${what} ${formatAddress(ip)} is not one`);
  const view = new DataView(out.buffer, out.byteOffset + at, 16);
  view.setBigUint64(0, ip.value >> 64n);
  view.setBigUint64(8, ip.value & 0xffff_ffff_ffff_ffffn);
}

const ipv6At = (bytes: Uint8Array, at: number): IPAddress => {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 16);
  return { family: 6, value: (view.getBigUint64(0) << 64n) | view.getBigUint64(8) };
};

function assertGroup(group: IPAddress): void {
  if (!isIPv6Multicast(group)) throw new RangeError(`an MLD record names a multicast group; ${formatAddress(group)} is not one`);
}

/** The ICMPv6 part of a report (checksum zero): what encodeMldFrame wraps. */
export function encodeMldReportMessage(report: MldReport): Uint8Array {
  if (report.version === 1) {
    assertGroup(report.group);
    const out = new Uint8Array(V1_MESSAGE);
    out[0] = report.kind === 'report' ? MLDV1_REPORT : MLDV1_DONE;
    writeIPv6(report.group, 'group', out, 8);
    return out;
  }
  if (report.records.length === 0 || report.records.length > 0xffff) throw new RangeError(`an MLDv2 report carries 1 to 65535 records, not ${report.records.length}`);
  const out = new Uint8Array(V2_REPORT_HEADER + RECORD * report.records.length);
  out[0] = MLDV2_REPORT;
  out[6] = report.records.length >> 8;
  out[7] = report.records.length & 0xff;
  report.records.forEach((r, i) => {
    assertGroup(r.group);
    const at = V2_REPORT_HEADER + RECORD * i;
    out[at] = MLD_RECORD_TYPES[r.type];
    // Aux data length 0 and number of sources 0 stay zero.
    writeIPv6(r.group, 'group', out, at + 4);
  });
  return out;
}

/** Where a report goes (RFC 3810 §5.2.14, RFC 2710 §3.6-3.7). */
export const mldReportDestination = (report: MldReport): IPAddress =>
  report.version === 2 ? ALL_MLDV2_ROUTERS : report.kind === 'report' ? report.group : ALL_ROUTERS;

export interface MldFrameOptions {
  readonly ethernetSource: MacAddress;
  /** The interface's link-local address, or :: while it has none (RFC 3590 §4). */
  readonly source: IPAddress;
  readonly destination: IPAddress;
  /** The ICMPv6 message with its checksum field zero; the checksum is computed here. */
  readonly icmp: Uint8Array;
}

/**
 * A whole MLD frame: Ethernet to the destination group's MAC, IPv6 with hop limit 1 and a hop-by-hop header
 * carrying Router Alert (RFC 2711, value 0: MLD), then the message. The ICMPv6 checksum covers the
 * pseudo-header with the final destination and the ICMPv6 length only: the hop-by-hop header is not part
 * of the upper-layer packet (RFC 8200 §8.1).
 */
export function encodeMldFrame(o: MldFrameOptions): Uint8Array {
  if (!isIPv6Multicast(o.destination)) throw new RangeError(`MLD messages go to a multicast group; ${formatAddress(o.destination)} is not one`);
  const payload = HOP_BY_HOP + o.icmp.length;
  if (payload > 0xffff) throw new RangeError(`MLD message of ${o.icmp.length} bytes does not fit an IPv6 payload length`);
  const out = new Uint8Array(14 + IPV6_HEADER + payload);
  const at = encodeEthernetHeader({ destination: ipv6MulticastMac(o.destination), source: o.ethernetSource, etherType: ETHERTYPE_IPV6 }, out);
  out[at] = 0x60;
  out[at + 4] = payload >> 8;
  out[at + 5] = payload & 0xff;
  out[at + 6] = NEXT_HEADER_HOP_BY_HOP;
  out[at + 7] = 1;
  writeIPv6(o.source, 'source', out, at + 8);
  writeIPv6(o.destination, 'destination', out, at + 24);
  const hbh = at + IPV6_HEADER;
  out.set([NEXT_HEADER_ICMPV6, 0, OPTION_ROUTER_ALERT, 2, 0, 0, 1, 0], hbh);
  writeIcmpv6(out.subarray(hbh + HOP_BY_HOP), o.icmp, o.source, o.destination);
  return out;
}

/** The report as a frame from this interface: MAC and source address. */
export const encodeMldReportFrame = (report: MldReport, from: { mac: MacAddress; source: IPAddress }): Uint8Array =>
  encodeMldFrame({ ethernetSource: from.mac, source: from.source, destination: mldReportDestination(report), icmp: encodeMldReportMessage(report) });

/** A received Multicast Listener Query. */
export interface MldQuery {
  readonly version: 1 | 2;
  /** The group asked about; undefined for a General Query (multicast address ::). */
  readonly group?: IPAddress;
  /** How long the querier gives listeners to answer (RFC 3810 §5.1.3, decoded). */
  readonly maxResponseDelayMs: number;
  /** The querier's Robustness Variable (QRV, v2 only; 0 = not given). */
  readonly robustness: number;
  /** The number of sources in a group-and-source-specific query (v2); herald answers it as group-specific. */
  readonly sources: number;
  readonly source: IPAddress;
}

/** RFC 3810 §5.1.3: below 32768 the code is milliseconds; above, a floating-point mantissa and exponent. */
export function mldMaxResponseDelayMs(code: number): number {
  if (code < 0x8000) return code;
  const exp = (code >> 12) & 0x7;
  const mant = code & 0x0fff;
  return (mant | 0x1000) * 2 ** (exp + 3);
}

/**
 * Reads an MLD Query out of a whole frame from the MLD packet socket: Ethernet, IPv6 with hop limit 1
 * (RFC 3810 §5.1.1: anything else may come from off-link), a hop-by-hop header (walked; herald does not
 * insist on Router Alert being in it, as Linux does not), ICMPv6 type 130 with a valid checksum, v1 (24
 * bytes) or v2 (28 bytes and the sources it counts), from a link-local source (§5.1.14; :: never queries).
 */
export function decodeMldQueryFrame(frame: Uint8Array): Result<MldQuery, WireError> {
  const header = decodeEthernetHeader(frame);
  if (!header.ok) return header;
  const { vlan, etherType, payloadOffset: at } = header.value;
  if (vlan !== undefined) return err(wireError('VlanTagged', `frame carries 802.1Q tag ${vlan.id}; herald answers untagged frames only`));
  if (etherType !== ETHERTYPE_IPV6) return err(wireError('NotIPv6', `ethertype 0x${etherType.toString(16).padStart(4, '0')} is not IPv6 (0x86dd)`));
  if (frame.length < at + IPV6_HEADER + HOP_BY_HOP) return err(wireError('TooShort', `frame has ${frame.length} bytes; IPv6 and hop-by-hop headers need ${at + IPV6_HEADER + HOP_BY_HOP}`));
  if (frame[at]! >> 4 !== 6) return err(wireError('NotIPv6', `IP version ${frame[at]! >> 4} in an IPv6 frame`));
  const payloadLength = (frame[at + 4]! << 8) | frame[at + 5]!;
  const end = at + IPV6_HEADER + payloadLength;
  if (end > frame.length) return err(wireError('TooShort', `IPv6 payload length ${payloadLength} runs past the frame`));
  if (frame[at + 6] !== NEXT_HEADER_HOP_BY_HOP) return err(wireError('NotMld', `IPv6 next header ${frame[at + 6]} is not hop-by-hop (0), which MLD always carries`));
  const hopLimit = frame[at + 7]!;
  if (hopLimit !== 1) return err(wireError('HopLimitNot1', `MLD query arrived with hop limit ${hopLimit}, not 1: it may come from off-link`));
  const source = ipv6At(frame, at + 8);
  const destination = ipv6At(frame, at + 24);
  const hbh = at + IPV6_HEADER;
  const hbhLength = (frame[hbh + 1]! + 1) * 8;
  if (frame[hbh] !== NEXT_HEADER_ICMPV6) return err(wireError('NotMld', `hop-by-hop header is followed by next header ${frame[hbh]}, not ICMPv6 (58)`));
  if (hbh + hbhLength > end) return err(wireError('TooShort', `hop-by-hop header of ${hbhLength} bytes runs past the payload`));
  for (let o = hbh + 2; o < hbh + hbhLength; ) {
    if (frame[o] === OPTION_PAD1) {
      o += 1;
      continue;
    }
    if (o + 2 > hbh + hbhLength || o + 2 + frame[o + 1]! > hbh + hbhLength) return err(wireError('OptionTruncated', `hop-by-hop option at byte ${o} runs past its header`));
    o += 2 + frame[o + 1]!;
  }
  const icmp = frame.subarray(hbh + hbhLength, end);
  if (icmp.length < V1_MESSAGE) return err(wireError('TooShort', `MLD message has ${icmp.length} bytes; a query has at least 24`));
  if (icmp[0] !== MLD_QUERY) return err(wireError('NotMld', `ICMPv6 type ${icmp[0]} is not a Multicast Listener Query (130)`));
  if (icmpv6Sum(source, destination, icmp) !== 0xffff) {
    return err(wireError('ChecksumInvalid', `ICMPv6 checksum 0x${((icmp[2]! << 8) | icmp[3]!).toString(16)} from ${formatAddress(source)} does not match`));
  }
  if (source.value >> 118n !== 0xfe80n >> 6n) return err(wireError('SourceNotLinkLocal', `MLD query from ${formatAddress(source)}, not a link-local address`));
  const code = (icmp[4]! << 8) | icmp[5]!;
  const multicastAddress = ipv6At(icmp, 8);
  const group = isIPv6Unspecified(multicastAddress) ? undefined : multicastAddress;
  if (group !== undefined && !isIPv6Multicast(group)) return err(wireError('NotMld', `query names ${formatAddress(group)}, which is not a multicast group`));
  if (icmp.length === V1_MESSAGE) {
    return ok({ version: 1, ...(group ? { group } : {}), maxResponseDelayMs: code, robustness: 0, sources: 0, source });
  }
  if (icmp.length < V2_QUERY) return err(wireError('TooShort', `MLD query of ${icmp.length} bytes is neither v1 (24) nor v2 (at least 28)`));
  const sources = (icmp[26]! << 8) | icmp[27]!;
  if (icmp.length < V2_QUERY + 16 * sources) return err(wireError('TooShort', `MLDv2 query counts ${sources} sources in ${icmp.length} bytes`));
  return ok({ version: 2, ...(group ? { group } : {}), maxResponseDelayMs: mldMaxResponseDelayMs(code), robustness: icmp[24]! & 0x7, sources, source });
}

export interface MldQueryOptions {
  readonly version: 1 | 2;
  readonly group?: IPAddress;
  /** Encoded exactly for v1 and for v2 below 32768 ms; v2 above is rounded down to what the code can say. */
  readonly maxResponseDelayMs: number;
  readonly robustness?: number;
}

/** A query's ICMPv6 message (checksum zero): herald never queries, but tests and LAN probes do. */
export function encodeMldQueryMessage(o: MldQueryOptions): Uint8Array {
  const out = new Uint8Array(o.version === 1 ? V1_MESSAGE : V2_QUERY);
  out[0] = MLD_QUERY;
  let code = o.maxResponseDelayMs;
  if (o.version === 2 && code >= 0x8000) {
    let exp = 0;
    while (exp < 7 && code >> (exp + 3) > 0x1fff) exp++;
    code = 0x8000 | (exp << 12) | ((code >> (exp + 3)) & 0x0fff);
  }
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new RangeError(`maximum response delay ${o.maxResponseDelayMs} ms cannot be encoded`);
  out[4] = code >> 8;
  out[5] = code & 0xff;
  if (o.group !== undefined) {
    assertGroup(o.group);
    writeIPv6(o.group, 'group', out, 8);
  }
  if (o.version === 2) {
    out[24] = (o.robustness ?? 2) & 0x7;
    out[25] = 125; // QQIC: the default query interval, seconds
  }
  return out;
}
