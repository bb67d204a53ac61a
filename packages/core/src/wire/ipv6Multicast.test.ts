import { describe, expect, it } from 'vitest';
import { formatAddress } from '../ip/address.js';
import { ALL_NODES_MULTICAST, ipv6MulticastMac, isIPv6Multicast, isIPv6Unspecified } from './ipv6Multicast.js';
import { addr } from './testing/fixtures.js';

describe('IPv6 multicast helpers', () => {
  it('ALL_NODES_MULTICAST is ff02::1 and maps to 33:33:00:00:00:01', () => {
    expect(formatAddress(ALL_NODES_MULTICAST)).toBe('ff02::1');
    expect(ipv6MulticastMac(ALL_NODES_MULTICAST)).toBe('33:33:00:00:00:01');
  });

  it.each([
    { name: 'all-nodes', text: 'ff02::1', multicast: true, unspecified: false },
    { name: 'a solicited-node group', text: 'ff02::1:ff00:10', multicast: true, unspecified: false },
    { name: 'a documentation unicast', text: '2001:db8::10', multicast: false, unspecified: false },
    { name: 'link-local', text: 'fe80::1', multicast: false, unspecified: false },
    { name: 'the unspecified address', text: '::', multicast: false, unspecified: true },
    { name: 'IPv4 255.0.0.0 (same top byte, other family)', text: '255.0.0.0', multicast: false, unspecified: false },
    { name: 'IPv4 0.0.0.0', text: '0.0.0.0', multicast: false, unspecified: false },
  ])('$name: multicast=$multicast unspecified=$unspecified', ({ text, multicast, unspecified }) => {
    expect(isIPv6Multicast(addr(text))).toBe(multicast);
    expect(isIPv6Unspecified(addr(text))).toBe(unspecified);
  });

  it.each([{ text: '2001:db8::10' }, { text: '224.0.0.1' }])('ipv6MulticastMac throws for $text', ({ text }) => {
    expect(() => ipv6MulticastMac(addr(text))).toThrow(`${text} is not an IPv6 multicast group`);
  });
});
