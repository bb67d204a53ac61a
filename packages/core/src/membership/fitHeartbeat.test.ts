import { describe, expect, it } from 'vitest';
import { decodeHeartbeat, encodeHeartbeat, HEARTBEAT_LIMITS, type Heartbeat, type HeartbeatInterface } from './heartbeat.js';
import { fitHeartbeat } from './fitHeartbeat.js';

const base: Heartbeat = { node: 'n1', incarnation: 1, sequence: 1, draining: false, interfaces: [], announcing: [], heartbeatAddress: '192.0.2.11', heartbeatPort: 7947 };
const veths = (n: number): HeartbeatInterface[] => Array.from({ length: n }, (_, i) => ({ name: `veth${i}`, subnets: [], mac: '02:00:00:00:00:01' }));
const v6 = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);
const echo = { incarnation: 5, sequence: 6, holdMs: 7 };

describe('fitHeartbeat', () => {
  it.each([
    { name: 'state that fits is kept as it is', state: { interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'], mac: '02:48:52:4c:00:01' }], announcing: ['192.0.2.200'] }, trimmed: { interfaces: 0, subnets: 0, announcing: 0, macs: 0 } },
    { name: '600 links: the first 64 are kept, in the order given', state: { interfaces: veths(600), announcing: [] }, trimmed: { interfaces: 600 - HEARTBEAT_LIMITS.interfaces, subnets: 0, announcing: 0, macs: 0 } },
    { name: 'an interface name a heartbeat cannot carry is left out', state: { interfaces: [{ name: 'a/b', subnets: [] }, { name: 'eth0', subnets: [] }], announcing: [] }, trimmed: { interfaces: 1, subnets: 0, announcing: 0, macs: 0 } },
    { name: 'more than 32 subnets on one interface: the first 32', state: { interfaces: [{ name: 'eth0', subnets: Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}/32`) }], announcing: [] }, trimmed: { interfaces: 0, subnets: 8, announcing: 0, macs: 0 } },
    { name: 'a subnet that is not CIDR text is left out', state: { interfaces: [{ name: 'eth0', subnets: ['nonsense', '192.0.2.11/24'] }], announcing: [] }, trimmed: { interfaces: 0, subnets: 1, announcing: 0, macs: 0 } },
    { name: 'a malformed MAC is dropped, the interface kept', state: { interfaces: [{ name: 'eth0', subnets: [], mac: 'zz' }], announcing: [] }, trimmed: { interfaces: 0, subnets: 0, announcing: 0, macs: 1 } },
    { name: '4 000 IPv6 addresses: a prefix that fits one datagram with room for the echo', state: { interfaces: veths(64), announcing: v6(4_000) }, trimmed: 'someAnnouncing' as const },
  ])('$name', ({ state, trimmed }) => {
    const { heartbeat, trimmed: got } = fitHeartbeat({ ...base, ...state });
    if (trimmed === 'someAnnouncing') {
      expect(got.announcing).toBeGreaterThan(0);
      expect(heartbeat.announcing).toEqual(state.announcing.slice(0, heartbeat.announcing.length));
    } else expect(got).toEqual(trimmed);
    // Whatever it returns encodes, with the per-peer echo too, and decodes to the same state.
    const bytes = encodeHeartbeat({ ...heartbeat, echo });
    const back = decodeHeartbeat(bytes);
    expect(back.ok && back.value.interfaces).toEqual(heartbeat.interfaces);
    expect(heartbeat.interfaces.map((i) => i.name)).toEqual(state.interfaces.filter((i) => i.name !== 'a/b').slice(0, 64).map((i) => i.name));
  });

  it('still throws for a bad identity: that is configuration, not state', () => {
    expect(() => fitHeartbeat({ ...base, node: 'Not A Node' })).toThrow(RangeError);
  });
});

describe('heartbeat interface MACs on the wire', () => {
  it('round-trips each interface MAC; an interface without one decodes without one', () => {
    const h: Heartbeat = { ...base, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'], mac: '02:48:52:4c:00:0b' }, { name: 'eth1', subnets: [] }] };
    const back = decodeHeartbeat(encodeHeartbeat(h));
    expect(back.ok && back.value.interfaces).toEqual(h.interfaces);
  });

  it('without any MAC the datagram is byte-for-byte the format without the MAC flag', () => {
    const h: Heartbeat = { ...base, interfaces: [{ name: 'eth0', subnets: [] }] };
    const bytes = encodeHeartbeat(h);
    expect(bytes[5]! & 0x08).toBe(0);
    expect(bytes[5]! & 0x08).toBe(0);
    const withMac = encodeHeartbeat({ ...h, interfaces: [{ name: 'eth0', subnets: [], mac: '02:00:00:00:00:01' }] });
    expect(withMac[5]! & 0x08).toBe(0x08);
    expect(withMac.length).toBe(bytes.length + 6);
  });

  it('refuses to encode a MAC that is not six hex pairs', () => {
    expect(() => encodeHeartbeat({ ...base, interfaces: [{ name: 'eth0', subnets: [], mac: '02:00:00:00:00' }] })).toThrow(/MAC of interface eth0/);
  });
});
