import { describe, expect, it } from 'vitest';
import {
  assertMac,
  BROADCAST_MAC,
  isBroadcastMac,
  isMulticastMac,
  isUnicastMac,
  macFromBytes,
  macToBytes,
  parseMac,
  writeMac,
  ZERO_MAC,
  type MacAddress,
} from './macAddress.js';
import { mac } from './testing/fixtures.js';

describe('parseMac', () => {
  it.each([
    { name: 'lower case stays as is', text: '02:48:52:4c:00:01', canonical: '02:48:52:4c:00:01' },
    { name: 'upper case is lowered', text: '02:48:52:4C:00:0A', canonical: '02:48:52:4c:00:0a' },
    { name: 'broadcast', text: 'FF:FF:FF:FF:FF:FF', canonical: 'ff:ff:ff:ff:ff:ff' },
    { name: 'zero', text: '00:00:00:00:00:00', canonical: '00:00:00:00:00:00' },
  ])('accepts $name: $text → $canonical', ({ text, canonical }) => {
    expect(parseMac(text)).toEqual({ ok: true, value: canonical });
  });

  it.each([
    { name: 'five bytes', text: '02:48:52:4c:00' },
    { name: 'seven bytes', text: '02:48:52:4c:00:01:02' },
    { name: 'dashes', text: '02-48-52-4c-00-01' },
    { name: 'single digits', text: '2:48:52:4c:0:1' },
    { name: 'not hex', text: '02:48:52:4g:00:01' },
    { name: 'whitespace', text: ' 02:48:52:4c:00:01' },
    { name: 'empty', text: '' },
  ])('refuses $name ($text) as MacMalformed, quoting the text', ({ text }) => {
    const r = parseMac(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('MacMalformed');
    expect(r.error.message).toContain(JSON.stringify(text));
  });
});

describe('bytes', () => {
  it('round-trips through bytes, also at an offset inside a larger buffer', () => {
    const m = mac('02:48:52:4c:00:01');
    expect([...macToBytes(m)]).toEqual([0x02, 0x48, 0x52, 0x4c, 0x00, 0x01]);
    const buf = new Uint8Array(10);
    writeMac(m, buf, 3);
    expect(macFromBytes(buf, 3)).toBe(m);
    expect(macFromBytes(buf.subarray(3, 9))).toBe(m);
  });

  it.each([
    { name: 'five bytes', bytes: new Uint8Array(5), offset: 0 },
    { name: 'offset past the end', bytes: new Uint8Array(8), offset: 3 },
    { name: 'negative offset', bytes: new Uint8Array(8), offset: -1 },
  ])('macFromBytes throws for $name (a caller bug)', ({ bytes, offset }) => {
    expect(() => macFromBytes(bytes, offset)).toThrow(RangeError);
  });

  it.each([
    { name: 'a five-byte MAC', value: '02:48:52:4c:00' },
    { name: 'upper case', value: '02:48:52:4C:00:01' },
    { name: 'not a string', value: 42 },
  ])('writeMac and assertMac throw for $name cast to MacAddress', ({ value }) => {
    expect(() => writeMac(value as unknown as MacAddress, new Uint8Array(6), 0)).toThrow(RangeError);
    expect(() => assertMac(value as unknown as MacAddress)).toThrow(/is not six lower-case hex pairs/);
  });

  it('writeMac throws when the buffer has no room', () => {
    expect(() => writeMac(mac('02:00:00:00:00:01'), new Uint8Array(6), 1)).toThrow(RangeError);
  });
});

describe('classification', () => {
  it.each([
    { name: 'locally administered unicast', text: '02:48:52:4c:00:01', multicast: false, broadcast: false, unicast: true },
    { name: 'broadcast', text: 'ff:ff:ff:ff:ff:ff', multicast: true, broadcast: true, unicast: false },
    { name: 'IPv6 multicast', text: '33:33:ff:00:00:10', multicast: true, broadcast: false, unicast: false },
    { name: 'IPv4 multicast', text: '01:00:5e:00:00:01', multicast: true, broadcast: false, unicast: false },
    { name: 'zero', text: '00:00:00:00:00:00', multicast: false, broadcast: false, unicast: false },
  ])('$name: multicast=$multicast broadcast=$broadcast unicast=$unicast', ({ text, multicast, broadcast, unicast }) => {
    const m = mac(text);
    expect(isMulticastMac(m)).toBe(multicast);
    expect(isBroadcastMac(m)).toBe(broadcast);
    expect(isUnicastMac(m)).toBe(unicast);
  });

  it('exports broadcast and zero in canonical form', () => {
    expect(BROADCAST_MAC).toBe(mac('ff:ff:ff:ff:ff:ff'));
    expect(ZERO_MAC).toBe(mac('00:00:00:00:00:00'));
  });
});
