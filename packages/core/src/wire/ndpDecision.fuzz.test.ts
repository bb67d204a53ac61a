import { describe, expect, it } from 'vitest';
import { formatAddress, type IPAddress } from '../ip/address.js';
import { isUnicastMac, macToBytes } from './macAddress.js';
import { decodeNdpMessage, encodeNeighborAdvertisement, encodeNeighborSolicitation, type NdpMeta } from './ndpMessage.js';
import { decideNdp, decideNdpFrame, type NdpDecision } from './ndpDecision.js';
import { decodeNdpFrame, encodeNdpFrame } from './ndpFrame.js';
import type { WireIgnore } from './wireDecision.js';
import {
  addr,
  ALL_NODES,
  BROADCAST,
  concat,
  flipBits,
  fuzz,
  mac,
  mutateWith,
  OUR_LL,
  OURS,
  PEER,
  randomByte,
  sameAddress,
  snm,
  toHex,
  UNSPECIFIED_V6,
  wireContext,
  ZERO,
  type Mutation,
  type Rng,
} from './testing/fixtures.js';

const OWNED = [addr('2001:db8::10'), addr('2001:db8::11'), addr('2001:db8:1::abcd')];
const NOT_OWNED = [addr('2001:db8::99'), addr('2001:db8:1::10')];
const ctx = wireContext(OWNED);
const owns = ctx.owns;

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
const SOURCES = [addr('fe80::aa:bbff:fecc:dd01'), addr('2001:db8::50'), UNSPECIFIED_V6, UNSPECIFIED_V6, OWNED[0]!, ALL_NODES];
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

const INTERESTING_MACS = [OURS, PEER, BROADCAST, ZERO, mac('33:33:00:00:00:01')].map(macToBytes);
const v6Bytes = (ip: IPAddress): number[] => Array.from({ length: 16 }, (_, i) => Number((ip.value >> BigInt(8 * (15 - i))) & 255n));
const INTERESTING_TARGETS = [...OWNED, ...NOT_OWNED, ALL_NODES, snm(OWNED[0]!)].map(v6Bytes);

// Drawn with equal odds, so their order is part of what each seed replays.
const MUTATIONS: readonly Mutation[] = [
  flipBits,
  // truncation, often to an option boundary
  (rng, b) => b.slice(0, rng.chance(0.5) ? rng.pick([0, 1, 4, 23, 24, 25, 31]) : rng.int(b.length + 1)),
  // extension: random bytes or a well-formed-looking option
  (rng, b) => (rng.chance(0.5) ? concat(b, rng.bytes(1 + rng.int(24))) : Uint8Array.of(...b, 1 + rng.int(3), rng.int(3), ...rng.pick(INTERESTING_MACS))),
  (_rng, b) => {
    // swap the target with the (first) option's 16 bytes, or the type between NS and NA
    if (b.length >= 40) {
      const t = b.slice(8, 24);
      b.copyWithin(8, 24, 40);
      b.set(t, 24);
    } else if (b.length > 0) b[0] = b[0] === 135 ? 136 : 135;
    return b;
  },
  (rng, b) => {
    // another link-layer address in the first option
    if (b.length >= 32) b.set(rng.pick(INTERESTING_MACS), 26);
    return b;
  },
  (rng, b) => {
    // another target
    if (b.length >= 24) b.set(rng.pick(INTERESTING_TARGETS), 8);
    return b;
  },
  (rng, b) => {
    // flags
    if (b.length >= 5) b[4] = rng.int(256);
    return b;
  },
  (rng, b) => {
    // option type/length or ICMPv6 type/code
    if (b.length >= 26 && rng.chance(0.5)) b[24 + rng.int(2)] = rng.int(4);
    else if (b.length >= 2) b[rng.int(2)] = rng.pick([0, 1, 128, 133, 134, 135, 136, 137, 255]);
    return b;
  },
  randomByte,
];

function randomMessage(rng: Rng): Uint8Array {
  const b = rng.bytes(rng.int(64));
  if (b.length > 0 && rng.chance(0.9)) b[0] = rng.chance(0.5) ? 135 : 136;
  if (b.length > 1 && rng.chance(0.8)) b[1] = 0;
  if (b.length >= 24 && rng.chance(0.5)) b.set(v6Bytes(rng.pick([...OWNED, ...NOT_OWNED])), 8);
  if (b.length >= 32 && rng.chance(0.5)) b.set([1 + rng.int(2), 1], 24);
  return b;
}

/** An ICMPv6 message with what the socket reports about the packet that carried it. */
interface Received {
  readonly icmp: Uint8Array;
  readonly meta: NdpMeta;
}

/** Returns what is wrong with a reply or conflict for this message, or undefined. */
function violation({ icmp, meta }: Received, d: Exclude<NdpDecision, WireIgnore>): string | undefined {
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
  if (!sameAddress(m.target, d.address)) return 'reply is for another address than was asked';
  if (m.sourceMac === OURS) return 'answered our own solicitation';
  if (!sameAddress(meta.source, UNSPECIFIED_V6) && owns(meta.source)) return 'answered a solicitation sent from an owned address';
  const dad = sameAddress(meta.source, UNSPECIFIED_V6);
  if (!sameAddress(d.to, dad ? ALL_NODES : meta.source)) return `reply goes to ${formatAddress(d.to)}, not the solicitation's source`;
  const rep = decodeNdpMessage(d.payload, { source: OUR_LL, destination: d.to, hopLimit: 255 });
  if (!rep.ok) return `reply does not decode: ${rep.error.message}`;
  const r = rep.value;
  if (r.type !== 'advertisement') return 'reply is not an advertisement';
  if (r.targetMac !== OURS) return 'reply does not carry our MAC';
  if (!sameAddress(r.target, d.address) || r.solicited === dad || r.override || r.router) return 'reply target or flags are wrong';
  return undefined;
}

const show = ({ icmp, meta }: Received): string =>
  `src=${formatAddress(meta.source)} dst=${meta.destination ? formatAddress(meta.destination) : '?'} hlim=${meta.hopLimit} ${toHex(icmp)}`;

const run = (seed: number, messages: number, make: (rng: Rng) => Uint8Array) =>
  fuzz(seed, messages, {
    make: (rng): Received => {
      const icmp = make(rng);
      return { icmp, meta: randomMeta(rng, icmp) };
    },
    decide: ({ icmp, meta }) => decideNdp(icmp, meta, ctx),
    violation,
    show,
  });

describe('decideNdp fuzz (seeded xorshift32)', () => {
  it('survives 250,000 messages mutated from valid ones, and every answer is sound', { timeout: 120_000 }, () => {
    const { kinds, reasons, failures } = run(0x4e44_5001, 250_000, (rng) => mutateWith(rng, rng.pick(SEEDS), MUTATIONS));
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

// The same messages inside whole Ethernet/IPv6 frames (what the NDP packet socket delivers), built with a
// valid checksum and then sometimes damaged anywhere: a reply or conflict must come from a frame that
// decodes, and be sound for the message and header it carries.
describe('decideNdpFrame fuzz (seeded xorshift32)', () => {
  it('survives 50,000 frames, and every answer is sound for what the frame says', { timeout: 120_000 }, () => {
    const { kinds, reasons, failures } = fuzz(0x4e44_5003, 50_000, {
      make: (rng): Uint8Array => {
        const icmp = mutateWith(rng, rng.pick(SEEDS), MUTATIONS);
        const meta = randomMeta(rng, icmp);
        const frame = encodeNdpFrame({
          ethernetSource: PEER, ethernetDestination: mac('33:33:ff:00:00:10'), source: meta.source,
          destination: meta.destination ?? ALL_NODES, hopLimit: meta.hopLimit, icmp,
        });
        // A quarter damaged after the checksum was computed: header bytes, checksum, payload, length.
        return rng.chance(0.25) ? (rng.chance(0.5) ? flipBits(rng, frame) : frame.slice(0, rng.int(frame.length + 1))) : frame;
      },
      decide: (frame) => decideNdpFrame(frame, ctx),
      violation: (frame, d) => {
        const f = decodeNdpFrame(frame);
        if (!f.ok) return `${d.kind} for a frame that does not decode (${f.error.reason})`;
        return violation({ icmp: f.value.icmp, meta: f.value.meta }, d);
      },
      show: toHex,
    });
    expect(failures).toEqual([]);
    expect(kinds.reply).toBeGreaterThan(500);
    expect([...reasons]).toEqual(expect.arrayContaining(['ChecksumInvalid', 'TooShort', 'HopLimitNot255', 'NotOwner']));
  });
});
