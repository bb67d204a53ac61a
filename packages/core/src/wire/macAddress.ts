import { err, ok, type Result } from '../result.js';
import { wireError, type WireError } from './wireReason.js';

declare const macAddressBrand: unique symbol;

/**
 * A MAC address in canonical text form, `02:48:52:4c:00:01` (lower case). Text rather than bytes so that
 * `===` compares, it can key a Map, and it goes into LBAddress status and logs as is. The brand means only
 * this module's functions make one; anything else cast to it is rejected when it reaches an encoder.
 */
export type MacAddress = string & { readonly [macAddressBrand]: true };

const CANONICAL = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff' as MacAddress;
export const ZERO_MAC = '00:00:00:00:00:00' as MacAddress;

/** Accepts six colon-separated hex pairs in either case; other spellings (dashes, dots) are refused. */
export function parseMac(text: string): Result<MacAddress, WireError> {
  const lower = text.toLowerCase();
  if (!CANONICAL.test(lower)) {
    return err(
      wireError('MacMalformed', `Cannot parse MAC address ${JSON.stringify(text)}: expected six colon-separated hex pairs`),
    );
  }
  return ok(lower as MacAddress);
}

/** Reads six bytes at `offset`; a caller that has not checked the length has a bug, hence the throw. */
export function macFromBytes(bytes: Uint8Array, offset = 0): MacAddress {
  if (!Number.isInteger(offset) || offset < 0 || offset + 6 > bytes.length) {
    throw new RangeError(`a MAC address needs 6 bytes at offset ${offset}; the buffer has ${bytes.length}`);
  }
  const b = bytes;
  const o = offset;
  return `${HEX[b[o]!]}:${HEX[b[o + 1]!]}:${HEX[b[o + 2]!]}:${HEX[b[o + 3]!]}:${HEX[b[o + 4]!]}:${HEX[b[o + 5]!]}` as MacAddress;
}

/** Throws for anything that did not come from parseMac/macFromBytes, e.g. a five-byte MAC cast to the type. */
export function assertMac(mac: MacAddress, what = 'MAC address'): void {
  if (typeof mac !== 'string' || !CANONICAL.test(mac)) {
    throw new RangeError(`${what} ${JSON.stringify(mac)} is not six lower-case hex pairs; build it with parseMac`);
  }
}

// Only called on text CANONICAL has accepted: '0'-'9' or 'a'-'f'.
const nibble = (code: number): number => (code <= 0x39 ? code - 0x30 : code - 0x57);

export function writeMac(mac: MacAddress, out: Uint8Array, offset: number): void {
  assertMac(mac);
  if (offset < 0 || offset + 6 > out.length) {
    throw new RangeError(`no room for a MAC address at offset ${offset} in ${out.length} bytes`);
  }
  for (let i = 0; i < 6; i++) out[offset + i] = (nibble(mac.charCodeAt(i * 3)) << 4) | nibble(mac.charCodeAt(i * 3 + 1));
}

export function macToBytes(mac: MacAddress): Uint8Array {
  const out = new Uint8Array(6);
  writeMac(mac, out, 0);
  return out;
}

/** The I/G bit: group addresses, broadcast included, never name a single station. */
export const isMulticastMac = (mac: MacAddress): boolean => (nibble(mac.charCodeAt(1)) & 1) === 1;

export const isBroadcastMac = (mac: MacAddress): boolean => mac === BROADCAST_MAC;

/** A MAC that can be a station's own: not a group address and not all zeros (zero means "unknown" in ARP). */
export const isUnicastMac = (mac: MacAddress): boolean => mac !== ZERO_MAC && !isMulticastMac(mac);
