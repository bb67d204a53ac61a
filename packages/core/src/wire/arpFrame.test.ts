import { describe, expect, it } from 'vitest';
import { decodeArpFrame, encodeArpFrame, type ArpFrame } from './arpFrame.js';
import type { MacAddress } from './macAddress.js';
import { addr, arpRequest, hex, OURS, PEER, withBytes } from './testing/fixtures.js';

const request: ArpFrame = arpRequest();

describe('encodeArpFrame / decodeArpFrame round trip', () => {
  it.each<{ name: string; frame: ArpFrame; length: number }>([
    { name: 'a broadcast request', frame: request, length: 60 },
    {
      name: 'a unicast reply',
      frame: { ...request, ethernetDestination: PEER, ethernetSource: OURS, operation: 'reply', senderMac: OURS, senderIp: addr('192.0.2.10'), targetMac: PEER, targetIp: addr('192.0.2.50') },
      length: 60,
    },
    { name: 'an RFC 5227 probe', frame: { ...request, senderIp: addr('0.0.0.0') }, length: 60 },
    { name: 'extreme addresses', frame: { ...request, senderIp: addr('255.255.255.255'), targetIp: addr('0.0.0.0') }, length: 60 },
    { name: 'a VLAN-tagged request', frame: { ...request, vlan: { id: 4095, priority: 7, dropEligible: true } }, length: 60 },
  ])('$name survives encode → decode and is $length bytes', ({ frame, length }) => {
    const bytes = encodeArpFrame(frame);
    expect(bytes.length).toBe(length);
    expect(decodeArpFrame(bytes)).toEqual({ ok: true, value: frame });
  });

  it('zero-pads to the 60-byte Ethernet minimum', () => {
    expect([...encodeArpFrame(request).subarray(42)]).toEqual(new Array(18).fill(0));
  });

  it.each([
    { name: 'exactly 42 bytes (no padding, as some stacks send)', slice: (b: Uint8Array) => b.subarray(0, 42) },
    { name: 'a trailing FCS (64 bytes)', slice: (b: Uint8Array) => Uint8Array.of(...b, 0xde, 0xad, 0xbe, 0xef) },
    { name: 'a view into a larger buffer (as a pooled Node Buffer is)', slice: (b: Uint8Array) => Uint8Array.of(9, 9, 9, ...b, 9).subarray(3, 63) },
  ])('decodes $name', ({ slice }) => {
    expect(decodeArpFrame(slice(encodeArpFrame(request)))).toEqual({ ok: true, value: request });
  });
});

describe('decodeArpFrame refusals', () => {
  const good = (): Uint8Array => encodeArpFrame(request);
  const set = (at: number, ...values: number[]) => (b: Uint8Array): Uint8Array => withBytes(b, at, ...values);
  it.each<{ name: string; mutate: (b: Uint8Array) => Uint8Array; reason: string; words: string }>([
    { name: 'an empty frame', mutate: () => new Uint8Array(0), reason: 'TooShort', words: '0 bytes' },
    { name: 'a cut Ethernet header', mutate: (b) => b.subarray(0, 13), reason: 'TooShort', words: 'Ethernet header needs 14' },
    { name: 'a cut ARP header', mutate: (b) => b.subarray(0, 21), reason: 'TooShort', words: 'ends at byte 22' },
    { name: 'a cut ARP body', mutate: (b) => b.subarray(0, 41), reason: 'TooShort', words: 'ends at byte 42' },
    { name: 'an IPv4 ethertype', mutate: set(12, 0x08, 0x00), reason: 'NotArp', words: '0x0800' },
    { name: 'an IPv6 ethertype', mutate: set(12, 0x86, 0xdd), reason: 'NotArp', words: '0x86dd' },
    { name: 'RARP (0x8035)', mutate: set(12, 0x80, 0x35), reason: 'NotArp', words: '0x8035' },
    {
      name: 'a tagged IPv4 frame',
      mutate: (b) => Uint8Array.of(...b.subarray(0, 12), 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, ...b.subarray(14)),
      reason: 'NotArp',
      words: '0x0800',
    },
    { name: 'a QinQ service tag', mutate: set(12, 0x88, 0xa8), reason: 'VlanUnsupported', words: '0x88a8' },
    { name: 'hardware type IEEE 802 (6)', mutate: set(14, 0x00, 0x06), reason: 'HardwareTypeNotEthernet', words: 'hardware type 6' },
    { name: 'protocol type IPv6', mutate: set(16, 0x86, 0xdd), reason: 'ProtocolTypeNotIPv4', words: '0x86dd' },
    { name: 'hardware length 20 (InfiniBand)', mutate: set(18, 20), reason: 'HardwareLengthNot6', words: 'length 20' },
    { name: 'protocol length 16', mutate: set(19, 16), reason: 'ProtocolLengthNot4', words: 'length 16' },
    { name: 'operation 0', mutate: set(20, 0, 0), reason: 'UnknownArpOperation', words: 'operation 0' },
    { name: 'operation 3 (RARP request)', mutate: set(20, 0, 3), reason: 'UnknownArpOperation', words: 'operation 3' },
    { name: 'operation 0x0101', mutate: set(20, 1, 1), reason: 'UnknownArpOperation', words: 'operation 257' },
  ])('refuses $name as $reason', ({ mutate, reason, words }) => {
    const r = decodeArpFrame(mutate(good()));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(reason);
    expect(r.error.message).toContain(words);
  });
});

describe('encodeArpFrame argument checks', () => {
  it.each<{ name: string; frame: ArpFrame; words: RegExp }>([
    { name: 'an IPv6 sender', frame: { ...request, senderIp: addr('2001:db8::1') }, words: /sender IP 2001:db8::1/ },
    { name: 'an IPv6 target', frame: { ...request, targetIp: addr('2001:db8::1') }, words: /target IP 2001:db8::1/ },
    { name: 'a five-byte MAC', frame: { ...request, senderMac: '02:48:52:4c:00' as MacAddress }, words: /"02:48:52:4c:00"/ },
    { name: 'an unknown operation', frame: { ...request, operation: 'nak' as ArpFrame['operation'] }, words: /"nak"/ },
  ])('throws for $name', ({ frame, words }) => {
    expect(() => encodeArpFrame(frame)).toThrow(words);
  });
});

describe('golden bytes', () => {
  it('a request encodes exactly as RFC 826 lays it out', () => {
    expect(encodeArpFrame(request)).toEqual(
      hex(
        'ffffffffffff 02aabbccdd01 0806' + // Ethernet: broadcast, requester, ARP
          '0001 0800 06 04 0001' + // Ethernet/IPv4, request
          '02aabbccdd01 c0000232 000000000000 c000020a' + // who has 192.0.2.10? tell 192.0.2.50
          '000000000000000000000000000000000000', // padding to 60
      ),
    );
  });
});
