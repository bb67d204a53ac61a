import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from './address.js';
import { IPSet } from './ipSet.js';
import { parseRange } from './range.js';

const set = (...texts: string[]): IPSet =>
  IPSet.of(
    texts.map((t) => {
      const r = parseRange(t);
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    }),
  );
const addr = (t: string) => {
  const r = parseAddress(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('IPSet canonical form', () => {
  it.each([
    [['192.0.2.0/25', '192.0.2.128/25'], ['192.0.2.0/24']],
    [['192.0.2.5', '192.0.2.4', '192.0.2.6'], ['192.0.2.4-192.0.2.6']],
    [['192.0.2.0/24', '192.0.2.10-192.0.2.20'], ['192.0.2.0/24']],
    [['2001:db8::/64', '192.0.2.1', '198.51.100.0/30'], ['192.0.2.1', '198.51.100.0/30', '2001:db8::/64']],
    [['192.0.2.1', '192.0.2.3'], ['192.0.2.1', '192.0.2.3']],
    [[], []],
  ])('%j → %j, and the text parses back to the same set', (input, canonical) => {
    const s = set(...input);
    expect(s.toStrings()).toEqual(canonical);
    expect(set(...s.toStrings()).equals(s)).toBe(true);
  });
});

describe('IPSet size', () => {
  it('is exact for a /64 (2^64) and counts families apart', () => {
    const s = set('2001:db8::/64', '192.0.2.0/30', '198.51.100.7');
    expect(s.size(6)).toBe(18446744073709551616n);
    expect(s.size(4)).toBe(5n);
    expect(s.size()).toBe(18446744073709551621n);
  });

  it('counts a whole IPv6 space without overflow', () => {
    expect(set('::/0').size()).toBe(1n << 128n);
  });
});

describe('IPSet membership and overlap', () => {
  const pool = set('192.0.2.0/28', '198.51.100.10-198.51.100.20', '2001:db8::/120');
  it.each([
    ['192.0.2.0', true],
    ['192.0.2.15', true],
    ['192.0.2.16', false],
    ['198.51.100.9', false],
    ['198.51.100.10', true],
    ['198.51.100.20', true],
    ['198.51.100.21', false],
    ['2001:db8::ff', true],
    ['2001:db8::100', false],
    ['::ffff:192.0.2.1', false],
  ])('contains(%s) is %s', (a, expected) => {
    expect(pool.contains(addr(a))).toBe(expected);
  });

  it.each([
    [['192.0.2.8-192.0.2.40'], ['192.0.2.8/29']],
    [['198.51.100.20/30'], ['198.51.100.20']],
    [['203.0.113.0/24'], []],
    [['2001:db8::80/121', '2001:db8:1::/64'], ['2001:db8::80/121']],
    [['192.0.2.16/28'], []],
  ])('intersection with %j is %j', (other, expected) => {
    const o = set(...other);
    expect(pool.intersect(o).toStrings()).toEqual(expected);
    expect(pool.overlaps(o)).toBe(expected.length > 0);
    expect(o.intersect(pool).toStrings()).toEqual(expected);
  });

  it('does not see an IPv4 address inside an IPv6 range of the same integer value', () => {
    const v6 = set('::/96');
    expect(v6.contains(addr('192.0.2.1'))).toBe(false);
    expect(v6.overlaps(set('192.0.2.0/24'))).toBe(false);
  });

  it('subtract removes exactly the cut', () => {
    expect(set('192.0.2.0/28').subtract(set('192.0.2.0', '192.0.2.4-192.0.2.5', '192.0.2.15')).toStrings()).toEqual([
      '192.0.2.1-192.0.2.3',
      '192.0.2.6-192.0.2.14',
    ]);
    expect(set('192.0.2.0/28').union(set('2001:db8::1')).subtract(set('192.0.2.0/24')).toStrings()).toEqual(['2001:db8::1']);
  });

  it('containsRange needs the whole range inside one interval', () => {
    expect(pool.containsRange(set('192.0.2.4-192.0.2.9').ranges[0]!)).toBe(true);
    expect(pool.containsRange(set('192.0.2.4-192.0.2.19').ranges[0]!)).toBe(false);
  });
});

describe('IPSet.firstFree', () => {
  it.each([
    [['192.0.2.0/30'], [], undefined, '192.0.2.0'],
    [['192.0.2.0/30'], ['192.0.2.0'], undefined, '192.0.2.1'],
    [['192.0.2.0/30'], ['192.0.2.0-192.0.2.2'], undefined, '192.0.2.3'],
    [['192.0.2.0/30'], ['192.0.2.0/30'], undefined, undefined],
    [['192.0.2.0/30'], ['192.0.2.1'], undefined, '192.0.2.0'],
    [['192.0.2.0/31', '192.0.2.8/31'], ['192.0.2.0/31'], undefined, '192.0.2.8'],
    [['192.0.2.0/24'], ['192.0.2.0/25', '192.0.2.129'], undefined, '192.0.2.128'],
    [['192.0.2.7'], [], undefined, '192.0.2.7'],
    [['192.0.2.7'], ['192.0.2.7'], undefined, undefined],
    [['192.0.2.0/30', '2001:db8::/64'], [], 6, '2001:db8::'],
    [['192.0.2.0/30', '2001:db8::/64'], ['2001:db8::/65'], 6, '2001:db8:0:0:8000::'],
    [['2001:db8::/64'], [], 4, undefined],
  ] as const)('pool %j, used %j, family %s → %s', (pool, used, family, expected) => {
    const free = set(...pool).firstFree(set(...used), family);
    expect(free === undefined ? undefined : formatAddress(free)).toBe(expected);
  });

  it('finds the free address after 2^63 used ones in a /64 without walking them', () => {
    const pool = set('2001:db8::/64');
    const used = set('2001:db8::/65', '2001:db8::8000:0:0:0');
    // Walking 2^63 addresses would never finish; the test's own timeout is the proof that it does not walk.
    expect(formatAddress(pool.firstFree(used)!)).toBe('2001:db8::8000:0:0:1');
  });

  it('an exhausted pool frees up when an address is given back', () => {
    const pool = set('192.0.2.0/31');
    expect(pool.firstFree(set('192.0.2.0/31'))).toBeUndefined();
    expect(formatAddress(pool.firstFree(set('192.0.2.0'))!)).toBe('192.0.2.1');
  });
});
