import { describe, expect, it } from 'vitest';
import { decodeArpFrame, encodeArpFrame } from './arpFrame.js';
import { gratuitousArp } from './gratuitousArp.js';
import type { MacAddress } from './macAddress.js';
import { addr, BROADCAST, hex, OURS, VIP_V4, ZERO } from './testing/fixtures.js';

describe('gratuitousArp', () => {
  it('request form matches hand-built golden bytes (sender = target = VIP, target MAC zero, broadcast)', () => {
    expect(encodeArpFrame(gratuitousArp(OURS, VIP_V4).request)).toEqual(
      hex(
        'ffffffffffff 0248524c0001 0806' +
          '0001 0800 06 04 0001' +
          '0248524c0001 c000020a 000000000000 c000020a' +
          '000000000000000000000000000000000000',
      ),
    );
  });

  it('reply form is broadcast, op 2, with target MAC = sender MAC so Linux treats it as gratuitous', () => {
    expect(encodeArpFrame(gratuitousArp(OURS, VIP_V4).reply)).toEqual(
      hex(
        'ffffffffffff 0248524c0001 0806' +
          '0001 0800 06 04 0002' +
          '0248524c0001 c000020a 0248524c0001 c000020a' +
          '000000000000000000000000000000000000',
      ),
    );
  });

  it.each([
    { name: 'request', pick: 'request' as const },
    { name: 'reply', pick: 'reply' as const },
  ])('$name form decodes back to what was built', ({ pick }) => {
    const g = gratuitousArp(OURS, addr('203.0.113.7'));
    expect(decodeArpFrame(encodeArpFrame(g[pick]))).toEqual({ ok: true, value: g[pick] });
  });

  it.each([
    { name: 'a five-byte MAC', m: '02:48:52:4c:00' as MacAddress, ip: VIP_V4, words: /"02:48:52:4c:00"/ },
    { name: 'the broadcast MAC', m: BROADCAST, ip: VIP_V4, words: /not a unicast/ },
    { name: 'the zero MAC', m: ZERO, ip: VIP_V4, words: /not a unicast/ },
    { name: 'an IPv6 address', m: OURS, ip: addr('2001:db8::10'), words: /2001:db8::10 is IPv6/ },
  ])('throws for $name', ({ m, ip, words }) => {
    expect(() => gratuitousArp(m, ip)).toThrow(words);
  });
});
