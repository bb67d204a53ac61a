import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, type IPAddress } from '../ip/address.js';
import { decideArp, type ArpDecision } from './arpDecision.js';
import { decodeArpFrame, encodeArpFrame, type ArpFrame } from './arpFrame.js';
import { gratuitousArp } from './gratuitousArp.js';
import { isUnicastMac, macToBytes, parseMac, type MacAddress } from './macAddress.js';
import type { WireContext } from './wireDecision.js';
import { WIRE_REASONS, type WireReason } from './wireReason.js';

// core forbids Math.random; a seeded xorshift32 makes every run replay the same frames, so a failure
// printed here (seed, index, hex) reproduces exactly.
function xorshift32(seed: number) {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (n: number): number => next() % n;
  const bytes = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = next() & 0xff;
    return b;
  };
  return { int, bytes, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, chance: (p: number): boolean => next() / 0x1_0000_0000 < p };
}
type Rng = ReturnType<typeof xorshift32>;

const mac = (t: string): MacAddress => {
  const r = parseMac(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const addr = (t: string): IPAddress => {
  const r = parseAddress(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

const OURS = mac('02:48:52:4c:00:01');
const PEER = mac('02:aa:bb:cc:dd:01');
const PEER2 = mac('02:aa:bb:cc:dd:02');
const BROADCAST = mac('ff:ff:ff:ff:ff:ff');
const ZERO = mac('00:00:00:00:00:00');
const OWNED = [addr('192.0.2.10'), addr('192.0.2.11'), addr('198.51.100.7')];
const OTHERS = [addr('192.0.2.50'), addr('203.0.113.5'), addr('0.0.0.0'), addr('198.51.100.8')];
const ownedValues = new Set(OWNED.map((a) => a.value));
const owns = (ip: IPAddress): boolean => ip.family === 4 && ownedValues.has(ip.value);
const ctx: WireContext = { interfaceMac: OURS, owns };

const request = (over: Partial<ArpFrame>): ArpFrame => ({
  ethernetDestination: BROADCAST,
  ethernetSource: PEER,
  operation: 'request',
  senderMac: PEER,
  senderIp: addr('192.0.2.50'),
  targetMac: ZERO,
  targetIp: OWNED[0]!,
  ...over,
});

const SEEDS: readonly Uint8Array[] = [
  ...OWNED.flatMap((ip) => [
    request({ targetIp: ip }),
    request({ targetIp: ip, ethernetDestination: OURS }),
    request({ targetIp: ip, senderIp: addr('0.0.0.0') }),
    request({ targetIp: ip, senderMac: PEER2, ethernetSource: PEER2, senderIp: addr('203.0.113.5') }),
    request({ targetIp: ip, vlan: { id: 100, priority: 0, dropEligible: false } }),
    gratuitousArp(PEER, ip).request,
    gratuitousArp(PEER, ip).reply,
    gratuitousArp(OURS, ip).request,
    request({ operation: 'reply', ethernetDestination: PEER2, senderIp: ip, targetIp: addr('192.0.2.50'), targetMac: PEER2 }),
  ]),
  request({ targetIp: addr('192.0.2.99') }),
  request({ operation: 'reply', senderIp: addr('192.0.2.60') }),
].map(encodeArpFrame);
// Some stacks send ARP without padding.
const ALL_SEEDS = [...SEEDS, ...SEEDS.map((s) => s.slice(0, 42))];

// Offsets and sizes of the untagged frame's fields, for swaps and targeted overwrites.
const MAC_FIELDS = [0, 6, 22, 32];
const IP_FIELDS = [28, 38];
const INTERESTING_MACS = [OURS, PEER, BROADCAST, ZERO, mac('01:00:5e:00:00:01')].map(macToBytes);
const ipBytes = (ip: IPAddress): number[] => {
  const v = Number(ip.value);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
};
const INTERESTING_IPS = [...OWNED, ...OTHERS].map(ipBytes);

function mutate(rng: Rng, seed: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  const steps = 1 + rng.int(3);
  for (let s = 0; s < steps; s++) {
    switch (rng.int(8)) {
      case 0: // bit flips
        for (let k = 1 + rng.int(8); k > 0 && b.length > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // truncation
        b = b.slice(0, rng.int(b.length + 1));
        break;
      case 2: // extension
        b = concat(b, rng.bytes(1 + rng.int(40)));
        break;
      case 3: {
        // swap two same-size fields
        const [fields, size] = rng.chance(0.5) ? [MAC_FIELDS, 6] : [IP_FIELDS, 4];
        const x = rng.pick(fields);
        const y = rng.pick(fields);
        if (b.length >= Math.max(x, y) + size) {
          const t = b.slice(x, x + size);
          b.copyWithin(x, y, y + size);
          b.set(t, y);
        }
        break;
      }
      case 4: {
        const at = rng.pick(MAC_FIELDS);
        if (b.length >= at + 6) b.set(rng.pick(INTERESTING_MACS), at);
        break;
      }
      case 5: {
        const at = rng.pick(IP_FIELDS);
        if (b.length >= at + 4) b.set(rng.pick(INTERESTING_IPS), at);
        break;
      }
      case 6: // operation, ethertype or a tag inserted in front of the ethertype
        if (b.length >= 22 && rng.chance(0.5)) b[21] = rng.int(4);
        else if (b.length >= 14) b = Uint8Array.of(...b.subarray(0, 12), ...rng.pick([[0x81, 0x00, 0, 5], [0x88, 0xa8, 0, 5], [0x08, 0x06], [0x08, 0x00]]), ...b.subarray(12));
        break;
      default: // random byte
        if (b.length > 0) b[rng.int(b.length)] = rng.int(256);
    }
  }
  return b;
}

function randomFrame(rng: Rng): Uint8Array {
  const b = rng.bytes(rng.int(80));
  // Mostly give it the ARP ethertype and each header field right, so that every check is reached in turn
  // rather than nearly every frame stopping at NotArp.
  const fields: [number, number[]][] = [[12, [0x08, 0x06]], [14, [0, 1]], [16, [0x08, 0x00]], [18, [6]], [19, [4]], [20, [0, 1 + rng.int(2)]]];
  for (const [at, value] of fields) if (b.length >= at + value.length && rng.chance(0.85)) b.set(value, at);
  return b;
}

const same = (a: IPAddress, b: IPAddress): boolean => a.family === b.family && a.value === b.value;

/** Returns what is wrong with the decision for these bytes, or undefined. */
function violation(bytes: Uint8Array, d: ArpDecision): string | undefined {
  if (d.kind === 'ignore') return (WIRE_REASONS as readonly string[]).includes(d.reason) ? undefined : `unknown reason ${d.reason}`;
  const req = decodeArpFrame(bytes);
  if (!req.ok) return `${d.kind} for a frame that does not decode (${req.error.reason})`;
  const q = req.value;
  if (!owns(d.address)) return `${d.kind} for ${formatAddress(d.address)}, which we do not own`;
  if (d.kind === 'conflict') {
    if (d.mac === OURS || !isUnicastMac(d.mac)) return `conflict names MAC ${d.mac}`;
    if (!same(q.senderIp, d.address) || q.senderMac !== d.mac) return 'conflict does not match the frame sender';
    return undefined;
  }
  if (q.operation !== 'request') return 'answered an ARP reply';
  if (q.vlan !== undefined) return 'answered a tagged frame';
  if (q.ethernetDestination !== BROADCAST && q.ethernetDestination !== OURS) return `answered a frame to ${q.ethernetDestination}`;
  if (q.senderMac === OURS || q.ethernetSource === OURS) return 'answered our own frame';
  if (q.senderIp.value !== 0n && owns(q.senderIp)) return 'answered a request sent from an owned address';
  if (!same(q.targetIp, d.address)) return 'reply is for another address than was asked';
  if (d.frame.length < 60) return `reply is ${d.frame.length} bytes`;
  const rep = decodeArpFrame(d.frame);
  if (!rep.ok) return `reply does not decode: ${rep.error.message}`;
  const r = rep.value;
  if (r.operation !== 'reply' || r.vlan !== undefined) return 'reply is not an untagged ARP reply';
  if (r.ethernetSource !== OURS || r.senderMac !== OURS) return 'reply does not carry our MAC';
  if (!isUnicastMac(q.senderMac) || r.ethernetDestination !== q.senderMac || r.targetMac !== q.senderMac || d.to !== q.senderMac) {
    return `reply does not go to the requester ${q.senderMac}`;
  }
  if (!same(r.senderIp, d.address) || !same(r.targetIp, q.senderIp)) return 'reply addresses are not swapped';
  return undefined;
}

function run(seed: number, frames: number, make: (rng: Rng) => Uint8Array) {
  const rng = xorshift32(seed);
  const kinds = { reply: 0, conflict: 0, ignore: 0 };
  const reasons = new Set<WireReason>();
  const failures: string[] = [];
  for (let i = 0; i < frames && failures.length < 5; i++) {
    const bytes = make(rng);
    let d: ArpDecision;
    try {
      d = decideArp(bytes, ctx);
    } catch (e) {
      failures.push(`#${i} threw ${String(e)} for ${toHex(bytes)}`);
      continue;
    }
    kinds[d.kind]++;
    if (d.kind === 'ignore') reasons.add(d.reason);
    const v = violation(bytes, d);
    if (v !== undefined) failures.push(`#${i} ${v}: ${toHex(bytes)}`);
  }
  return { kinds, reasons, failures };
}

describe('decideArp fuzz (seeded xorshift32)', () => {
  it('survives 300,000 frames mutated from valid ones, and every answer is sound', { timeout: 120_000 }, () => {
    const { kinds, reasons, failures } = run(0x4865_7261, 300_000, (rng) => mutate(rng, rng.pick(ALL_SEEDS)));
    expect(failures).toEqual([]);
    // The invariants only mean something if every outcome actually happened often.
    expect(kinds.reply).toBeGreaterThan(10_000);
    expect(kinds.conflict).toBeGreaterThan(10_000);
    expect([...reasons].sort()).toEqual(
      expect.arrayContaining(['TooShort', 'NotArp', 'VlanTagged', 'VlanUnsupported', 'UnknownArpOperation', 'OwnFrame', 'InvalidSenderMac', 'NotRequest', 'NotForUs', 'NotOwner']),
    );
  });

  it('survives 300,000 random frames', { timeout: 120_000 }, () => {
    const { kinds, reasons, failures } = run(0x6c64_0001, 300_000, randomFrame);
    expect(failures).toEqual([]);
    expect(kinds.ignore).toBeGreaterThan(290_000);
    expect([...reasons]).toEqual(expect.arrayContaining(['TooShort', 'NotArp', 'HardwareTypeNotEthernet', 'ProtocolTypeNotIPv4', 'HardwareLengthNot6', 'ProtocolLengthNot4']));
  });
});
