import { err, ok, type Result } from '../result.js';
import { macFromBytes, writeMac, type MacAddress } from './macAddress.js';
import { wireError, type WireError } from './wireReason.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;

// A service tag (802.1ad, and the pre-standard 0x9100) or a second customer tag means the frame is inside
// a QinQ tunnel; herald has no configuration that could say which of the inner networks it announces on.
const STACKED_TPIDS = new Set([0x88a8, 0x9100, ETHERTYPE_VLAN]);

/** One 802.1Q tag. */
export interface VlanTag {
  readonly id: number;
  readonly priority: number;
  readonly dropEligible: boolean;
}

export interface EthernetHeader {
  readonly destination: MacAddress;
  readonly source: MacAddress;
  readonly etherType: number;
  readonly vlan?: VlanTag;
}

export interface DecodedEthernetHeader extends EthernetHeader {
  /** Where the payload starts: 14, or 18 after a VLAN tag. */
  readonly payloadOffset: number;
}

const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/**
 * Reads the destination, source, at most one 802.1Q tag and the ethertype. On Linux a packet socket
 * normally sees frames with the tag already removed (VLAN offload, or the kernel's software untagging),
 * so a tag in the bytes is rare; it is decoded so that a decision can refuse it by name.
 */
export function decodeEthernetHeader(frame: Uint8Array): Result<DecodedEthernetHeader, WireError> {
  if (frame.length < 14) {
    return err(wireError('TooShort', `frame has ${frame.length} bytes; an Ethernet header needs 14`));
  }
  const destination = macFromBytes(frame, 0);
  const source = macFromBytes(frame, 6);
  const outer = (frame[12]! << 8) | frame[13]!;
  if (outer !== ETHERTYPE_VLAN) {
    if (STACKED_TPIDS.has(outer)) {
      return err(wireError('VlanUnsupported', `ethertype ${hex16(outer)} is a service (QinQ) tag; only one 802.1Q tag is read`));
    }
    return ok({ destination, source, etherType: outer, payloadOffset: 14 });
  }
  if (frame.length < 18) {
    return err(wireError('TooShort', `frame has ${frame.length} bytes; an Ethernet header with an 802.1Q tag needs 18`));
  }
  const tci = (frame[14]! << 8) | frame[15]!;
  const inner = (frame[16]! << 8) | frame[17]!;
  if (STACKED_TPIDS.has(inner)) {
    return err(wireError('VlanUnsupported', `802.1Q tag is followed by another tag (${hex16(inner)}); only one tag is read`));
  }
  const vlan: VlanTag = { id: tci & 0x0fff, priority: tci >> 13, dropEligible: (tci & 0x1000) !== 0 };
  return ok({ destination, source, etherType: inner, vlan, payloadOffset: 18 });
}

export const ethernetHeaderLength = (header: EthernetHeader): number => (header.vlan === undefined ? 14 : 18);

/** Writes the header at the start of `out` and returns where the payload begins. */
export function encodeEthernetHeader(header: EthernetHeader, out: Uint8Array): number {
  if (!Number.isInteger(header.etherType) || header.etherType < 0 || header.etherType > 0xffff) {
    throw new RangeError(`ethertype ${header.etherType} does not fit in 16 bits`);
  }
  writeMac(header.destination, out, 0);
  writeMac(header.source, out, 6);
  let at = 12;
  if (header.vlan !== undefined) {
    const { id, priority, dropEligible } = header.vlan;
    if (!Number.isInteger(id) || id < 0 || id > 4095) throw new RangeError(`VLAN id ${id} is not 0-4095`);
    if (!Number.isInteger(priority) || priority < 0 || priority > 7) throw new RangeError(`VLAN priority ${priority} is not 0-7`);
    const tci = (priority << 13) | (dropEligible ? 0x1000 : 0) | id;
    out[12] = ETHERTYPE_VLAN >> 8;
    out[13] = ETHERTYPE_VLAN & 0xff;
    out[14] = tci >> 8;
    out[15] = tci & 0xff;
    at = 16;
  }
  out[at] = header.etherType >> 8;
  out[at + 1] = header.etherType & 0xff;
  return at + 2;
}
