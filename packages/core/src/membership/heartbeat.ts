import { addressBytes, familyBits, formatAddress, parseAddress, type IPAddress } from '../ip/address.js';
import { type Result } from '../result.js';
import { macFromBytes, parseMac, writeMac, ZERO_MAC } from '../wire/macAddress.js';
import { type HeartbeatDecodeReason, type HeartbeatError } from './heartbeatReason.js';
import { formatInterfaceCidr, parseInterfaceCidr, type InterfaceCidr } from './interfaceCidr.js';
import { readPayload, refuse, type PayloadReader } from './payloadReader.js';

/**
 * One interface a speaker can announce on, with its subnets as CIDR text, v4 and v6: either the
 * interface's addresses with their prefix ("192.0.2.11/24") or networks ("192.0.2.0/24").
 */
export interface HeartbeatInterface {
  readonly name: string;
  readonly subnets: readonly string[];
  /**
   * The interface's MAC, lower-case `aa:bb:cc:dd:ee:ff`, so peers recognise a herald node's gratuitous
   * ARP / NA as one of their own rather than as a foreign host's.
   */
  readonly mac?: string;
}

/**
 * The receiver's echo of the last heartbeat it accepted from the destination, so the destination can
 * estimate the round trip: rtt = now − sentAt(sequence) − holdMs.
 */
export interface HeartbeatEcho {
  readonly incarnation: number;
  readonly sequence: number;
  /** How long the echoing speaker held that heartbeat before this one left. */
  readonly holdMs: number;
}

/** What one speaker tells every peer every interval. The wire format is `encodeHeartbeat`'s comment. */
export interface Heartbeat {
  readonly node: string;
  /** Process start in ms since the epoch: a restart makes a larger one. */
  readonly incarnation: number;
  /** Monotonic within one incarnation. */
  readonly sequence: number;
  readonly draining: boolean;
  /**
   * Still starting (caches, peer list or first election pending): peers do not hand it addresses. Absent
   * means ready, so heartbeats of speakers that predate the flag read as ready.
   */
  readonly notReady?: boolean;
  readonly interfaces: readonly HeartbeatInterface[];
  /** Addresses this speaker answers ARP/NDP for right now. */
  readonly announcing: readonly string[];
  /** Where this speaker listens for heartbeats. */
  readonly heartbeatAddress: string;
  readonly heartbeatPort: number;
  readonly echo?: HeartbeatEcho;
}

export const HEARTBEAT_MAGIC = Uint8Array.of(0x48, 0x52, 0x4c, 0x42); // "HRLB"
export const HEARTBEAT_VERSION = 1;
/** HMAC-SHA256 appended after the payload. */
export const HEARTBEAT_MAC_LENGTH = 32;
/** Whole datagram (payload + MAC); fits one jumbo-less fragment set and bounds a receiver's work. */
export const HEARTBEAT_MAX_DATAGRAM = 8192;
export const HEARTBEAT_MAX_PAYLOAD = HEARTBEAT_MAX_DATAGRAM - HEARTBEAT_MAC_LENGTH;
export const HEARTBEAT_LIMITS = {
  nodeName: 253,
  interfaceName: 15,
  interfaces: 64,
  subnetsPerInterface: 32,
  announcing: 4096,
} as const;

const FLAG_DRAINING = 0x01;
const FLAG_ECHO = 0x02;
/** Every interface entry carries 6 MAC bytes after its name (all zero: unknown). */
const FLAG_MACS = 0x08;
const FLAG_NOT_READY = 0x04;
const KNOWN_FLAGS = FLAG_DRAINING | FLAG_ECHO | FLAG_NOT_READY | FLAG_MACS;
const MAX_HOLD_MS = 0xffffffff;

/** Kubernetes node names are DNS-1123 subdomains. */
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** Linux interface names: 1–15 bytes, no '/', no whitespace; herald keeps to printable ASCII. */
const INTERFACE_NAME = /^[\x21-\x2e\x30-\x7e]{1,15}$/;

export const isNodeName = (s: string): boolean => s.length <= HEARTBEAT_LIMITS.nodeName && NODE_NAME.test(s);
export const isInterfaceName = (s: string): boolean => INTERFACE_NAME.test(s);

// ---------------------------------------------------------------------------------------------- encode

function mustAddress(text: string, what: string): IPAddress {
  const r = parseAddress(text);
  if (!r.ok) throw new RangeError(`Cannot encode heartbeat: ${what} ${JSON.stringify(text)} is not an IP address (${r.error.message})`);
  return r.value;
}

function mustSubnet(text: string, iface: string): InterfaceCidr {
  const r = parseInterfaceCidr(text);
  if (!r.ok) throw new RangeError(`Cannot encode heartbeat: subnet of interface ${iface}: ${r.error}`);
  return r.value;
}

function mustMac(text: string, iface: string): string {
  const r = parseMac(text);
  if (!r.ok) throw new RangeError(`Cannot encode heartbeat: MAC of interface ${iface}: ${r.error.message}`);
  return r.value;
}

function mustCount(n: number, max: number, what: string): void {
  if (n > max) throw new RangeError(`Cannot encode heartbeat: ${n} ${what} exceed the limit of ${max}`);
}

function mustUint(n: number, max: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new RangeError(`Cannot encode heartbeat: ${what} ${n} is not an integer in 0..${max}`);
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/**
 * The payload to sign. Big-endian throughout; a datagram is this payload followed by a 32-byte
 * HMAC-SHA256 of it (see `joinHeartbeatFrame`).
 *
 * ```
 * off  len  field
 *   0    4  magic "HRLB" (48 52 4c 42)
 *   4    1  version = 1
 *   5    1  flags: 0x01 draining, 0x02 echo present, 0x04 not ready, 0x08 interface MACs present; other bits must be 0
 *   6    8  incarnation (u64, ≤ 2^53−1)
 *  14    8  sequence    (u64, ≤ 2^53−1)
 *  22    2  heartbeat port (u16, ≥ 1)
 *  24  1+a  heartbeat address: family (4|6), then 4|16 address bytes
 *   .  1+n  node name: length 1..253, ASCII (DNS-1123 subdomain)
 *   .   20  [echo] incarnation u64, sequence u64, holdMs u32
 *   .    1  interface count (≤ 64), each:
 *            1+n  name (1..15 printable ASCII bytes, no '/')
 *            6    [MACs] the interface's MAC (all zero: unknown)
 *            1    subnet count (≤ 32), each: family (4|6), prefix length, 4|16 address bytes
 *   .    2  announcing count (≤ 4096), each: family (4|6), 4|16 address bytes
 * ```
 * The payload ends exactly there (≤ 8160 bytes). Throws RangeError for input no valid heartbeat has.
 */
export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  if (!isNodeName(h.node)) throw new RangeError(`Cannot encode heartbeat: node name ${JSON.stringify(h.node)} is not a DNS-1123 subdomain of at most 253 characters`);
  mustUint(h.incarnation, Number.MAX_SAFE_INTEGER, 'incarnation');
  mustUint(h.sequence, Number.MAX_SAFE_INTEGER, 'sequence');
  if (!Number.isInteger(h.heartbeatPort) || h.heartbeatPort < 1 || h.heartbeatPort > 0xffff) {
    throw new RangeError(`Cannot encode heartbeat: heartbeat port ${h.heartbeatPort} is not in 1..65535`);
  }
  const hbAddress = mustAddress(h.heartbeatAddress, 'heartbeat address');
  if (h.echo) {
    mustUint(h.echo.incarnation, Number.MAX_SAFE_INTEGER, 'echo incarnation');
    mustUint(h.echo.sequence, Number.MAX_SAFE_INTEGER, 'echo sequence');
  }
  mustCount(h.interfaces.length, HEARTBEAT_LIMITS.interfaces, 'interfaces');
  mustCount(h.announcing.length, HEARTBEAT_LIMITS.announcing, 'announced addresses');
  const interfaces = h.interfaces.map((i) => {
    if (!isInterfaceName(i.name)) throw new RangeError(`Cannot encode heartbeat: interface name ${JSON.stringify(i.name)} is not 1-15 printable ASCII characters without '/'`);
    mustCount(i.subnets.length, HEARTBEAT_LIMITS.subnetsPerInterface, `subnets on ${i.name}`);
    return { name: i.name, subnets: i.subnets.map((s) => mustSubnet(s, i.name)), ...(i.mac === undefined ? {} : { mac: mustMac(i.mac, i.name) }) };
  });
  const withMacs = interfaces.some((i) => i.mac !== undefined);
  const announcing = h.announcing.map((a) => mustAddress(a, 'announced address'));

  const addrLen = (a: IPAddress) => 1 + familyBits(a.family) / 8;
  let size = 24 + addrLen(hbAddress) + 1 + h.node.length + (h.echo ? 20 : 0) + 1 + 2;
  for (const i of interfaces) {
    size += 1 + i.name.length + 1 + (withMacs ? 6 : 0);
    for (const s of i.subnets) size += 1 + addrLen(s.address);
  }
  for (const a of announcing) size += addrLen(a);
  if (size > HEARTBEAT_MAX_PAYLOAD) {
    throw new RangeError(`Cannot encode heartbeat: ${size} bytes exceed the ${HEARTBEAT_MAX_PAYLOAD}-byte payload limit (${announcing.length} announced addresses, ${interfaces.length} interfaces)`);
  }

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  const u8 = (v: number) => { out[o++] = v; };
  const u16 = (v: number) => { view.setUint16(o, v); o += 2; };
  const u32 = (v: number) => { view.setUint32(o, v); o += 4; };
  const u64 = (v: number) => { view.setBigUint64(o, BigInt(v)); o += 8; };
  const bytes = (b: Uint8Array) => { out.set(b, o); o += b.length; };
  const address = (a: IPAddress) => { u8(a.family); bytes(addressBytes(a)); };

  bytes(HEARTBEAT_MAGIC);
  u8(HEARTBEAT_VERSION);
  u8((h.draining ? FLAG_DRAINING : 0) | (h.echo ? FLAG_ECHO : 0) | (h.notReady ? FLAG_NOT_READY : 0) | (withMacs ? FLAG_MACS : 0));
  u64(h.incarnation);
  u64(h.sequence);
  u16(h.heartbeatPort);
  address(hbAddress);
  u8(h.node.length);
  bytes(ascii(h.node));
  if (h.echo) {
    u64(h.echo.incarnation);
    u64(h.echo.sequence);
    u32(Math.max(0, Math.min(MAX_HOLD_MS, Math.round(h.echo.holdMs))));
  }
  u8(interfaces.length);
  for (const i of interfaces) {
    u8(i.name.length);
    bytes(ascii(i.name));
    if (withMacs) {
      writeMac((i.mac ?? ZERO_MAC) as never, out, o);
      o += 6;
    }
    u8(i.subnets.length);
    for (const s of i.subnets) {
      u8(s.address.family);
      u8(s.prefix);
      bytes(addressBytes(s.address));
    }
  }
  u16(announcing.length);
  for (const a of announcing) address(a);
  return out;
}

// ---------------------------------------------------------------------------------------------- decode

function readSubnet(r: PayloadReader, iface: string): string {
  const family = r.u8(`subnet family on ${iface}`);
  if (family !== 4 && family !== 6) refuse('BadSubnet', `a subnet on ${iface} has address family ${family}, not 4 or 6`);
  const bits = family === 4 ? 32 : 128;
  const prefix = r.u8(`subnet prefix on ${iface}`);
  if (prefix > bits) refuse('BadSubnet', `a subnet on ${iface} has prefix length ${prefix}, longer than ${bits} bits`);
  const raw = r.bytes(bits / 8, `subnet on ${iface}`);
  let value = 0n;
  for (const b of raw) value = (value << 8n) | BigInt(b);
  return formatInterfaceCidr({ address: { family: family as 4 | 6, value }, prefix });
}

function readHeartbeat(r: PayloadReader): Heartbeat {
  if (r.remaining > HEARTBEAT_MAX_PAYLOAD) refuse('TooLarge', `payload has ${r.remaining} bytes; at most ${HEARTBEAT_MAX_PAYLOAD} are allowed`);
  const magic = r.bytes(4, 'magic');
  if (!magic.every((b, i) => b === HEARTBEAT_MAGIC[i])) refuse('BadMagic', `magic ${[...magic].map((b) => b.toString(16).padStart(2, '0')).join('')} is not 48524c42 ("HRLB")`);
  const version = r.u8('version');
  if (version !== HEARTBEAT_VERSION) refuse('UnsupportedVersion', `heartbeat format version ${version}; this speaker reads version ${HEARTBEAT_VERSION}`);
  const flags = r.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) refuse('UnknownFlags', `flags 0x${flags.toString(16).padStart(2, '0')} set bits other than 0x01 (draining), 0x02 (echo), 0x04 (not ready) and 0x08 (interface MACs)`);
  const incarnation = r.u53('incarnation');
  const sequence = r.u53('sequence');
  const heartbeatPort = r.u16('heartbeat port');
  if (heartbeatPort === 0) refuse('NumberOutOfRange', 'heartbeat port 0 is not a port one can send to');
  const heartbeatAddress = formatAddress(r.address('heartbeat address'));
  const nameLength = r.u8('node name length');
  const node = r.ascii(nameLength, 'node name');
  if (!isNodeName(node)) refuse('BadNodeName', `node name ${JSON.stringify(node)} is not a DNS-1123 subdomain`);
  let echo: HeartbeatEcho | undefined;
  if (flags & FLAG_ECHO) {
    echo = { incarnation: r.u53('echo incarnation'), sequence: r.u53('echo sequence'), holdMs: r.u32('echo hold time') };
  }
  const interfaceCount = r.u8('interface count');
  if (interfaceCount > HEARTBEAT_LIMITS.interfaces) refuse('TooMany', `${interfaceCount} interfaces exceed the limit of ${HEARTBEAT_LIMITS.interfaces}`);
  const interfaces: HeartbeatInterface[] = [];
  for (let i = 0; i < interfaceCount; i++) {
    const name = r.ascii(r.u8('interface name length'), 'interface name');
    if (!isInterfaceName(name)) refuse('BadInterfaceName', `interface name ${JSON.stringify(name)} is not 1-15 printable ASCII characters without '/'`);
    const mac = flags & FLAG_MACS ? macFromBytes(r.bytes(6, `MAC of ${name}`)) : ZERO_MAC;
    const subnetCount = r.u8(`subnet count on ${name}`);
    if (subnetCount > HEARTBEAT_LIMITS.subnetsPerInterface) refuse('TooMany', `${subnetCount} subnets on ${name} exceed the limit of ${HEARTBEAT_LIMITS.subnetsPerInterface}`);
    const subnets: string[] = [];
    for (let s = 0; s < subnetCount; s++) subnets.push(readSubnet(r, name));
    interfaces.push(mac === ZERO_MAC ? { name, subnets } : { name, subnets, mac });
  }
  const announcingCount = r.u16('announced address count');
  if (announcingCount > HEARTBEAT_LIMITS.announcing) refuse('TooMany', `${announcingCount} announced addresses exceed the limit of ${HEARTBEAT_LIMITS.announcing}`);
  const announcing: string[] = [];
  for (let i = 0; i < announcingCount; i++) announcing.push(formatAddress(r.address('announced address')));
  if (r.remaining !== 0) refuse('TrailingBytes', `${r.remaining} bytes follow the heartbeat, which ends at byte ${r.offset}`);
  const hb: Heartbeat = { node, incarnation, sequence, draining: (flags & FLAG_DRAINING) !== 0, ...((flags & FLAG_NOT_READY) !== 0 ? { notReady: true } : {}), interfaces, announcing, heartbeatAddress, heartbeatPort };
  return echo ? { ...hb, echo } : hb;
}

/** Reads a payload (the MAC already checked and removed). Malformed input gives a reason, never a throw. */
export function decodeHeartbeat(payload: Uint8Array): Result<Heartbeat, HeartbeatError<HeartbeatDecodeReason>> {
  return readPayload(payload, readHeartbeat);
}
