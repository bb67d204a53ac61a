import { describe, expect, it } from 'vitest';
import type { MacAddress } from './macAddress.js';
import { decodeNdpMessage, encodeNeighborAdvertisement, encodeNeighborSolicitation, type NdpMessage, type NdpMeta } from './ndpMessage.js';
import {
  addr,
  ALL_NODES,
  hex,
  neighborAdvertisement,
  neighborSolicitation,
  OUR_LL,
  OURS,
  PEER,
  PEER_LL,
  UNSPECIFIED_V6,
  VIP_V6,
  VIP_V6_SNM,
  withBytes,
} from './testing/fixtures.js';

const nsMeta: NdpMeta = { source: PEER_LL, destination: VIP_V6_SNM, hopLimit: 255 };
const naMeta: NdpMeta = { source: OUR_LL, destination: ALL_NODES, hopLimit: 255 };
const ns = neighborSolicitation(VIP_V6, PEER);
const na = neighborAdvertisement;
const option = (type: number, units: number, fill = 0): number[] => [type, units, ...new Array<number>(units * 8 - 2).fill(fill)];

describe('golden bytes', () => {
  it('a solicited NA (S=1, O=0) matches hand-built bytes with checksum 0', () => {
    expect(encodeNeighborAdvertisement({ target: VIP_V6, targetMac: OURS, solicited: true, override: false })).toEqual(
      hex(
        '88 00 0000' + // type 136, code 0, checksum left to the kernel
          '40000000' + // S
          '20010db8000000000000000000000010' + // target 2001:db8::10
          '02 01 0248524c0001', // target link-layer address option
      ),
    );
  });

  it('a solicitation with a source link-layer option matches hand-built bytes', () => {
    expect(ns).toEqual(hex('87 00 0000 00000000 20010db8000000000000000000000010 01 01 02aabbccdd01'));
  });
});

describe('decodeNdpMessage accepts', () => {
  it.each<{ name: string; icmp: Uint8Array; meta: NdpMeta; expected: NdpMessage }>([
    { name: 'an NS with a source link-layer option', icmp: ns, meta: nsMeta, expected: { type: 'solicitation', target: VIP_V6, sourceMac: PEER } },
    { name: 'a unicast NUD probe without options', icmp: encodeNeighborSolicitation({ target: VIP_V6 }), meta: { ...nsMeta, destination: VIP_V6 }, expected: { type: 'solicitation', target: VIP_V6 } },
    { name: 'a DAD probe from :: to the solicited-node group', icmp: encodeNeighborSolicitation({ target: VIP_V6 }), meta: { ...nsMeta, source: UNSPECIFIED_V6 }, expected: { type: 'solicitation', target: VIP_V6 } },
    { name: 'a DAD probe whose destination the socket did not report', icmp: encodeNeighborSolicitation({ target: VIP_V6 }), meta: { source: UNSPECIFIED_V6, hopLimit: 255 }, expected: { type: 'solicitation', target: VIP_V6 } },
    { name: 'an NS with an unknown option before the SLLA', icmp: Uint8Array.of(...ns.subarray(0, 24), ...option(14, 2, 7), ...ns.subarray(24)), meta: nsMeta, expected: { type: 'solicitation', target: VIP_V6, sourceMac: PEER } },
    { name: 'an NS carrying a target link-layer option (ignored)', icmp: Uint8Array.of(...ns.subarray(0, 24), 2, 1, 2, 0, 0, 0, 0, 9), meta: nsMeta, expected: { type: 'solicitation', target: VIP_V6 } },
    { name: 'an NS with two SLLA options (the first counts, as in Linux)', icmp: Uint8Array.of(...ns, 1, 1, 2, 0, 0, 0, 0, 9), meta: nsMeta, expected: { type: 'solicitation', target: VIP_V6, sourceMac: PEER } },
    { name: 'an NS with reserved bits set (ignored, RFC 4861 §4.3)', icmp: withBytes(ns, 4, 0xff, 0xff, 0xff, 0xff), meta: nsMeta, expected: { type: 'solicitation', target: VIP_V6, sourceMac: PEER } },
    { name: 'an unsolicited NA to all-nodes', icmp: na(), meta: naMeta, expected: { type: 'advertisement', target: VIP_V6, router: false, solicited: false, override: true, targetMac: OURS } },
    { name: 'a solicited NA to a unicast address', icmp: na({ solicited: true, override: false }), meta: { ...naMeta, destination: PEER_LL }, expected: { type: 'advertisement', target: VIP_V6, router: false, solicited: true, override: false, targetMac: OURS } },
    { name: "a router's NA", icmp: na({ router: true }), meta: naMeta, expected: { type: 'advertisement', target: VIP_V6, router: true, solicited: false, override: true, targetMac: OURS } },
    { name: 'an NA without a target link-layer option', icmp: na().subarray(0, 24), meta: naMeta, expected: { type: 'advertisement', target: VIP_V6, router: false, solicited: false, override: true } },
    { name: 'an NA with reserved flag bits set', icmp: withBytes(na(), 4, 0x3f, 0xff, 0xff, 0xff), meta: naMeta, expected: { type: 'advertisement', target: VIP_V6, router: false, solicited: false, override: true, targetMac: OURS } },
    { name: 'a solicited NA whose destination was not reported', icmp: na({ solicited: true }), meta: { source: naMeta.source, hopLimit: 255 }, expected: { type: 'advertisement', target: VIP_V6, router: false, solicited: true, override: true, targetMac: OURS } },
    { name: 'a message inside a larger buffer', icmp: Uint8Array.of(0xee, ...ns, 0xee).subarray(1, ns.length + 1), meta: nsMeta, expected: { type: 'solicitation', target: VIP_V6, sourceMac: PEER } },
  ])('$name', ({ icmp, meta, expected }) => {
    expect(decodeNdpMessage(icmp, meta)).toEqual({ ok: true, value: expected });
  });
});

describe('decodeNdpMessage refuses (RFC 4861 §7.1.1, §7.1.2)', () => {
  const dad = encodeNeighborSolicitation({ target: VIP_V6 });
  it.each<{ name: string; icmp: Uint8Array; meta: NdpMeta; reason: string; words: string }>([
    { name: 'an empty message', icmp: new Uint8Array(0), meta: nsMeta, reason: 'TooShort', words: 'empty' },
    { name: 'an echo request (even with hop limit 64)', icmp: hex('80 00 0000 0001 0001'), meta: { ...nsMeta, hopLimit: 64 }, reason: 'NotNeighborDiscovery', words: 'type 128' },
    { name: 'a router advertisement', icmp: withBytes(ns, 0, 134), meta: nsMeta, reason: 'NotNeighborDiscovery', words: 'type 134' },
    { name: 'an NS with hop limit 254 (forwarded once)', icmp: ns, meta: { ...nsMeta, hopLimit: 254 }, reason: 'HopLimitNot255', words: 'hop limit 254' },
    { name: 'an NS with hop limit 64', icmp: ns, meta: { ...nsMeta, hopLimit: 64 }, reason: 'HopLimitNot255', words: 'hop limit 64' },
    { name: 'an NA with hop limit 1', icmp: na(), meta: { ...naMeta, hopLimit: 1 }, reason: 'HopLimitNot255', words: 'hop limit 1' },
    { name: 'an NS cut to 23 bytes', icmp: ns.subarray(0, 23), meta: nsMeta, reason: 'TooShort', words: '23 bytes' },
    { name: 'an NA with code 1', icmp: withBytes(na(), 1, 1), meta: naMeta, reason: 'CodeNotZero', words: 'code 1' },
    { name: 'an NS from a multicast source', icmp: ns, meta: { ...nsMeta, source: ALL_NODES }, reason: 'SourceMulticast', words: 'ff02::1' },
    { name: 'an NS for a multicast target', icmp: encodeNeighborSolicitation({ target: VIP_V6_SNM, sourceMac: PEER }), meta: nsMeta, reason: 'TargetMulticast', words: 'ff02::1:ff00:10' },
    { name: 'an NA for a multicast target', icmp: na({ target: ALL_NODES }), meta: naMeta, reason: 'TargetMulticast', words: 'ff02::1' },
    { name: 'a zero-length option', icmp: Uint8Array.of(...ns, 5, 0, 0, 0, 0, 0, 0, 0), meta: nsMeta, reason: 'OptionLengthZero', words: 'option type 5 at byte 32' },
    { name: 'a zero-length option after a valid one in an NA', icmp: Uint8Array.of(...na(), 2, 0), meta: naMeta, reason: 'OptionLengthZero', words: 'byte 32' },
    { name: 'an option running past the end', icmp: withBytes(ns, 25, 2), meta: nsMeta, reason: 'OptionTruncated', words: 'claims 16 bytes; 8 remain' },
    { name: 'a single stray byte after the options', icmp: Uint8Array.of(...ns, 1), meta: nsMeta, reason: 'OptionTruncated', words: '1 byte(s)' },
    { name: 'a 16-byte SLLA option', icmp: Uint8Array.of(...ns.subarray(0, 24), ...option(1, 2)), meta: nsMeta, reason: 'LinkLayerOptionLength', words: '16 bytes' },
    { name: 'a 16-byte TLLA option', icmp: Uint8Array.of(...na().subarray(0, 24), ...option(2, 2)), meta: naMeta, reason: 'LinkLayerOptionLength', words: '16 bytes' },
    { name: 'a DAD probe to all-nodes', icmp: dad, meta: { ...nsMeta, source: UNSPECIFIED_V6, destination: ALL_NODES }, reason: 'DadNotToSolicitedNode', words: 'ff02::1,' },
    { name: 'a DAD probe to a unicast address', icmp: dad, meta: { ...nsMeta, source: UNSPECIFIED_V6, destination: VIP_V6 }, reason: 'DadNotToSolicitedNode', words: '2001:db8::10' },
    { name: 'a DAD probe with a source link-layer option', icmp: ns, meta: { ...nsMeta, source: UNSPECIFIED_V6 }, reason: 'DadWithSourceLinkLayer', words: PEER },
    { name: 'a solicited NA to all-nodes', icmp: na({ solicited: true }), meta: naMeta, reason: 'SolicitedToMulticast', words: 'ff02::1' },
  ])('$name → $reason', ({ icmp, meta, reason, words }) => {
    const r = decodeNdpMessage(icmp, meta);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(reason);
    expect(r.error.message).toContain(words);
  });

  it.each([
    { name: 'an IPv4 source', meta: { source: addr('192.0.2.1'), hopLimit: 255 } },
    { name: 'an IPv4 destination', meta: { source: PEER_LL, destination: addr('192.0.2.1'), hopLimit: 255 } },
  ])('throws for $name in the socket metadata (an adapter bug)', ({ meta }) => {
    expect(() => decodeNdpMessage(ns, meta)).toThrow(/192\.0\.2\.1 is not IPv6/);
  });
});

describe('encoders', () => {
  it.each([
    { name: 'S=0 O=0', solicited: false, override: false, router: false },
    { name: 'S=1 O=0', solicited: true, override: false, router: false },
    { name: 'S=0 O=1', solicited: false, override: true, router: false },
    { name: 'S=1 O=1 R=1', solicited: true, override: true, router: true },
  ])('an NA with $name round-trips', ({ solicited, override, router }) => {
    const bytes = encodeNeighborAdvertisement({ target: VIP_V6, targetMac: OURS, solicited, override, router });
    expect(bytes.length).toBe(32);
    expect(decodeNdpMessage(bytes, { source: PEER_LL, destination: PEER_LL, hopLimit: 255 })).toEqual({
      ok: true,
      value: { type: 'advertisement', target: VIP_V6, router, solicited, override, targetMac: OURS },
    });
  });

  it.each([
    { name: 'an IPv4 target', run: () => encodeNeighborAdvertisement({ target: addr('192.0.2.10'), targetMac: OURS, solicited: true, override: false }), words: /target 192\.0\.2\.10/ },
    { name: 'a five-byte MAC', run: () => encodeNeighborAdvertisement({ target: VIP_V6, targetMac: '02:48:52:4c:00' as MacAddress, solicited: true, override: false }), words: /"02:48:52:4c:00"/ },
    { name: 'an NS with an IPv4 target', run: () => encodeNeighborSolicitation({ target: addr('192.0.2.10') }), words: /target 192\.0\.2\.10/ },
  ])('throw for $name', ({ run, words }) => {
    expect(run).toThrow(words);
  });
});
