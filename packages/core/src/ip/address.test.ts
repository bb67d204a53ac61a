import { describe, expect, it } from 'vitest';
import { addressBytes, addressFromBytes, formatAddress, parseAddress, parseAddressOrThrow, type IPAddress } from './address.js';

describe('parseAddress', () => {
  it.each([
    ['192.0.2.1', 4, 0xc0000201n, '192.0.2.1'],
    ['0.0.0.0', 4, 0n, '0.0.0.0'],
    ['255.255.255.255', 4, 0xffffffffn, '255.255.255.255'],
    ['2001:db8::1', 6, 0x20010db8000000000000000000000001n, '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', 6, 0x20010db8000000000000000000000001n, '2001:db8::1'],
    ['2001:0db8::0001', 6, 0x20010db8000000000000000000000001n, '2001:db8::1'],
    ['::', 6, 0n, '::'],
    ['::1', 6, 1n, '::1'],
    ['2001:db8::', 6, 0x20010db8n << 96n, '2001:db8::'],
    ['2001:db8:0:1:0:0:0:1', 6, 0x20010db8000000010000000000000001n, '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', 6, 0x20010db8000000000001000000000001n, '2001:db8::1:0:0:1'],
    ['2001:db8:1:1:1:1:1:0', 6, 0x20010db8000100010001000100010000n, '2001:db8:1:1:1:1:1:0'],
    ['::ffff:192.0.2.1', 6, 0xffffc0000201n, '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', 6, 0x0064ff9b0000000000000000c0000201n, '64:ff9b::c000:201'],
  ])('parses %s as IPv%i and prints it canonically', (text, family, value, canonical) => {
    const r = parseAddress(text);
    expect(r).toEqual({ ok: true, value: { family, value } });
    if (r.ok) expect(formatAddress(r.value)).toBe(canonical);
  });

  it.each([
    ['', 'Empty'],
    [' 192.0.2.1', 'Whitespace'],
    ['192.0.2.1 ', 'Whitespace'],
    ['2001:db8::1\n', 'Whitespace'],
    ['fe80::1%eth0', 'ZoneNotAllowed'],
    ['192.0.2.01', 'LeadingZero'],
    ['010.0.0.1', 'LeadingZero'],
    ['192.0.2', 'Malformed'],
    ['192.0.2.1.5', 'Malformed'],
    ['192.0.2.256', 'Malformed'],
    ['192.0.2.-1', 'Malformed'],
    ['hello', 'Malformed'],
    ['2001:db8::1::1', 'Malformed'],
    ['2001:db8:0:0:0:0:0:0:1', 'Malformed'],
    ['2001:db8:0:0:0:0:1', 'Malformed'],
    ['1:2:3:4:5:6:7:8::', 'Malformed'],
    ['2001:db8::12345', 'Malformed'],
    ['2001:db8::g', 'Malformed'],
    [':1::', 'Malformed'],
    ['1.2.3.4::', 'Malformed'],
    ['::ffff:192.0.2.01', 'LeadingZero'],
  ])('refuses %j with reason %s and quotes the input', (text, reason) => {
    const r = parseAddress(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe(reason);
      expect(r.error.message).toContain(JSON.stringify(text));
    }
  });
});

describe('address bytes', () => {
  it.each(['192.0.2.10', '2001:db8::a', '::ffff:198.51.100.7'])('round-trips %s through network-order bytes', (text) => {
    const r = parseAddress(text);
    if (!r.ok) throw new Error(r.error.message);
    const bytes = addressBytes(r.value);
    expect(bytes.length).toBe(r.value.family === 4 ? 4 : 16);
    expect(addressFromBytes(bytes)).toEqual(r.value);
  });

  it('puts the most significant byte first', () => {
    const r = parseAddress('192.0.2.10');
    if (!r.ok) throw new Error();
    expect([...addressBytes(r.value)]).toEqual([192, 0, 2, 10]);
  });
});

describe('address arithmetic in 32-bit pieces (fewer bigints per address)', () => {
  // The one-bigint-per-step forms these replaced, kept as the reference.
  const refBytes = (a: IPAddress) => {
    const out = new Uint8Array(a.family === 4 ? 4 : 16);
    let v = a.value;
    for (let i = out.length - 1; i >= 0; i--) { out[i] = Number(v & 255n); v >>= 8n; }
    return out;
  };
  const refFormat6 = (value: bigint): string => {
    const words: number[] = [];
    for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
    let bestStart = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (words[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
      i = j;
    }
    const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
    if (bestStart < 0) return hex(words);
    return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
  };
  let seed = 7;
  const word = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    // Many zero words, so that "::" runs of every length and place occur.
    return seed % 3 === 0 ? 0 : (seed >>> 8) & 0xffff;
  };
  const values = Array.from({ length: 3_000 }, () => Array.from({ length: 8 }, word).reduce((v, w) => (v << 16n) | BigInt(w), 0n));
  values.push(0n, 1n, (1n << 128n) - 1n, 0xffff_c000_0201n, 1n << 127n, 0xffffn << 112n);

  it('IPv6: bytes, bytes back, text and text back agree with the one-bigint-per-step forms', () => {
    for (const value of values) {
      const a: IPAddress = { family: 6, value };
      expect(addressBytes(a)).toEqual(refBytes(a));
      expect(addressFromBytes(refBytes(a))).toEqual(a);
      const text = formatAddress(a);
      if (value >> 32n !== 0xffffn) expect(text).toBe(refFormat6(value));
      expect(parseAddress(text)).toEqual({ ok: true, value: a });
    }
  });

  it('IPv4: bytes and bytes back agree with the one-bigint-per-step forms', () => {
    for (const v of [0n, 1n, 0xc0000201n, 0xffffffffn, 0x80000000n]) {
      const a: IPAddress = { family: 4, value: v };
      expect(addressBytes(a)).toEqual(refBytes(a));
      expect(addressFromBytes(refBytes(a))).toEqual(a);
    }
  });
});

describe('parseAddressOrThrow', () => {
  it('returns what parseAddress returns for a valid address', () => {
    const r = parseAddress('2001:db8::1');
    expect(r.ok && parseAddressOrThrow('2001:db8::1')).toEqual(r.ok && r.value);
  });
  it('throws naming the text and the syntax error', () => {
    expect(() => parseAddressOrThrow('192.0.2.01')).toThrow(/^192\.0\.2\.01: /);
  });
});
