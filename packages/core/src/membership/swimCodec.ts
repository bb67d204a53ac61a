import { addressBytes, familyBits, formatAddress, parseAddress } from '../ip/address.js';
import { type Result } from '../result.js';
import { macFromBytes, writeMac, ZERO_MAC } from '../wire/macAddress.js';
import { HEARTBEAT_LIMITS, HEARTBEAT_MAGIC, HEARTBEAT_MAX_PAYLOAD, isInterfaceName, isNodeName, type HeartbeatInterface } from './heartbeat.js';
import { type HeartbeatDecodeReason, type HeartbeatError } from './heartbeatReason.js';
import { formatInterfaceCidr, parseInterfaceCidr } from './interfaceCidr.js';
import { readPayload, refuse, type PayloadReader } from './payloadReader.js';
import type { SwimCodecCache } from './swimCodecCache.js';
import type { Envelope, NodeState, Notice, SwimMessage, SwimMessageType } from './swimMessage.js';

/**
 * Version 2 of the membership datagram: same magic, same HMAC-SHA256 framing (joinHeartbeatFrame), so a
 * version-1 speaker refuses it as UnsupportedVersion instead of misreading it. Big-endian:
 *
 * ```
 * off len  field
 *   0   4  magic "HRLB"
 *   4   1  version = 2
 *   5   1  type: 1 Heartbeat, 2 Probe, 3 ProbeRequest, 4 Ack, 5 Gossip, 6 SyncRequest, 7 SyncReply, 8 Leave
 *   6   8  sender incarnation (u64 ≤ 2^53−1)
 *  14   8  sender sequence (u64, one counter over every datagram the sender sends: replay window)
 *  22 1+n  sender node name
 *   .      Heartbeat: version u64, notices | Probe, ProbeRequest: id u32, target name
 *          Ack: id u32, target name, version u64, agoMs u32 | Gossip, SyncReply: notices
 *          SyncRequest: u16 count, names | Leave: node name, incarnation u64, version u64
 * notices: u16 count, each: kind u8 (1 State, 2 Dead), node name, incarnation u64, version u64, then
 *   State: flags u8 (0x01 draining, 0x02 not ready), port u16, address (family 4|6 + bytes),
 *          u8 interface count, each: name, 6 MAC bytes (zero: unknown), u8 subnet count, each
 *          family, prefix, address bytes; u16 announcing count, each family + address bytes
 *   Dead:  declaring node name
 * ```
 * A name is a length byte and ASCII. Datagrams stay within HEARTBEAT_MAX_PAYLOAD; senders split notices
 * over several datagrams with `noticeBytes`.
 *
 * Type 8 (Leave) came later within version 2: a decoder that predates it refuses the datagram as
 * UnknownFlags ("message type 8 is not 1..7") after checking its MAC, and believes nothing in it — the
 * leave costs such a peer nothing but one count of herald_membership_heartbeats_rejected_total; it sees
 * the node die as before. That is why Leave is a type of its own, not a notice kind inside the others.
 */
export const SWIM_VERSION = 2;

/** Wire order: the type byte is the index + 1. New types go at the end (older decoders refuse them). */
export const SWIM_MESSAGE_TYPES: readonly SwimMessageType[] = ['Heartbeat', 'Probe', 'ProbeRequest', 'Ack', 'Gossip', 'SyncRequest', 'SyncReply', 'Leave'];
const TYPES = SWIM_MESSAGE_TYPES;
const FLAG_DRAINING = 0x01;
const FLAG_NOT_READY = 0x02;

const addrLen = (text: string): number => (text.includes(':') ? 17 : 5);
const nameLen = (s: string): number => 1 + s.length;

/** Bytes a notice takes on the wire (exact). */
export function noticeBytes(n: Notice): number {
  if (n.kind === 'Dead') return 1 + nameLen(n.node) + 16 + nameLen(n.by);
  const s = n.state;
  let size = 1 + nameLen(s.node) + 16 + 1 + 2 + addrLen(s.address) + 1 + 2;
  for (const i of s.interfaces) {
    size += nameLen(i.name) + 6 + 1;
    for (const sub of i.subnets) size += 2 + (sub.includes(':') ? 16 : 4);
  }
  for (const a of s.announcing) size += addrLen(a);
  return size;
}

/** Bytes of a message's fixed part before its notices (so a sender knows how many notices fit). */
export function envelopeBytes(from: string): number {
  return 22 + nameLen(from) + 8 + 2;
}

class Writer {
  private readonly out: Uint8Array;
  private readonly view: DataView;
  private o = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.view = new DataView(this.out.buffer);
  }
  u8(v: number) { this.out[this.o++] = v; }
  u16(v: number) { this.view.setUint16(this.o, v); this.o += 2; }
  u32(v: number) { this.view.setUint32(this.o, v >>> 0); this.o += 4; }
  u64(v: number, what: string) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`Cannot encode membership datagram: ${what} ${v} is not an integer in 0..2^53-1`);
    this.view.setBigUint64(this.o, BigInt(v)); this.o += 8;
  }
  bytes(b: Uint8Array) { this.out.set(b, this.o); this.o += b.length; }
  name(s: string) { this.u8(s.length); for (let i = 0; i < s.length; i++) this.out[this.o++] = s.charCodeAt(i); }
  address(text: string, what: string) {
    const r = parseAddress(text);
    if (!r.ok) throw new RangeError(`Cannot encode membership datagram: ${what} ${JSON.stringify(text)} is not an IP address`);
    this.u8(r.value.family);
    this.bytes(addressBytes(r.value));
  }
  mac(text: string | undefined) { writeMac((text ?? ZERO_MAC) as never, this.out, this.o); this.o += 6; }
  done(): Uint8Array { return this.o === this.out.length ? this.out : this.out.subarray(0, this.o); }
}

function messageBytes(m: SwimMessage, cache: SwimCodecCache | undefined): number {
  let size = 22 + nameLen(m.from);
  const notices = (list: readonly Notice[]) => {
    let n = 2;
    for (const x of list) n += cache && x.kind === 'State' ? stateBytes(x.state, cache).length : noticeBytes(x);
    return n;
  };
  switch (m.type) {
    case 'Heartbeat': return size + 8 + notices(m.notices);
    case 'Probe': case 'ProbeRequest': return size + 4 + nameLen(m.target);
    case 'Ack': return size + 4 + nameLen(m.target) + 8 + 4;
    case 'Gossip': case 'SyncReply': return size + notices(m.notices);
    case 'SyncRequest': size += 2; for (const n of m.nodes) size += nameLen(n); return size;
    case 'Leave': return size + nameLen(m.left.node) + 16;
  }
}

/** A State notice's bytes, encoded once per State object (the cache keeps them while the State lives). */
function stateBytes(state: NodeState, cache: SwimCodecCache): Uint8Array {
  let b = cache.encodedState(state);
  if (!b) {
    const n: Notice = { kind: 'State', state };
    const w = new Writer(noticeBytes(n));
    writeNotice(w, n);
    b = w.done();
    cache.rememberEncoded(state, b);
  }
  return b;
}

function checkName(s: string, what: string): void {
  if (!isNodeName(s)) throw new RangeError(`Cannot encode membership datagram: ${what} ${JSON.stringify(s)} is not a DNS-1123 subdomain`);
}

function writeNotices(w: Writer, list: readonly Notice[], cache: SwimCodecCache | undefined): void {
  w.u16(list.length);
  for (const n of list) {
    if (cache && n.kind === 'State') w.bytes(stateBytes(n.state, cache));
    else writeNotice(w, n);
  }
}

function writeNotice(w: Writer, n: Notice): void {
  if (n.kind === 'Dead') {
    checkName(n.node, 'node'); checkName(n.by, 'declaring node');
    w.u8(2); w.name(n.node); w.u64(n.incarnation, 'incarnation'); w.u64(n.version, 'version'); w.name(n.by);
    return;
  }
  const s = n.state;
  checkName(s.node, 'node');
  if (s.interfaces.length > HEARTBEAT_LIMITS.interfaces) throw new RangeError(`Cannot encode membership datagram: ${s.interfaces.length} interfaces exceed ${HEARTBEAT_LIMITS.interfaces}`);
  if (s.announcing.length > HEARTBEAT_LIMITS.announcing) throw new RangeError(`Cannot encode membership datagram: ${s.announcing.length} announced addresses exceed ${HEARTBEAT_LIMITS.announcing}`);
  w.u8(1); w.name(s.node); w.u64(s.incarnation, 'incarnation'); w.u64(s.version, 'version');
  w.u8((s.draining ? FLAG_DRAINING : 0) | (s.ready ? 0 : FLAG_NOT_READY));
  w.u16(s.port);
  w.address(s.address, 'address');
  w.u8(s.interfaces.length);
  for (const i of s.interfaces) {
    if (!isInterfaceName(i.name)) throw new RangeError(`Cannot encode membership datagram: interface name ${JSON.stringify(i.name)} is not 1-15 printable ASCII characters`);
    w.name(i.name); w.mac(i.mac);
    w.u8(i.subnets.length);
    for (const sub of i.subnets) {
      const c = parseInterfaceCidr(sub);
      if (!c.ok) throw new RangeError(`Cannot encode membership datagram: subnet of ${i.name}: ${c.error}`);
      w.u8(c.value.address.family); w.u8(c.value.prefix); w.bytes(addressBytes(c.value.address));
    }
  }
  w.u16(s.announcing.length);
  for (const a of s.announcing) w.address(a, 'announced address');
}

/**
 * The payload to sign. Throws RangeError for a message no valid datagram has (a bug in the sender). With a
 * cache, a State notice is encoded once per State object and copied into every datagram that carries it.
 */
export function encodeSwimMessage(m: SwimMessage, cache?: SwimCodecCache): Uint8Array {
  checkName(m.from, 'sender');
  const size = messageBytes(m, cache);
  if (size > HEARTBEAT_MAX_PAYLOAD) throw new RangeError(`Cannot encode membership datagram: ${size} bytes exceed the ${HEARTBEAT_MAX_PAYLOAD}-byte payload limit`);
  const w = new Writer(size);
  w.bytes(HEARTBEAT_MAGIC);
  w.u8(SWIM_VERSION);
  w.u8(TYPES.indexOf(m.type) + 1);
  w.u64(m.incarnation, 'incarnation');
  w.u64(m.sequence, 'sequence');
  w.name(m.from);
  switch (m.type) {
    case 'Heartbeat': w.u64(m.version, 'version'); writeNotices(w, m.notices, cache); break;
    case 'Probe': case 'ProbeRequest': checkName(m.target, 'target'); w.u32(m.id); w.name(m.target); break;
    case 'Ack': checkName(m.target, 'target'); w.u32(m.id); w.name(m.target); w.u64(m.version, 'version'); w.u32(Math.max(0, Math.min(0xffffffff, Math.round(m.agoMs)))); break;
    case 'Gossip': case 'SyncReply': writeNotices(w, m.notices, cache); break;
    case 'SyncRequest': w.u16(m.nodes.length); for (const n of m.nodes) { checkName(n, 'node'); w.name(n); } break;
    case 'Leave': checkName(m.left.node, 'leaving node'); w.name(m.left.node); w.u64(m.left.incarnation, 'leaving incarnation'); w.u64(m.left.version, 'leaving version'); break;
  }
  return w.done();
}

// ---------------------------------------------------------------------------------------------- decode

function readName(r: PayloadReader, what: string): string {
  const s = r.ascii(r.u8(`${what} length`), what);
  if (!isNodeName(s)) refuse('BadNodeName', `${what} ${JSON.stringify(s)} is not a DNS-1123 subdomain`);
  return s;
}

function readNotices(r: PayloadReader, cache: SwimCodecCache | undefined): Notice[] {
  const count = r.u16('notice count');
  const out: Notice[] = [];
  for (let k = 0; k < count; k++) {
    const kind = r.u8('notice kind');
    if (kind !== 1 && kind !== 2) refuse('UnknownFlags', `notice kind ${kind} is not 1 (State) or 2 (Dead)`);
    const node = readName(r, 'notice node');
    const incarnation = r.u53('notice incarnation');
    const version = r.u53('notice version');
    if (kind === 2) {
      out.push({ kind: 'Dead', node, incarnation, version, by: readName(r, 'declaring node') });
      continue;
    }
    // A copy of a State decoded before (the same version rides several datagrams): the same object, with
    // no new strings for its announced list.
    const held = cache?.decodedState(node, incarnation, version);
    if (held && r.startsWith(held.body)) {
      r.bytes(held.body.length, 'state');
      out.push({ kind: 'State', state: held.state });
      continue;
    }
    const bodyAt = r.offset;
    const flags = r.u8('state flags');
    if ((flags & ~(FLAG_DRAINING | FLAG_NOT_READY)) !== 0) refuse('UnknownFlags', `state flags 0x${flags.toString(16)} set unknown bits`);
    const port = r.u16('port');
    if (port === 0) refuse('NumberOutOfRange', `node ${node} publishes port 0`);
    const address = formatAddress(r.address('address'));
    const interfaceCount = r.u8('interface count');
    if (interfaceCount > HEARTBEAT_LIMITS.interfaces) refuse('TooMany', `${interfaceCount} interfaces exceed the limit of ${HEARTBEAT_LIMITS.interfaces}`);
    const interfaces: HeartbeatInterface[] = [];
    for (let i = 0; i < interfaceCount; i++) {
      const name = String.fromCharCode(...r.bytes(r.u8('interface name length'), 'interface name'));
      if (!isInterfaceName(name)) refuse('BadInterfaceName', `interface name ${JSON.stringify(name)} is not 1-15 printable ASCII characters without '/'`);
      const mac = macFromBytes(r.bytes(6, `MAC of ${name}`));
      const subnetCount = r.u8(`subnet count on ${name}`);
      if (subnetCount > HEARTBEAT_LIMITS.subnetsPerInterface) refuse('TooMany', `${subnetCount} subnets on ${name} exceed ${HEARTBEAT_LIMITS.subnetsPerInterface}`);
      const subnets: string[] = [];
      for (let s = 0; s < subnetCount; s++) {
        const family = r.u8('subnet family');
        if (family !== 4 && family !== 6) refuse('BadSubnet', `a subnet on ${name} has address family ${family}`);
        const prefix = r.u8('subnet prefix');
        const bits = familyBits(family as 4 | 6);
        if (prefix > bits) refuse('BadSubnet', `a subnet on ${name} has prefix length ${prefix}, longer than ${bits} bits`);
        let value = 0n;
        for (const x of r.bytes(bits / 8, 'subnet')) value = (value << 8n) | BigInt(x);
        subnets.push(formatInterfaceCidr({ address: { family: family as 4 | 6, value }, prefix }));
      }
      interfaces.push(mac === ZERO_MAC ? { name, subnets } : { name, subnets, mac });
    }
    const announcingCount = r.u16('announced address count');
    if (announcingCount > HEARTBEAT_LIMITS.announcing) refuse('TooMany', `${announcingCount} announced addresses exceed ${HEARTBEAT_LIMITS.announcing}`);
    const announcing: string[] = [];
    for (let i = 0; i < announcingCount; i++) announcing.push(formatAddress(r.address('announced address')));
    const state: NodeState = { node, incarnation, version, draining: (flags & FLAG_DRAINING) !== 0, ready: (flags & FLAG_NOT_READY) === 0, interfaces, announcing, address, port };
    cache?.rememberDecoded(state, r.copy(bodyAt, r.offset));
    out.push({ kind: 'State', state });
  }
  return out;
}

function readMessage(r: PayloadReader, cache: SwimCodecCache | undefined): SwimMessage {
  if (r.remaining > HEARTBEAT_MAX_PAYLOAD) refuse('TooLarge', `payload has ${r.remaining} bytes; at most ${HEARTBEAT_MAX_PAYLOAD} are allowed`);
  const magic = r.bytes(4, 'magic');
  if (!magic.every((b, i) => b === HEARTBEAT_MAGIC[i])) refuse('BadMagic', 'magic is not 48524c42 ("HRLB")');
  const version = r.u8('version');
  if (version !== SWIM_VERSION) refuse('UnsupportedVersion', `membership format version ${version}; this decoder reads version ${SWIM_VERSION}`);
  const typeByte = r.u8('type');
  const type = TYPES[typeByte - 1];
  if (type === undefined) refuse('UnknownFlags', `message type ${typeByte} is not 1..${TYPES.length}`);
  const env: Envelope = { incarnation: r.u53('incarnation'), sequence: r.u53('sequence'), from: readName(r, 'sender') };
  let m: SwimMessage;
  switch (type!) {
    case 'Heartbeat': m = { ...env, type: 'Heartbeat', version: r.u53('version'), notices: readNotices(r, cache) }; break;
    case 'Probe': m = { ...env, type: 'Probe', id: r.u32('probe id'), target: readName(r, 'target') }; break;
    case 'ProbeRequest': m = { ...env, type: 'ProbeRequest', id: r.u32('probe id'), target: readName(r, 'target') }; break;
    case 'Ack': m = { ...env, type: 'Ack', id: r.u32('probe id'), target: readName(r, 'target'), version: r.u53('version'), agoMs: r.u32('ago') }; break;
    case 'Gossip': m = { ...env, type: 'Gossip', notices: readNotices(r, cache) }; break;
    case 'SyncReply': m = { ...env, type: 'SyncReply', notices: readNotices(r, cache) }; break;
    case 'Leave': m = { ...env, type: 'Leave', left: { node: readName(r, 'leaving node'), incarnation: r.u53('leaving incarnation'), version: r.u53('leaving version') } }; break;
    case 'SyncRequest': {
      const count = r.u16('node count');
      const nodes: string[] = [];
      for (let i = 0; i < count; i++) nodes.push(readName(r, 'node'));
      m = { ...env, type: 'SyncRequest', nodes };
      break;
    }
  }
  if (r.remaining !== 0) refuse('TrailingBytes', `${r.remaining} bytes follow the message`);
  return m!;
}

/** The format version of a payload (byte 4), so a receiver can read version 1 heartbeats and version 2. */
export const payloadVersion = (payload: Uint8Array): number | undefined => payload[4];

/**
 * Reads a version-2 payload (the MAC already checked and removed). Never throws on malformed input. With a
 * cache, a State whose bytes equal the last ones decoded for that node and version is returned as the
 * same object instead of being decoded again.
 */
export function decodeSwimMessage(payload: Uint8Array, cache?: SwimCodecCache): Result<SwimMessage, HeartbeatError<HeartbeatDecodeReason>> {
  return readPayload(payload, (r) => readMessage(r, cache));
}
