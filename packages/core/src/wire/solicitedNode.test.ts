import { describe, expect, it } from 'vitest';
import { formatAddress } from '../ip/address.js';
import { isSolicitedNodeMulticast, solicitedNodeMulticast, solicitedNodeMulticastMac } from './solicitedNode.js';
import { addr } from './testing/fixtures.js';

describe('solicitedNodeMulticast', () => {
  it.each([
    { name: 'a short address', ip: '2001:db8::10', group: 'ff02::1:ff00:10', mac: '33:33:ff:00:00:10' },
    { name: 'all 24 low bits used', ip: '2001:db8::abcd:ef12:3456', group: 'ff02::1:ff12:3456', mac: '33:33:ff:12:34:56' },
    { name: 'a link-local address', ip: 'fe80::48:52ff:fe4c:1', group: 'ff02::1:ff4c:1', mac: '33:33:ff:4c:00:01' },
    { name: 'the unspecified address', ip: '::', group: 'ff02::1:ff00:0', mac: '33:33:ff:00:00:00' },
  ])('$name: $ip → $group on $mac', ({ ip, group, mac }) => {
    const g = solicitedNodeMulticast(addr(ip));
    expect(formatAddress(g)).toBe(group);
    expect(isSolicitedNodeMulticast(g)).toBe(true);
    expect(solicitedNodeMulticastMac(addr(ip))).toBe(mac);
  });

  it.each([
    { text: 'ff02::1', expected: false },
    { text: 'ff02::1:fe00:10', expected: false },
    { text: 'ff02::2:ff00:10', expected: false },
    { text: 'ff02::1:ffff:ffff', expected: true },
    { text: '2001:db8::1:ff00:10', expected: false },
  ])('isSolicitedNodeMulticast($text) is $expected', ({ text, expected }) => {
    expect(isSolicitedNodeMulticast(addr(text))).toBe(expected);
  });

  it('throws for an IPv4 address', () => {
    expect(() => solicitedNodeMulticast(addr('192.0.2.10'))).toThrow('192.0.2.10 is IPv4');
  });
});
