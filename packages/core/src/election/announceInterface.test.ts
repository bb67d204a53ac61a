import { describe, expect, it } from 'vitest';
import { parseAddressOrThrow } from '../ip/address.js';
import { chooseAnnounceInterface } from './announceInterface.js';

const ip = parseAddressOrThrow;
const ifaces = [
  { name: 'eth0', subnets: ['192.0.2.11/24', '2001:db8:1::b/64'] },
  { name: 'eth1', subnets: ['198.51.100.11/25'] },
  { name: 'eth1.7', subnets: ['198.51.100.130/26'] },
  { name: 'mgmt0', subnets: ['203.0.113.130/28'] },
];

describe('chooseAnnounceInterface', () => {
  it.each([
    ['an address on eth0 subnet', '192.0.2.200', 'auto', undefined, 'eth0'],
    ['an IPv6 address on eth0 subnet', '2001:db8:1::200', 'auto', undefined, 'eth0'],
    ['the most specific subnet wins', '198.51.100.140', 'auto', undefined, 'eth1.7'],
    ['off every subnet: the heartbeat interface', '203.0.113.5', 'auto', 'eth0', 'eth0'],
    ['off every subnet, no heartbeat interface: first by name', '203.0.113.5', 'auto', undefined, 'eth0'],
    ['only listed interfaces count', '192.0.2.200', ['eth1'], undefined, 'eth1'],
    ['a listed interface the node lacks', '192.0.2.200', ['bond0'], undefined, undefined],
  ] as const)('%s', (_name, address, allowed, primary, want) => {
    expect(chooseAnnounceInterface(ip(address), ifaces, allowed as readonly string[] | 'auto', primary)).toBe(want);
  });
});
