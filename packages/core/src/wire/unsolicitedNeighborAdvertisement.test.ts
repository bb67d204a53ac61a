import { describe, expect, it } from 'vitest';
import { formatAddress } from '../ip/address.js';
import type { MacAddress } from './macAddress.js';
import { decodeNdpMessage } from './ndpMessage.js';
import { addr, hex, mac, OUR_LL, OURS } from './testing/fixtures.js';
import { unsolicitedNeighborAdvertisement } from './unsolicitedNeighborAdvertisement.js';

describe('unsolicitedNeighborAdvertisement', () => {
  it('goes to ff02::1 with S=0, O=1 and our MAC, byte for byte', () => {
    const send = unsolicitedNeighborAdvertisement(addr('2001:db8::10'), OURS);
    expect(formatAddress(send.to)).toBe('ff02::1');
    expect(send.payload).toEqual(hex('88 00 0000 20000000 20010db8000000000000000000000010 02 01 0248524c0001'));
  });

  it('is valid where it lands: decodes at hop limit 255 sent to all-nodes', () => {
    const send = unsolicitedNeighborAdvertisement(addr('2001:db8:1::abcd'), OURS);
    expect(decodeNdpMessage(send.payload, { source: OUR_LL, destination: send.to, hopLimit: 255 })).toEqual({
      ok: true,
      value: { type: 'advertisement', target: addr('2001:db8:1::abcd'), router: false, solicited: false, override: true, targetMac: OURS },
    });
  });

  it.each([
    { name: 'an IPv4 address', ip: addr('192.0.2.10'), m: OURS, words: /192\.0\.2\.10 is IPv4/ },
    { name: 'a multicast MAC', ip: addr('2001:db8::10'), m: mac('33:33:00:00:00:01'), words: /not a unicast/ },
    { name: 'a five-byte MAC', ip: addr('2001:db8::10'), m: '02:48:52:4c:00' as MacAddress, words: /"02:48:52:4c:00"/ },
  ])('throws for $name', ({ ip, m, words }) => {
    expect(() => unsolicitedNeighborAdvertisement(ip, m)).toThrow(words);
  });
});
