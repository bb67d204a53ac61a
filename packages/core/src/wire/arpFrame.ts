import { formatAddress, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import {
  decodeEthernetHeader,
  encodeEthernetHeader,
  ethernetHeaderLength,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  type VlanTag,
} from './ethernetHeader.js';
import { macFromBytes, writeMac, type MacAddress } from './macAddress.js';
import { wireError, type WireError } from './wireReason.js';

export type ArpOperation = 'request' | 'reply';

/** An Ethernet frame carrying ARP for IPv4 (RFC 826 with htype 1, ptype 0x0800) — the only kind herald speaks. */
export interface ArpFrame {
  readonly ethernetDestination: MacAddress;
  readonly ethernetSource: MacAddress;
  readonly vlan?: VlanTag;
  readonly operation: ArpOperation;
  readonly senderMac: MacAddress;
  readonly senderIp: IPAddress;
  readonly targetMac: MacAddress;
  readonly targetIp: IPAddress;
}

/** Ethernet's minimum frame without the FCS; the NIC does not pad frames handed to a packet socket. */
export const ETHERNET_MIN_FRAME = 60;
const ARP_FIXED = 8;
const ARP_IPV4_ETHERNET = 28;

const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

const OPERATIONS: Record<number, ArpOperation | undefined> = { 1: 'request', 2: 'reply' };

const u16 = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
const ipv4 = (bytes: Uint8Array, at: number): IPAddress => ({
  family: 4,
  value: BigInt(((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0),
});

/** Trailing bytes after the 28-byte ARP body (padding, or an FCS some drivers keep) are ignored. */
export function decodeArpFrame(frame: Uint8Array): Result<ArpFrame, WireError> {
  const eth = decodeEthernetHeader(frame);
  if (!eth.ok) return eth;
  const { etherType, payloadOffset: o } = eth.value;
  if (etherType !== ETHERTYPE_ARP) {
    return err(wireError('NotArp', `ethertype ${hex16(etherType)} is not ARP (0x0806)`));
  }
  if (frame.length < o + ARP_FIXED) {
    return err(wireError('TooShort', `frame has ${frame.length} bytes; the ARP header ends at byte ${o + ARP_FIXED}`));
  }
  const htype = u16(frame, o);
  if (htype !== 1) return err(wireError('HardwareTypeNotEthernet', `ARP hardware type ${htype} is not Ethernet (1)`));
  const ptype = u16(frame, o + 2);
  if (ptype !== ETHERTYPE_IPV4) {
    return err(wireError('ProtocolTypeNotIPv4', `ARP protocol type ${hex16(ptype)} is not IPv4 (0x0800)`));
  }
  const hlen = frame[o + 4]!;
  if (hlen !== 6) return err(wireError('HardwareLengthNot6', `ARP hardware address length ${hlen} is not 6`));
  const plen = frame[o + 5]!;
  if (plen !== 4) return err(wireError('ProtocolLengthNot4', `ARP protocol address length ${plen} is not 4`));
  const op = u16(frame, o + 6);
  const operation = OPERATIONS[op];
  if (operation === undefined) {
    return err(wireError('UnknownArpOperation', `ARP operation ${op} is neither request (1) nor reply (2)`));
  }
  if (frame.length < o + ARP_IPV4_ETHERNET) {
    return err(
      wireError('TooShort', `frame has ${frame.length} bytes; an ARP packet for IPv4 over Ethernet ends at byte ${o + ARP_IPV4_ETHERNET}`),
    );
  }
  const frameOut: ArpFrame = {
    ethernetDestination: eth.value.destination,
    ethernetSource: eth.value.source,
    operation,
    senderMac: macFromBytes(frame, o + 8),
    senderIp: ipv4(frame, o + 14),
    targetMac: macFromBytes(frame, o + 18),
    targetIp: ipv4(frame, o + 24),
  };
  return ok(eth.value.vlan === undefined ? frameOut : { ...frameOut, vlan: eth.value.vlan });
}

function writeIPv4(ip: IPAddress, what: string, out: Uint8Array, at: number): void {
  if (ip.family !== 4 || ip.value < 0n || ip.value > 0xffffffffn) {
    throw new RangeError(`ARP over Ethernet carries IPv4 addresses; ${what} ${formatAddress(ip)} is not one`);
  }
  const v = Number(ip.value);
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** Builds the bytes to hand to a packet socket, zero-padded to Ethernet's 60-byte minimum. */
export function encodeArpFrame(frame: ArpFrame): Uint8Array {
  const header = {
    destination: frame.ethernetDestination,
    source: frame.ethernetSource,
    etherType: ETHERTYPE_ARP,
    ...(frame.vlan === undefined ? {} : { vlan: frame.vlan }),
  };
  const out = new Uint8Array(Math.max(ETHERNET_MIN_FRAME, ethernetHeaderLength(header) + ARP_IPV4_ETHERNET));
  const o = encodeEthernetHeader(header, out);
  const op = frame.operation === 'request' ? 1 : frame.operation === 'reply' ? 2 : undefined;
  if (op === undefined) throw new RangeError(`ARP operation ${JSON.stringify(frame.operation)} is not 'request' or 'reply'`);
  out.set([0, 1, ETHERTYPE_IPV4 >> 8, ETHERTYPE_IPV4 & 0xff, 6, 4, 0, op], o);
  writeMac(frame.senderMac, out, o + 8);
  writeIPv4(frame.senderIp, 'sender IP', out, o + 14);
  writeMac(frame.targetMac, out, o + 18);
  writeIPv4(frame.targetIp, 'target IP', out, o + 24);
  return out;
}
