import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, type IPAddress } from '../ip/address.js';
import { isUnicastMac, macToBytes, parseMac, type MacAddress } from './macAddress.js';
import { decodeNdpMessage, encodeNeighborAdvertisement, encodeNeighborSolicitation, type NdpMeta } from './ndpMessage.js';
import { decideNdp, type NdpDecision } from './ndpDecision.js';
import type { WireContext } from './wireDecision.js';
import { WIRE_REASONS, type WireReason } from './wireReason.js';

// core forbids Math.random; a seeded xorshift32 makes every run replay the same messages, so a failure
// printed here (index, meta, hex) reproduces exactly.
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
const snm = (ip: IPAddress): IPAddress => ({ family: 6, value: (0xff02n << 112n) | (1n << 32n) | (0xffn << 24n) | (ip.value & 0xffffffn) });

const OURS = mac('02:48:52:4c:00:01');
const OUR_LL = addr('fe80::48:52ff:fe4c:1');
const PEER = mac('02:aa:bb:cc:dd:01');
const UNSPECIFIED = addr('::');
const ALL_NODES = addr('ff02::1');
const OWNED = [addr('2001:db8::10'), addr('2001:db8::11'), addr('2001:db8:1::abcd')];
const NOT_OWNED = [addr('2001:db8::99'), addr('2001:db8:1::10')];
const ownedValues = new Set(OWNED.map((a) => a.value));
const owns = (ip: IPAddress): boolean => ip.family === 6 && ownedValues.has(ip.value);
const ctx: WireContext = { interfaceMac: OURS, owns };

const SEEDS: readonly Uint8Array[] = [
  ...[...OWNED, ...NOT_OWNED].flatMap((target) => [
    encodeNeighborSolicitation({ target, sourceMac: PEER }),
    encodeNeighborSolicitation({ target }),
    encodeNeighborAdvertisement({ target, targetMac: PEER, solicited: false, override: true }),
    encodeNeighborAdvertisement({ target, targetMac: PEER, solicited: true, override: false }),
    encodeNeighborAdvertisement({ target, targetMac: OURS, solicited: false, override: true }),
  ]),
  // An unknown option in front of the link-layer one.
  Uint8Array.of(...encodeNeighborSolicitation({ target: OWNED[0]! }), 14, 1, 1, 2, 3, 4, 5, 6, 1, 1, ...macToBytes(PEER)),
];
const SOURCES = [addr('fe80::aa:bbff:fecc:dd01'), addr('2001:db8::50'), UNSPECIFIED, UNSPECIFIED, OWNED[0]!, ALL_NODES];
const targetOf = (b: Uint8Array): IPAddress | undefined => {
  if (b.length < 24) return undefined;
  let v = 0n;
  for (let i = 8; i < 24; i++) v = (v << 8n) | BigInt(b[i]!);
  return { family: 6, value: v };
};
const randomV6 = (rng: Rng): IPAddress => ({ family: 6, value: (BigInt(rng.int(0x1_0000)) << 112n) | BigInt(rng.int(0x1000_0000)) });

function randomMeta(rng: Rng, icmp: Uint8Array): NdpMeta {
  const source = rng.chance(0.1) ? randomV6(rng) : rng.pick(SOURCES);
  const target = targetOf(icmp);
  const destinations = [undefined, ALL_NODES, OUR_LL, randomV6(rng), snm(randomV6(rng)), ...(target ? [snm(target), snm(target), snm(target), target] : [])];
  const destination = rng.pick(destinations);
  const hopLimit = rng.chance(0.75) ? 255 : rng.int(256);
  return destination === undefined ? { source, hopLimit } : { source, destination, hopLimit };
}

const INTERESTING_MACS = [OURS, PEER, mac('ff:ff:ff:ff:ff:ff'), mac('00:00:00:00:00:00'), mac('33:33:00:00:00:01')].map(macToBytes);
const v6Bytes = (ip: IPAddress): number[] => Array.from({ length: 16 }, (_, i) => Number((ip.value >> BigInt(8 * (15 - i))) & 255n));
const INTERESTING_TARGETS = [...OWNED, ...NOT_OWNED, ALL_NODES, snm(OWNED[0]!)].map(v6Bytes);

function mutate(rng: Rng, seed: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  const steps = 1 + rng.int(3);
  for (let s = 0; s < steps; s++) {
    switch (rng.int(9)) {
      case 0: // bit flips
        for (let k = 1 + rng.int(8); k > 0 && b.length > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // truncation, often to an option boundary
        b = b.slice(0, rng.chance(0.5) ? rng.pick([0, 1, 4, 23, 24, 25, 31]) : rng.int(b.length + 1));
        break;
      case 2: // extension: random bytes or a well-formed-looking option
        b = rng.chance(0.5)
          ? concat(b, rng.bytes(1 + rng.int(24)))
          : Uint8Array.of(...b, 1 + rng.int(3), rng.int(3), ...rng.pick(INTERESTING_MACS));
        break;
      case 3: // swap the target with the (first) option's 16 bytes, or the type between NS and NA
        if (b.length >= 40) {
          const t = b.slice(8, 24);
          b.copyWithin(8, 24, 40);
          b.set(t, 24);
        } else if (b.length > 0) b[0] = b[0] === 135 ? 136 : 135;
        break;
      case 4: // another link-layer address in the first option
        if (b.length >= 32) b.set(rng.pick(INTERESTING_MACS), 26);
        break;
      case 5: // another target
        if (b.length >= 24) b.set(rng.pick(INTERESTING_TARGETS), 8);
        break;
      case 6: // flags
        if (b.length >= 5) b[4] = rng.int(256);
        break;
      case 7: // option type/length or ICMPv6 type/code
        if (b.length >= 26 && rng.chance(0.5)) b[24 + rng.int(2)] = rng.int(4);
        else if (b.length >= 2) b[rng.int(2)] = rng.pick([0, 1, 128, 133, 134, 135, 136, 137, 255]);
        break;
      default: // random byte
        if (b.length > 0) b[rng.int(b.length)] = rng.int(256);
    }
  }
  return b;
}

function randomMessage(rng: Rng): Uint8Array {
  const b = rng.bytes(rng.int(64));
  if (b.length > 0 && rng.chance(0.9)) b[0] = rng.chance(0.5) ? 135 : 136;
  if (b.length > 1 && rng.chance(0.8)) b[1] = 0;
  if (b.length >= 24 && rng.chance(0.5)) b.set(v6Bytes(rng.pick([...OWNED, ...NOT_OWNED])), 8);
  if (b.length >= 32 && rng.chance(0.5)) b.set([1 + rng.int(2), 1], 24);
  return b;
}

const same = (a: IPAddress, b: IPAddress): boolean => a.family === b.family && a.value === b.value;

/** Returns what is wrong with the decision for this message, or undefined. */
function violation(icmp: Uint8Array, meta: NdpMeta, d: NdpDecision): string | undefined {
  if (d.kind === 'ignore') return (WIRE_REASONS as readonly string[]).includes(d.reason) ? undefined : `unknown reason ${d.reason}`;
  if (meta.hopLimit !== 255) return `${d.kind} for a message with hop limit ${meta.hopLimit}`;
  const req = decodeNdpMessage(icmp, meta);
  if (!req.ok) return `${d.kind} for a message that does not decode (${req.error.reason})`;
  const m = req.value;
  if (!owns(d.address)) return `${d.kind} for ${formatAddress(d.address)}, which we do not own`;
  if (d.kind === 'conflict') {
    if (d.mac === OURS || !isUnicastMac(d.mac)) return `conflict names MAC ${d.mac}`;
    return undefined;
  }
  if (m.type !== 'solicitation') return 'answered an advertisement';
  if (!same(m.target, d.address)) return 'reply is for another address than was asked';
  if (m.sourceMac === OURS) return 'answered our own solicitation';
  if (!same(meta.source, UNSPECIFIED) && owns(meta.source)) return 'answered a solicitation sent from an owned address';
  const dad = same(meta.source, UNSPECIFIED);
  if (!same(d.to, dad ? ALL_NODES : meta.source)) return `reply goes to ${formatAddress(d.to)}, not the solicitation's source`;
  const rep = decodeNdpMessage(d.payload, { source: OUR_LL, destination: d.to, hopLimit: 255 });
  if (!rep.ok) return `reply does not decode: ${rep.error.message}`;
  const r = rep.value;
  if (r.type !== 'advertisement') return 'reply is not an advertisement';
  if (r.targetMac !== OURS) return 'reply does not carry our MAC';
  if (!same(r.target, d.address) || r.solicited === dad || r.override || r.router) return 'reply target or flags are wrong';
  return undefined;
}

function run(seed: number, messages: number, make: (rng: Rng) => Uint8Array) {
  const rng = xorshift32(seed);
  const kinds = { reply: 0, conflict: 0, ignore: 0 };
  const reasons = new Set<WireReason>();
  const failures: string[] = [];
  for (let i = 0; i < messages && failures.length < 5; i++) {
    const icmp = make(rng);
    const meta = randomMeta(rng, icmp);
    const where = () => `src=${formatAddress(meta.source)} dst=${meta.destination ? formatAddress(meta.destination) : '?'} hlim=${meta.hopLimit} ${toHex(icmp)}`;
    let d: NdpDecision;
    try {
      d = decideNdp(icmp, meta, ctx);
    } catch (e) {
      failures.push(`#${i} threw ${String(e)} for ${where()}`);
      continue;
    }
    kinds[d.kind]++;
    if (d.kind === 'ignore') reasons.add(d.reason);
    const v = violation(icmp, meta, d);
    if (v !== undefined) failures.push(`#${i} ${v}: ${where()}`);
  }
  return { kinds, reasons, failures };
}

describe('decideNdp fuzz (seeded xorshift32)', () => {
  it('survives 250,000 messages mutated from valid ones, and every answer is sound', { timeout: 120_000 }, () => {
    const { kinds, reasons, failures } = run(0x4e44_5001, 250_000, (rng) => mutate(rng, rng.pick(SEEDS)));
    expect(failures).toEqual([]);
    // The invariants only mean something if every outcome actually happened often.
    expect(kinds.reply).toBeGreaterThan(5_000);
    expect(kinds.conflict).toBeGreaterThan(5_000);
    expect([...reasons]).toEqual(
      expect.arrayContaining([
        'TooShort', 'NotNeighborDiscovery', 'HopLimitNot255', 'CodeNotZero', 'SourceMulticast', 'TargetMulticast',
        'OptionLengthZero', 'OptionTruncated', 'LinkLayerOptionLength', 'DadNotToSolicitedNode', 'DadWithSourceLinkLayer',
        'SolicitedToMulticast', 'OwnFrame', 'InvalidSenderMac', 'NotOwner', 'SourceOwned', 'NotForUs', 'NoLinkLayerAddress',
      ]),
    );
  });

  it('survives 150,000 random messages', { timeout: 120_000 }, () => {
    const { kinds, failures } = run(0x4e44_5002, 150_000, randomMessage);
    expect(failures).toEqual([]);
    expect(kinds.ignore).toBeGreaterThan(140_000);
  });
});
