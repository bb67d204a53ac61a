import { err, ok, type Result } from '../result.js';
import { addressSyntaxError, type AddressSyntaxError } from './addressSyntaxError.js';

export type Family = 4 | 6;

/** An IP address as an unsigned integer of its family's width; the integer form makes ranges cheap. */
export interface IPAddress {
  readonly family: Family;
  readonly value: bigint;
}

export const familyBits = (family: Family): number => (family === 4 ? 32 : 128);
export const familyMax = (family: Family): bigint => (1n << BigInt(familyBits(family))) - 1n;

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string, whole: string): Result<bigint, AddressSyntaxError> {
  const parts = text.split('.');
  if (parts.length !== 4) return err(addressSyntaxError('Malformed', whole, 'an IPv4 address has four dotted octets'));
  let value = 0n;
  for (const part of parts) {
    if (/^0[0-9]+$/.test(part)) {
      return err(addressSyntaxError('LeadingZero', whole, `octet "${part}" has a leading zero (octal is ambiguous)`));
    }
    if (!V4_OCTET.test(part) || Number(part) > 255) {
      return err(addressSyntaxError('Malformed', whole, `"${part}" is not an octet 0-255`));
    }
    value = (value << 8n) | BigInt(part);
  }
  return ok(value);
}

function parseV6(text: string, whole: string): Result<bigint, AddressSyntaxError> {
  const halves = text.split('::');
  if (halves.length > 2) return err(addressSyntaxError('Malformed', whole, '"::" may appear only once'));
  const groupsOf = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  const words: number[] = [];
  const all = [...head, ...tail];
  // An embedded IPv4 address (::ffff:192.0.2.1) may only be the last piece and stands for two groups.
  const last = all[all.length - 1];
  let embedded: bigint | undefined;
  if (last !== undefined && last.includes('.')) {
    if (!text.endsWith(last)) return err(addressSyntaxError('Malformed', whole, 'an embedded IPv4 address must come last'));
    const v4 = parseV4(last, whole);
    if (!v4.ok) return v4;
    embedded = v4.value;
    if (tail.length > 0) tail.pop();
    else head.pop();
  }
  for (const list of [head, tail]) {
    for (const g of list) if (!V6_GROUP.test(g)) return err(addressSyntaxError('Malformed', whole, `"${g}" is not a group of 1-4 hex digits`));
  }
  const explicit = head.length + tail.length + (embedded === undefined ? 0 : 2);
  if (halves.length === 1 && explicit !== 8) {
    return err(addressSyntaxError('Malformed', whole, 'an IPv6 address without "::" has eight groups'));
  }
  if (halves.length === 2 && explicit > 7) {
    return err(addressSyntaxError('Malformed', whole, '"::" must stand for at least one group'));
  }
  for (const g of head) words.push(parseInt(g, 16));
  const fill = 8 - explicit;
  for (let i = 0; i < (halves.length === 2 ? fill : 0); i++) words.push(0);
  for (const g of tail) words.push(parseInt(g, 16));
  if (embedded !== undefined) {
    words.push(Number(embedded >> 16n), Number(embedded & 0xffffn));
  }
  return ok(fromWords(words));
}

/**
 * 128 bits from eight 16-bit words, as four 32-bit numbers: ten bigints instead of one per shift and OR
 * per word. Addresses are parsed and formatted on every datagram, election and status write; the
 * intermediate bigints were a large share of the speaker's garbage during a hand-over.
 */
function fromWords(w: readonly number[]): bigint {
  const q = (i: number) => BigInt(((w[i]! << 16) | w[i + 1]!) >>> 0);
  return (q(0) << 96n) | (q(2) << 64n) | (q(4) << 32n) | q(6);
}

/** The four 32-bit numbers of a 128-bit value, most significant first. */
function toQuads(value: bigint): [number, number, number, number] {
  return [Number(BigInt.asUintN(32, value >> 96n)), Number(BigInt.asUintN(32, value >> 64n)), Number(BigInt.asUintN(32, value >> 32n)), Number(BigInt.asUintN(32, value))];
}

/** Parses one address in strict form: no whitespace, no zone, no leading zeros in IPv4 octets. */
export function parseAddress(text: string): Result<IPAddress, AddressSyntaxError> {
  if (text.length === 0) return err(addressSyntaxError('Empty', text, 'empty text'));
  if (/\s/.test(text)) return err(addressSyntaxError('Whitespace', text, 'whitespace is not allowed'));
  if (text.includes('%')) {
    return err(addressSyntaxError('ZoneNotAllowed', text, 'zone ids ("%eth0") are not allowed in pool addresses'));
  }
  if (text.includes(':')) {
    const v = parseV6(text, text);
    return v.ok ? ok({ family: 6, value: v.value }) : v;
  }
  if (/^[0-9.]+$/.test(text)) {
    const v = parseV4(text, text);
    return v.ok ? ok({ family: 4, value: v.value }) : v;
  }
  return err(addressSyntaxError('Malformed', text, 'not an IPv4 or IPv6 address'));
}

/** An address the caller writes as a constant (a test's fixture): a syntax error there is a bug, so it throws. */
export function parseAddressOrThrow(text: string): IPAddress {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.value;
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatV6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatV4(value & 0xffffffffn)}`;
  const words: number[] = [];
  for (const q of toQuads(value)) words.push(q >>> 16, q & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function formatAddress(address: IPAddress): string {
  return address.family === 4 ? formatV4(address.value) : formatV6(address.value);
}

/** Bytes in network order, as they appear in ARP and NDP frames. */
export function addressBytes(address: IPAddress): Uint8Array {
  const out = new Uint8Array(familyBits(address.family) / 8);
  const view = new DataView(out.buffer);
  if (address.family === 4) view.setUint32(0, Number(BigInt.asUintN(32, address.value)));
  else toQuads(address.value).forEach((q, i) => view.setUint32(i * 4, q));
  return out;
}

export function addressFromBytes(bytes: Uint8Array): IPAddress {
  if (bytes.length !== 4 && bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length === 4) return { family: 4, value: BigInt(view.getUint32(0)) };
  const q = (i: number) => BigInt(view.getUint32(i * 4));
  return { family: 6, value: (q(0) << 96n) | (q(1) << 64n) | (q(2) << 32n) | q(3) };
}

export const sameAddress = (a: IPAddress, b: IPAddress): boolean => a.family === b.family && a.value === b.value;
