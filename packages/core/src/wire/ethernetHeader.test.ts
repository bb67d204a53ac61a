import { describe, expect, it } from 'vitest';
import { decodeEthernetHeader, encodeEthernetHeader, ethernetHeaderLength, type EthernetHeader } from './ethernetHeader.js';
import { hex, mac } from './testing/fixtures.js';

describe('Ethernet header', () => {
  it.each<{ name: string; header: EthernetHeader; bytes: string }>([
    {
      name: 'untagged ARP',
      header: { destination: mac('ff:ff:ff:ff:ff:ff'), source: mac('02:48:52:4c:00:01'), etherType: 0x0806 },
      bytes: 'ffffffffffff 0248524c0001 0806',
    },
    {
      name: 'one 802.1Q tag, VLAN 100, priority 5, DEI set',
      header: {
        destination: mac('02:aa:bb:cc:dd:01'),
        source: mac('02:48:52:4c:00:01'),
        etherType: 0x0806,
        vlan: { id: 100, priority: 5, dropEligible: true },
      },
      bytes: '02aabbccdd01 0248524c0001 8100 b064 0806',
    },
  ])('encodes and decodes $name byte for byte', ({ header, bytes }) => {
    const expected = hex(bytes);
    const out = new Uint8Array(expected.length);
    expect(encodeEthernetHeader(header, out)).toBe(ethernetHeaderLength(header));
    expect(out).toEqual(expected);
    expect(decodeEthernetHeader(expected)).toEqual({ ok: true, value: { ...header, payloadOffset: expected.length } });
  });

  it.each([
    { name: 'an empty buffer', bytes: '', reason: 'TooShort', words: '0 bytes' },
    { name: '13 bytes', bytes: 'ffffffffffff 0248524c0001 08', reason: 'TooShort', words: '13 bytes' },
    { name: 'a cut 802.1Q tag', bytes: 'ffffffffffff 0248524c0001 8100 0064', reason: 'TooShort', words: '16 bytes' },
    { name: 'an 802.1ad service tag', bytes: 'ffffffffffff 0248524c0001 88a8 0064 8100 0065 0806', reason: 'VlanUnsupported', words: '0x88a8' },
    { name: 'a 0x9100 tag', bytes: 'ffffffffffff 0248524c0001 9100 0064 0806', reason: 'VlanUnsupported', words: '0x9100' },
    { name: 'two 802.1Q tags', bytes: 'ffffffffffff 0248524c0001 8100 0064 8100 0065 0806', reason: 'VlanUnsupported', words: '0x8100' },
  ])('refuses $name as $reason', ({ bytes, reason, words }) => {
    const r = decodeEthernetHeader(hex(bytes));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(reason);
    expect(r.error.message).toContain(words);
  });

  it.each([
    { name: 'VLAN id 4096', vlan: { id: 4096, priority: 0, dropEligible: false }, etherType: 0x0806 },
    { name: 'priority 8', vlan: { id: 1, priority: 8, dropEligible: false }, etherType: 0x0806 },
    { name: 'ethertype 0x10000', vlan: undefined, etherType: 0x10000 },
  ])('encode throws for $name (a caller bug)', ({ vlan, etherType }) => {
    const header = { destination: mac('ff:ff:ff:ff:ff:ff'), source: mac('02:48:52:4c:00:01'), etherType, ...(vlan ? { vlan } : {}) };
    expect(() => encodeEthernetHeader(header, new Uint8Array(18))).toThrow(RangeError);
  });
});
