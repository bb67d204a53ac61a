import { formatAddress } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { linkLocalAddress } from './linkLocalAddress.js';

// /proc/net/if_inet6 from a LAN node namespace (Linux 6.x): eth0 is ifindex 2.
const TABLE = `20010db8000100000000000000000001 02 40 00 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
fe80000000000000004852fffe4c0001 02 40 20 80     eth0
fe80000000000000004852fffe4c0009 09 40 20 c0     eth9
fe80000000000000004852fffe4c0007 07 40 20 88     eth7
`;

describe('linkLocalAddress', () => {
  it.each([
    { name: "the interface's link-local address, not its global one", ifindex: 2, want: 'fe80::48:52ff:fe4c:1' },
    { name: 'none while DAD is still running (tentative)', ifindex: 9, want: undefined },
    { name: 'none after DAD failed', ifindex: 7, want: undefined },
    { name: 'none on an interface without IPv6', ifindex: 3, want: undefined },
  ])('$name', ({ ifindex, want }) => {
    const a = linkLocalAddress(ifindex, TABLE);
    expect(a === undefined ? undefined : formatAddress(a)).toBe(want);
  });
});
