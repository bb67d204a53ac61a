import { describe, expect, it } from 'vitest';
import { cidrPrefix, formatRange, parseRange, rangeSize } from './range.js';

describe('parseRange', () => {
  it.each([
    ['192.0.2.0/28', 4, 16n, '192.0.2.0/28'],
    ['192.0.2.10/32', 4, 1n, '192.0.2.10'],
    ['192.0.2.10', 4, 1n, '192.0.2.10'],
    ['192.0.2.10/31', 4, 2n, '192.0.2.10/31'],
    ['0.0.0.0/0', 4, 1n << 32n, '0.0.0.0/0'],
    ['192.0.2.10-192.0.2.20', 4, 11n, '192.0.2.10-192.0.2.20'],
    ['192.0.2.16-192.0.2.31', 4, 16n, '192.0.2.16/28'],
    ['192.0.2.7-192.0.2.7', 4, 1n, '192.0.2.7'],
    ['2001:db8::/64', 6, 1n << 64n, '2001:db8::/64'],
    ['2001:db8::/128', 6, 1n, '2001:db8::'],
    ['2001:db8::10-2001:db8::1f', 6, 16n, '2001:db8::10/124'],
    ['2001:db8::1-2001:db8::ffff:0', 6, 0xffff0000n, '2001:db8::1-2001:db8::ffff:0'],
  ])('parses %s: IPv%i, %i addresses, canonical %s', (text, family, size, canonical) => {
    const r = parseRange(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.family).toBe(family);
    expect(rangeSize(r.value)).toBe(size);
    expect(formatRange(r.value)).toBe(canonical);
    const again = parseRange(canonical);
    expect(again).toEqual(r);
  });

  it.each([
    ['', 'Empty', 'empty'],
    ['192.0.2.0/28 ', 'Whitespace', 'whitespace'],
    ['192.0.2.10 - 192.0.2.20', 'Whitespace', 'whitespace'],
    ['10.0.0.1/24', 'HostBitsSet', 'the network is 10.0.0.0/24'],
    ['2001:db8::1/64', 'HostBitsSet', 'the network is 2001:db8::/64'],
    ['192.0.2.0/33', 'PrefixOutOfRange', 'longer than 32 bits'],
    ['2001:db8::/129', 'PrefixOutOfRange', 'longer than 128 bits'],
    ['192.0.2.0/024', 'LeadingZero', 'prefix length'],
    ['192.0.2.0/', 'Malformed', 'prefix length'],
    ['192.0.2.0/a', 'Malformed', 'prefix length'],
    ['192.0.2.20-192.0.2.10', 'ReversedRange', 'start is after end'],
    ['192.0.2.1-2001:db8::1', 'MixedFamilies', 'different IP families'],
    ['192.0.2.1-192.0.2.5-192.0.2.9', 'Malformed', 'first-last'],
    ['192.0.2.1-', 'Empty', 'empty'],
    ['fe80::1%eth0/64', 'ZoneNotAllowed', 'zone'],
    ['fe80::1%eth0', 'ZoneNotAllowed', 'zone'],
    ['192.0.02.0/24', 'LeadingZero', 'leading zero'],
    ['banana', 'Malformed', 'not an IPv4 or IPv6'],
  ])('refuses %j as %s (%s)', (text, reason, words) => {
    const r = parseRange(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(reason);
    expect(r.error.input).toBe(text);
    expect(r.error.message).toContain(JSON.stringify(text));
    expect(r.error.message).toContain(words);
  });
});

describe('cidrPrefix', () => {
  it.each([
    ['192.0.2.0/24', 24],
    ['192.0.2.0-192.0.2.127', 25],
    ['192.0.2.1-192.0.2.2', undefined],
    ['192.0.2.0-192.0.2.2', undefined],
    ['2001:db8::/48', 48],
  ])('%s → %s', (text, prefix) => {
    const r = parseRange(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(cidrPrefix(r.value)).toBe(prefix);
  });
});
