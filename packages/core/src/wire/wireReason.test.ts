import { describe, expect, it } from 'vitest';
import { parseAddress, type IPAddress } from '../ip/address.js';
import { decideArp } from './arpDecision.js';
import { encodeArpFrame, type ArpFrame } from './arpFrame.js';
import { gratuitousArp } from './gratuitousArp.js';
import { parseMac, type MacAddress } from './macAddress.js';
import { encodeNeighborAdvertisement, encodeNeighborSolicitation, type NdpMeta } from './ndpMessage.js';
import { decideNdp } from './ndpDecision.js';
import type { WireContext } from './wireDecision.js';
import { WIRE_REASONS, type WireReason } from './wireReason.js';

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

const OURS = mac('02:48:52:4c:00:01');
const PEER = mac('02:aa:bb:cc:dd:01');
const V4 = addr('192.0.2.10');
const V6 = addr('2001:db8::10');
const LL = addr('fe80::aa:bbff:fecc:dd01');
const SNM = addr('ff02::1:ff00:10');
const ctx: WireContext = { interfaceMac: OURS, owns: (ip) => (ip.family === 4 ? ip.value === V4.value : ip.value === V6.value) };
const request: ArpFrame = {
  ethernetDestination: mac('ff:ff:ff:ff:ff:ff'),
  ethernetSource: PEER,
  operation: 'request',
  senderMac: PEER,
  senderIp: addr('192.0.2.50'),
  targetMac: mac('00:00:00:00:00:00'),
  targetIp: V4,
};
const arp = (bytes: Uint8Array): string | undefined => {
  const d = decideArp(bytes, ctx);
  return d.kind === 'ignore' ? d.reason : d.kind;
};
const arpWith = (at: number, ...values: number[]): string | undefined => {
  const b = encodeArpFrame(request);
  b.set(values, at);
  return arp(b);
};
const ndp = (icmp: Uint8Array, meta: Partial<NdpMeta> = {}): string | undefined => {
  const d = decideNdp(icmp, { source: LL, destination: SNM, hopLimit: 255, ...meta }, ctx);
  return d.kind === 'ignore' ? d.reason : d.kind;
};
const ns = encodeNeighborSolicitation({ target: V6, sourceMac: PEER });
const na = (o: { solicited?: boolean; targetMac?: MacAddress; target?: IPAddress } = {}): Uint8Array =>
  encodeNeighborAdvertisement({ target: o.target ?? V6, targetMac: o.targetMac ?? PEER, solicited: o.solicited ?? false, override: true });

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
  TargetMulticast: () => ndp(encodeNeighborSolicitation({ target: SNM, sourceMac: PEER })),
  OptionLengthZero: () => ndp(Uint8Array.of(...ns, 9, 0)),
  OptionTruncated: () => ndp(Uint8Array.of(...ns, 9)),
  LinkLayerOptionLength: () => ndp(Uint8Array.of(...ns.subarray(0, 25), 2, ...ns.subarray(26), 0, 0, 0, 0, 0, 0, 0, 0)),
  DadNotToSolicitedNode: () => ndp(encodeNeighborSolicitation({ target: V6 }), { source: addr('::'), destination: addr('ff02::1') }),
  DadWithSourceLinkLayer: () => ndp(ns, { source: addr('::') }),
  SolicitedToMulticast: () => ndp(na({ solicited: true }), { destination: addr('ff02::1') }),
  MacMalformed: () => {
    const r = parseMac('02:48:52:4c:00');
    return r.ok ? 'parsed' : r.error.reason;
  },
  VlanTagged: () => arp(encodeArpFrame({ ...request, vlan: { id: 7, priority: 0, dropEligible: false } })),
  OwnFrame: () => arp(encodeArpFrame(gratuitousArp(OURS, V4).reply)),
  InvalidSenderMac: () => arp(encodeArpFrame({ ...request, senderMac: mac('01:00:5e:00:00:01') })),
  NotRequest: () => arp(encodeArpFrame({ ...request, operation: 'reply' })),
  NotForUs: () => arp(encodeArpFrame({ ...request, ethernetDestination: mac('02:aa:bb:cc:dd:02') })),
  NotOwner: () => arp(encodeArpFrame({ ...request, targetIp: addr('192.0.2.99') })),
  SourceOwned: () => ndp(encodeNeighborSolicitation({ target: addr('2001:db8::50') }), { source: V6, destination: addr('2001:db8::50') }),
  NoLinkLayerAddress: () => ndp(na().subarray(0, 24), { destination: addr('ff02::1') }),
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
