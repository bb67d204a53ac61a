import { describe, expect, it } from 'vitest';
import { decideArp } from './arpDecision.js';
import { encodeArpFrame } from './arpFrame.js';
import { gratuitousArp } from './gratuitousArp.js';
import { parseMac } from './macAddress.js';
import { encodeNeighborSolicitation, type NdpMeta } from './ndpMessage.js';
import { decideNdp, decideNdpFrame } from './ndpDecision.js';
import { encodeNdpFrame } from './ndpFrame.js';
import { decodeMldQueryFrame, encodeMldFrame, encodeMldQueryMessage } from './mldMessage.js';
import {
  addr,
  ALL_NODES,
  arpRequest,
  mac,
  neighborAdvertisement,
  neighborSolicitation,
  OURS,
  PEER,
  PEER_LL,
  PEER2,
  UNSPECIFIED_V6,
  VIP_V4,
  VIP_V6,
  VIP_V6_SNM,
  wireContext,
  withBytes,
} from './testing/fixtures.js';
import { WIRE_REASONS, type WireReason } from './wireReason.js';

const ctx = wireContext([VIP_V4, VIP_V6]);
const request = arpRequest();
const arp = (bytes: Uint8Array): string | undefined => {
  const d = decideArp(bytes, ctx);
  return d.kind === 'ignore' ? d.reason : d.kind;
};
const arpWith = (at: number, ...values: number[]): string | undefined => arp(withBytes(encodeArpFrame(request), at, ...values));
const ndp = (icmp: Uint8Array, meta: Partial<NdpMeta> = {}): string | undefined => {
  const d = decideNdp(icmp, { source: PEER_LL, destination: VIP_V6_SNM, hopLimit: 255, ...meta }, ctx);
  return d.kind === 'ignore' ? d.reason : d.kind;
};
const ns = neighborSolicitation(VIP_V6, PEER);
const ndpFrame = encodeNdpFrame({ ethernetSource: PEER, ethernetDestination: mac('33:33:ff:00:00:10'), source: PEER_LL, destination: VIP_V6_SNM, icmp: ns });
const frame = (bytes: Uint8Array): string | undefined => {
  const d = decideNdpFrame(bytes, ctx);
  return d.kind === 'ignore' ? d.reason : d.kind;
};
const mldQuery = (source = PEER_LL) => encodeMldFrame({ ethernetSource: PEER, source, destination: ALL_NODES, icmp: encodeMldQueryMessage({ version: 2, maxResponseDelayMs: 1_000 }) });
const mld = (bytes: Uint8Array): string | undefined => {
  const r = decodeMldQueryFrame(bytes);
  return r.ok ? 'query' : r.error.reason;
};
const na = (o: { solicited?: boolean } = {}): Uint8Array => neighborAdvertisement({ targetMac: PEER, ...o });

// A Record, so that adding a reason without showing how it arises does not compile.
const EXAMPLES: Record<WireReason, () => string | undefined> = {
  TooShort: () => arp(new Uint8Array(10)),
  NotArp: () => arpWith(12, 0x86, 0xdd),
  VlanUnsupported: () => arpWith(12, 0x88, 0xa8),
  HardwareTypeNotEthernet: () => arpWith(14, 0, 6),
  ProtocolTypeNotIPv4: () => arpWith(16, 0x86, 0xdd),
  HardwareLengthNot6: () => arpWith(18, 8),
  ProtocolLengthNot4: () => arpWith(19, 16),
  UnknownArpOperation: () => arpWith(20, 0, 9),
  NotNeighborDiscovery: () => ndp(Uint8Array.of(129, 0, 0, 0)),
  HopLimitNot255: () => ndp(ns, { hopLimit: 254 }),
  CodeNotZero: () => ndp(Uint8Array.of(135, 3, ...ns.subarray(2))),
  SourceMulticast: () => ndp(ns, { source: addr('ff02::2') }),
  TargetMulticast: () => ndp(encodeNeighborSolicitation({ target: VIP_V6_SNM, sourceMac: PEER })),
  OptionLengthZero: () => ndp(Uint8Array.of(...ns, 9, 0)),
  OptionTruncated: () => ndp(Uint8Array.of(...ns, 9)),
  LinkLayerOptionLength: () => ndp(Uint8Array.of(...ns.subarray(0, 25), 2, ...ns.subarray(26), 0, 0, 0, 0, 0, 0, 0, 0)),
  DadNotToSolicitedNode: () => ndp(encodeNeighborSolicitation({ target: VIP_V6 }), { source: UNSPECIFIED_V6, destination: ALL_NODES }),
  DadWithSourceLinkLayer: () => ndp(ns, { source: UNSPECIFIED_V6 }),
  SolicitedToMulticast: () => ndp(na({ solicited: true }), { destination: ALL_NODES }),
  MacMalformed: () => {
    const r = parseMac('02:48:52:4c:00');
    return r.ok ? 'parsed' : r.error.reason;
  },
  NotIPv6: () => frame(withBytes(ndpFrame, 12, 0x08, 0x00)),
  NextHeaderNotIcmpv6: () => frame(withBytes(ndpFrame, 20, 0)),
  ChecksumInvalid: () => frame(withBytes(ndpFrame, 70, ndpFrame[70]! ^ 1)),
  NotMld: () => mld(withBytes(mldQuery(), 62, 143)),
  HopLimitNot1: () => mld(withBytes(mldQuery(), 21, 255)),
  SourceNotLinkLocal: () => mld(mldQuery(addr('2001:db8::1'))),
  VlanTagged: () => arp(encodeArpFrame({ ...request, vlan: { id: 7, priority: 0, dropEligible: false } })),
  OwnFrame: () => arp(encodeArpFrame(gratuitousArp(OURS, VIP_V4).reply)),
  InvalidSenderMac: () => arp(encodeArpFrame({ ...request, senderMac: mac('01:00:5e:00:00:01') })),
  NotRequest: () => arp(encodeArpFrame({ ...request, operation: 'reply' })),
  NotForUs: () => arp(encodeArpFrame({ ...request, ethernetDestination: PEER2 })),
  NotOwner: () => arp(encodeArpFrame({ ...request, targetIp: addr('192.0.2.99') })),
  SourceOwned: () => ndp(encodeNeighborSolicitation({ target: addr('2001:db8::50') }), { source: VIP_V6, destination: addr('2001:db8::50') }),
  NoLinkLayerAddress: () => ndp(na().subarray(0, 24), { destination: ALL_NODES }),
};

describe('WireReason', () => {
  it('lists each reason once', () => {
    expect(new Set(WIRE_REASONS).size).toBe(WIRE_REASONS.length);
    expect(Object.keys(EXAMPLES).sort()).toEqual([...WIRE_REASONS].sort());
  });

  it.each(WIRE_REASONS.map((reason) => ({ reason })))('$reason arises from some input', ({ reason }) => {
    expect(EXAMPLES[reason]()).toBe(reason);
  });
});
