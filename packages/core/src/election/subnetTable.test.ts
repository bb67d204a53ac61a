import { describe, expect, it } from 'vitest';
import { parseSubnet, SubnetTable } from './subnetTable.js';

describe('parseSubnet', () => {
  it.each([
    ['192.0.2.11/24', { family: 4, value: 0xc000020bn, prefixLength: 24 }],
    ['2001:db8:1::b/64', { family: 6, value: 0x20010db8000100000000000000000000n + 0xbn, prefixLength: 64 }],
    ['192.0.2.11', undefined],
    ['192.0.2.11/x', undefined],
    ['nonsense/24', undefined],
  ])('%s', (cidr, want) => {
    expect(parseSubnet(cidr)).toEqual(want);
  });
});

describe('SubnetTable', () => {
  it('parses each text once and answers as parseSubnet does, a non-CIDR included', () => {
    const t = new SubnetTable();
    const first = t.lookup('192.0.2.11/24');
    expect(first).toEqual(parseSubnet('192.0.2.11/24'));
    expect(t.lookup('192.0.2.11/24')).toBe(first);
    expect(t.lookup('bad')).toBeUndefined();
    expect(t.lookup('bad')).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it('starts over past its limit instead of growing', () => {
    const t = new SubnetTable(3);
    for (let i = 0; i < 10; i++) t.lookup(`192.0.2.${i}/32`);
    expect(t.size).toBeLessThanOrEqual(3);
    expect(t.lookup('192.0.2.9/32')).toEqual(parseSubnet('192.0.2.9/32'));
  });
});
