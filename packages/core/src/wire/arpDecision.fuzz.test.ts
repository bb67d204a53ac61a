import { describe, expect, it } from 'vitest';
import { formatAddress, type IPAddress } from '../ip/address.js';
import { decideArp, type ArpDecision } from './arpDecision.js';
import { decodeArpFrame, encodeArpFrame } from './arpFrame.js';
import { gratuitousArp } from './gratuitousArp.js';
import { isUnicastMac, macToBytes } from './macAddress.js';
import type { WireIgnore } from './wireDecision.js';
import {
  addr,
  arpRequest,
  BROADCAST,
  concat,
  flipBits,
  fuzz,
  mac,
  mutateWith,
  OURS,
  PEER,
  PEER2,
  randomByte,
  sameAddress,
  toHex,
  wireContext,
  ZERO,
  type Mutation,
  type Rng,
} from './testing/fixtures.js';

const OWNED = [addr('192.0.2.10'), addr('192.0.2.11'), addr('198.51.100.7')];
const OTHERS = [addr('192.0.2.50'), addr('203.0.113.5'), addr('0.0.0.0'), addr('198.51.100.8')];
const ctx = wireContext(OWNED);
const owns = ctx.owns;

const SEEDS: readonly Uint8Array[] = [
  ...OWNED.flatMap((ip) => [
    arpRequest({ targetIp: ip }),
    arpRequest({ targetIp: ip, ethernetDestination: OURS }),
    arpRequest({ targetIp: ip, senderIp: addr('0.0.0.0') }),
    arpRequest({ targetIp: ip, senderMac: PEER2, ethernetSource: PEER2, senderIp: addr('203.0.113.5') }),
    arpRequest({ targetIp: ip, vlan: { id: 100, priority: 0, dropEligible: false } }),
    gratuitousArp(PEER, ip).request,
    gratuitousArp(PEER, ip).reply,
    gratuitousArp(OURS, ip).request,
    arpRequest({ operation: 'reply', ethernetDestination: PEER2, senderIp: ip, targetIp: addr('192.0.2.50'), targetMac: PEER2 }),
  ]),
  arpRequest({ targetIp: addr('192.0.2.99') }),
  arpRequest({ operation: 'reply', senderIp: addr('192.0.2.60') }),
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

// Drawn with equal odds, so their order is part of what each seed replays.
const MUTATIONS: readonly Mutation[] = [
  flipBits,
  (rng, b) => b.slice(0, rng.int(b.length + 1)), // truncation
  (rng, b) => concat(b, rng.bytes(1 + rng.int(40))), // extension
  (rng, b) => {
    // swap two same-size fields
    const [fields, size] = rng.chance(0.5) ? [MAC_FIELDS, 6] : [IP_FIELDS, 4];
    const x = rng.pick(fields);
    const y = rng.pick(fields);
    if (b.length >= Math.max(x, y) + size) {
      const t = b.slice(x, x + size);
      b.copyWithin(x, y, y + size);
      b.set(t, y);
    }
    return b;
  },
  (rng, b) => {
    const at = rng.pick(MAC_FIELDS);
    if (b.length >= at + 6) b.set(rng.pick(INTERESTING_MACS), at);
    return b;
  },
  (rng, b) => {
    const at = rng.pick(IP_FIELDS);
    if (b.length >= at + 4) b.set(rng.pick(INTERESTING_IPS), at);
    return b;
  },
  (rng, b) => {
    // operation, ethertype or a tag inserted in front of the ethertype
    if (b.length >= 22 && rng.chance(0.5)) b[21] = rng.int(4);
    else if (b.length >= 14) return Uint8Array.of(...b.subarray(0, 12), ...rng.pick([[0x81, 0x00, 0, 5], [0x88, 0xa8, 0, 5], [0x08, 0x06], [0x08, 0x00]]), ...b.subarray(12));
    return b;
  },
  randomByte,
];

function randomFrame(rng: Rng): Uint8Array {
  const b = rng.bytes(rng.int(80));
  // Mostly give it the ARP ethertype and each header field right, so that every check is reached in turn
  // rather than nearly every frame stopping at NotArp.
  const fields: [number, number[]][] = [[12, [0x08, 0x06]], [14, [0, 1]], [16, [0x08, 0x00]], [18, [6]], [19, [4]], [20, [0, 1 + rng.int(2)]]];
  for (const [at, value] of fields) if (b.length >= at + value.length && rng.chance(0.85)) b.set(value, at);
  return b;
}

/** Returns what is wrong with a reply or conflict for these bytes, or undefined. */
function violation(bytes: Uint8Array, d: Exclude<ArpDecision, WireIgnore>): string | undefined {
  const req = decodeArpFrame(bytes);
  if (!req.ok) return `${d.kind} for a frame that does not decode (${req.error.reason})`;
  const q = req.value;
  if (!owns(d.address)) return `${d.kind} for ${formatAddress(d.address)}, which we do not own`;
  if (d.kind === 'conflict') {
    if (d.mac === OURS || !isUnicastMac(d.mac)) return `conflict names MAC ${d.mac}`;
    if (!sameAddress(q.senderIp, d.address) || q.senderMac !== d.mac) return 'conflict does not match the frame sender';
    return undefined;
  }
  if (q.operation !== 'request') return 'answered an ARP reply';
  if (q.vlan !== undefined) return 'answered a tagged frame';
  if (q.ethernetDestination !== BROADCAST && q.ethernetDestination !== OURS) return `answered a frame to ${q.ethernetDestination}`;
  if (q.senderMac === OURS || q.ethernetSource === OURS) return 'answered our own frame';
  if (q.senderIp.value !== 0n && owns(q.senderIp)) return 'answered a request sent from an owned address';
  if (!sameAddress(q.targetIp, d.address)) return 'reply is for another address than was asked';
  if (d.frame.length < 60) return `reply is ${d.frame.length} bytes`;
  const rep = decodeArpFrame(d.frame);
  if (!rep.ok) return `reply does not decode: ${rep.error.message}`;
  const r = rep.value;
  if (r.operation !== 'reply' || r.vlan !== undefined) return 'reply is not an untagged ARP reply';
  if (r.ethernetSource !== OURS || r.senderMac !== OURS) return 'reply does not carry our MAC';
  if (!isUnicastMac(q.senderMac) || r.ethernetDestination !== q.senderMac || r.targetMac !== q.senderMac || d.to !== q.senderMac) {
    return `reply does not go to the requester ${q.senderMac}`;
  }
  if (!sameAddress(r.senderIp, d.address) || !sameAddress(r.targetIp, q.senderIp)) return 'reply addresses are not swapped';
  return undefined;
}

const run = (seed: number, frames: number, make: (rng: Rng) => Uint8Array) =>
  fuzz(seed, frames, { make, decide: (bytes) => decideArp(bytes, ctx), violation, show: toHex });

describe('decideArp fuzz (seeded xorshift32)', () => {
  it('survives 300,000 frames mutated from valid ones, and every answer is sound', { timeout: 120_000 }, () => {
    const { kinds, reasons, failures } = run(0x4865_7261, 300_000, (rng) => mutateWith(rng, rng.pick(ALL_SEEDS), MUTATIONS));
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
