import { describe, expect, it } from 'vitest';
import { icmpv6Checksum } from './icmpv6Checksum.js';
import { decodeNdpFrame, encodeNdpFrame, type NdpFrameOptions } from './ndpFrame.js';
import { decideNdpFrame } from './ndpDecision.js';
import { encodeNeighborSolicitation } from './ndpMessage.js';
import { addr, hex, mac, OURS, PEER, PEER_LL, VIP_V6, VIP_V6_SNM, wireContext, withBytes } from './testing/fixtures.js';

const ns = encodeNeighborSolicitation({ target: VIP_V6, sourceMac: PEER });
const options: NdpFrameOptions = { ethernetSource: PEER, ethernetDestination: mac('33:33:ff:00:00:10'), source: PEER_LL, destination: VIP_V6_SNM, icmp: ns };
const frame = encodeNdpFrame(options);
const reason = (bytes: Uint8Array): string | undefined => {
  const r = decodeNdpFrame(bytes);
  return r.ok ? undefined : r.error.reason;
};

// Linux 6.x, `ping -6 2001:db8:1::200` from 2001:db8:1::100 over a veth (tcpdump -xx on the peer): the
// kernel computed this checksum (0xbda7), so it checks ours against an independent implementation.
const KERNEL_SOURCE = addr('2001:db8:1::100');
const KERNEL_NS = hex(`
  3333ff000200 0a63d1217ffe 86dd
  6000000000203aff 20010db8000100000000000000000100 ff0200000000000000000001ff000200
  8700bda700000000 20010db8000100000000000000000200 01010a63d1217ffe`);

describe('decodeNdpFrame', () => {
  it('reads what encodeNdpFrame wrote: MACs, IPv6 source, destination, hop limit, the message', () => {
    const r = decodeNdpFrame(frame);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.ethernetSource).toBe(PEER);
    expect(r.value.ethernetDestination).toBe('33:33:ff:00:00:10');
    expect(r.value.meta).toEqual({ source: PEER_LL, destination: VIP_V6_SNM, hopLimit: 255 });
    expect([...r.value.icmp.subarray(4)]).toEqual([...ns.subarray(4)]);
  });

  it('accepts a solicitation the Linux kernel sent (its checksum, not ours)', () => {
    const r = decodeNdpFrame(KERNEL_NS);
    expect(r.ok && r.value.meta).toEqual({ source: KERNEL_SOURCE, destination: addr('ff02::1:ff00:200'), hopLimit: 255 });
    expect(r.ok && r.value.icmp.length).toBe(32);
  });

  it('computes the checksum the kernel computed', () => {
    const icmp = KERNEL_NS.slice(54);
    icmp[2] = 0;
    icmp[3] = 0;
    expect(icmpv6Checksum(KERNEL_SOURCE, addr('ff02::1:ff00:200'), icmp)).toBe(0xbda7);
  });

  it('ignores Ethernet padding after the IPv6 payload', () => {
    const padded = Uint8Array.of(...frame, 0, 0, 0, 0, 0, 0);
    const r = decodeNdpFrame(padded);
    expect(r.ok && r.value.icmp.length).toBe(ns.length);
  });

  it('passes any hop limit on for decideNdp to judge', () => {
    const r = decodeNdpFrame(encodeNdpFrame({ ...options, hopLimit: 64 }));
    expect(r.ok && r.value.meta.hopLimit).toBe(64);
  });

  it.each([
    { name: 'shorter than an Ethernet header', bytes: frame.subarray(0, 10), reason: 'TooShort' },
    { name: 'shorter than the IPv6 header', bytes: frame.subarray(0, 50), reason: 'TooShort' },
    { name: 'payload length past the frame', bytes: frame.subarray(0, frame.length - 1), reason: 'TooShort' },
    { name: 'ethertype IPv4', bytes: withBytes(frame, 12, 0x08, 0x00), reason: 'NotIPv6' },
    { name: 'IP version 4 in an IPv6 frame', bytes: withBytes(frame, 14, 0x40), reason: 'NotIPv6' },
    { name: 'a hop-by-hop header first', bytes: withBytes(frame, 20, 0), reason: 'NextHeaderNotIcmpv6' },
    { name: 'UDP', bytes: withBytes(frame, 20, 17), reason: 'NextHeaderNotIcmpv6' },
    { name: 'a bit flipped in the target', bytes: withBytes(frame, 54 + 23, frame[54 + 23]! ^ 1), reason: 'ChecksumInvalid' },
    { name: 'a bit flipped in the IPv6 source (pseudo-header)', bytes: withBytes(frame, 22, frame[22]! ^ 0x80), reason: 'ChecksumInvalid' },
    { name: 'an 802.1Q tag', bytes: Uint8Array.of(...frame.subarray(0, 12), 0x81, 0, 0, 7, ...frame.subarray(12)), reason: 'VlanTagged' },
  ])('$name → $reason', ({ bytes, reason: expected }) => {
    expect(reason(bytes)).toBe(expected);
  });
});

describe('decideNdpFrame', () => {
  const ctx = wireContext([VIP_V6]);

  it('answers a solicitation for an owned address to its source, S=1 O=0, with our MAC', () => {
    const d = decideNdpFrame(frame, ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply') return;
    expect(d.to).toEqual(PEER_LL);
    expect(d.payload[0]).toBe(136);
    expect(d.payload[4]).toBe(0x40);
    expect([...d.payload.subarray(26, 32)]).toEqual(OURS.split(':').map((x) => parseInt(x, 16)));
  });

  it.each([
    { name: 'hop limit 254', frame: encodeNdpFrame({ ...options, hopLimit: 254 }), reason: 'HopLimitNot255' },
    { name: 'a bad checksum', frame: withBytes(frame, 56, frame[56]! ^ 0xff), reason: 'ChecksumInvalid' },
    { name: 'a target not owned', frame: encodeNdpFrame({ ...options, icmp: encodeNeighborSolicitation({ target: addr('2001:db8::99'), sourceMac: PEER }) }), reason: 'NotOwner' },
    { name: 'another solicited-node group', frame: encodeNdpFrame({ ...options, destination: addr('ff02::1:ff00:99') }), reason: 'NotForUs' },
  ])('ignores $name ($reason)', ({ frame: f, reason: expected }) => {
    const d = decideNdpFrame(f, ctx);
    expect(d.kind === 'ignore' && d.reason).toBe(expected);
  });
});
