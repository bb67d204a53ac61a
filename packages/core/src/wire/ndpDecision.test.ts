import { describe, expect, it } from 'vitest';
import { formatAddress, type IPAddress } from '../ip/address.js';
import type { MacAddress } from './macAddress.js';
import { decodeNdpMessage, type NdpMeta } from './ndpMessage.js';
import { decideNdp } from './ndpDecision.js';
import {
  addr,
  ALL_NODES,
  mac,
  neighborAdvertisement,
  neighborSolicitation,
  OTHER_SPEAKER,
  OUR_LL,
  OURS,
  PEER,
  PEER_LL,
  snm,
  UNSPECIFIED_V6,
  VIP_V6,
  wireContext,
  ZERO,
} from './testing/fixtures.js';

const VIP2 = addr('2001:db8::11');
const NOT_OURS = addr('2001:db8::99');
const PEER_GLOBAL = addr('2001:db8::50');
const ctx = wireContext([VIP_V6, VIP2]);

const ns = neighborSolicitation;
const na = (target: IPAddress, targetMac: MacAddress, solicited = false): Uint8Array => neighborAdvertisement({ target, targetMac, solicited });
const meta = (source: IPAddress, destination: IPAddress | undefined, hopLimit = 255): NdpMeta =>
  destination === undefined ? { source, hopLimit } : { source, destination, hopLimit };

describe('decideNdp replies', () => {
  it.each<{ name: string; icmp: Uint8Array; meta: NdpMeta; to: string; solicited: boolean }>([
    { name: 'a multicast NS from a link-local source', icmp: ns(VIP_V6, PEER), meta: meta(PEER_LL, snm(VIP_V6)), to: 'fe80::aa:bbff:fecc:dd01', solicited: true },
    { name: 'a multicast NS from a global source', icmp: ns(VIP2, PEER), meta: meta(PEER_GLOBAL, snm(VIP2)), to: '2001:db8::50', solicited: true },
    { name: 'a unicast NUD probe without SLLA', icmp: ns(VIP_V6), meta: meta(PEER_LL, VIP_V6), to: 'fe80::aa:bbff:fecc:dd01', solicited: true },
    { name: 'an NS whose destination was not reported', icmp: ns(VIP_V6, PEER), meta: meta(PEER_LL, undefined), to: 'fe80::aa:bbff:fecc:dd01', solicited: true },
    { name: 'a DAD probe for an owned address (defended, to all-nodes, S=0)', icmp: ns(VIP_V6), meta: meta(UNSPECIFIED_V6, snm(VIP_V6)), to: 'ff02::1', solicited: false },
  ])('answers $name with an NA carrying our MAC', ({ icmp, meta: m, to, solicited }) => {
    const d = decideNdp(icmp, m, ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply') return;
    expect(formatAddress(d.to)).toBe(to);
    const target = decodeNdpMessage(icmp, m);
    if (!target.ok) throw new Error(target.error.message);
    expect(d.address).toEqual(target.value.target);
    expect(decodeNdpMessage(d.payload, { source: OUR_LL, destination: d.to, hopLimit: 255 })).toEqual({
      ok: true,
      value: { type: 'advertisement', target: target.value.target, router: false, solicited, override: false, targetMac: OURS },
    });
  });
});

describe('decideNdp conflicts', () => {
  it.each<{ name: string; icmp: Uint8Array; meta: NdpMeta; address: IPAddress; mac: MacAddress }>([
    { name: 'an unsolicited NA from a foreign MAC', icmp: na(VIP_V6, PEER), meta: meta(PEER_LL, ALL_NODES), address: VIP_V6, mac: PEER },
    { name: "another speaker's announcement (the successor's claim)", icmp: na(VIP2, OTHER_SPEAKER), meta: meta(addr('fe80::48:52ff:fe4c:2'), ALL_NODES), address: VIP2, mac: OTHER_SPEAKER },
    { name: 'a solicited NA unicast to us', icmp: na(VIP_V6, PEER, true), meta: meta(PEER_LL, OUR_LL), address: VIP_V6, mac: PEER },
    { name: 'an NS sent from an owned address', icmp: ns(PEER_GLOBAL, PEER), meta: meta(VIP_V6, snm(PEER_GLOBAL)), address: VIP_V6, mac: PEER },
    { name: 'an NS from one owned address for another (never answered)', icmp: ns(VIP2, PEER), meta: meta(VIP_V6, snm(VIP2)), address: VIP_V6, mac: PEER },
  ])('reports $name', ({ icmp, meta: m, address, mac: claimant }) => {
    expect(decideNdp(icmp, m, ctx)).toEqual({ kind: 'conflict', address, mac: claimant });
  });
});

describe('decideNdp ignores', () => {
  it.each<{ name: string; icmp: Uint8Array; meta: NdpMeta; reason: string; words: string }>([
    { name: 'an NS for an owned address with hop limit 254', icmp: ns(VIP_V6, PEER), meta: meta(PEER_LL, snm(VIP_V6), 254), reason: 'HopLimitNot255', words: '254' },
    { name: 'a foreign NA with hop limit 64 (no conflict either)', icmp: na(VIP_V6, PEER), meta: meta(PEER_LL, ALL_NODES, 64), reason: 'HopLimitNot255', words: '64' },
    { name: 'an echo request', icmp: Uint8Array.of(128, 0, 0, 0, 0, 1, 0, 1), meta: meta(PEER_LL, VIP_V6, 64), reason: 'NotNeighborDiscovery', words: 'type 128' },
    { name: 'a DAD probe with an SLLA', icmp: ns(VIP_V6, PEER), meta: meta(UNSPECIFIED_V6, snm(VIP_V6)), reason: 'DadWithSourceLinkLayer', words: PEER },
    { name: 'our own announcement looped back', icmp: na(VIP_V6, OURS), meta: meta(OUR_LL, ALL_NODES), reason: 'OwnFrame', words: OURS },
    { name: 'our own announcement for an address we no longer own', icmp: na(NOT_OURS, OURS), meta: meta(OUR_LL, ALL_NODES), reason: 'OwnFrame', words: OURS },
    { name: 'an NS with our MAC as SLLA', icmp: ns(VIP_V6, OURS), meta: meta(PEER_LL, snm(VIP_V6)), reason: 'OwnFrame', words: OURS },
    { name: 'an NS with a multicast SLLA', icmp: ns(VIP_V6, mac('33:33:00:00:00:01')), meta: meta(PEER_LL, snm(VIP_V6)), reason: 'InvalidSenderMac', words: '33:33:00:00:00:01' },
    { name: 'an NA claiming zero MAC', icmp: na(VIP_V6, ZERO), meta: meta(PEER_LL, ALL_NODES), reason: 'InvalidSenderMac', words: '00:00:00:00:00:00' },
    { name: 'an NS without SLLA from an owned address', icmp: ns(PEER_GLOBAL), meta: meta(VIP_V6, PEER_GLOBAL), reason: 'SourceOwned', words: '2001:db8::10' },
    { name: 'an NS for an address we do not own', icmp: ns(NOT_OURS, PEER), meta: meta(PEER_LL, snm(NOT_OURS)), reason: 'NotOwner', words: '2001:db8::99' },
    { name: 'a DAD probe for an address we do not own', icmp: ns(NOT_OURS), meta: meta(UNSPECIFIED_V6, snm(NOT_OURS)), reason: 'NotOwner', words: '2001:db8::99' },
    { name: 'a foreign NA for an address we do not own', icmp: na(NOT_OURS, PEER), meta: meta(PEER_LL, ALL_NODES), reason: 'NotOwner', words: '2001:db8::99' },
    { name: 'an NS for an owned address sent to another solicited-node group', icmp: ns(VIP_V6, PEER), meta: meta(PEER_LL, snm(NOT_OURS)), reason: 'NotForUs', words: 'ff02::1:ff00:99' },
    { name: 'an NS for an owned address sent to all-nodes', icmp: ns(VIP_V6, PEER), meta: meta(PEER_LL, ALL_NODES), reason: 'NotForUs', words: 'ff02::1,' },
    { name: 'a foreign NA for an owned address without TLLA', icmp: na(VIP_V6, PEER).subarray(0, 24), meta: meta(PEER_LL, ALL_NODES), reason: 'NoLinkLayerAddress', words: '2001:db8::10' },
  ])('ignores $name as $reason', ({ icmp, meta: m, reason, words }) => {
    const d = decideNdp(icmp, m, ctx);
    expect(d).toMatchObject({ kind: 'ignore', reason });
    if (d.kind === 'ignore') expect(d.message).toContain(words);
  });

  it('throws when the interface MAC is not a MAC (a wiring bug, not bad input)', () => {
    expect(() => decideNdp(ns(VIP_V6, PEER), meta(PEER_LL, snm(VIP_V6)), { ...ctx, interfaceMac: 'nope' as MacAddress })).toThrow(/interface MAC/);
  });
});
