import { describe, expect, it } from 'vitest';
import {
  ALL_MLDV2_ROUTERS, decodeMldQueryFrame, encodeMldFrame, encodeMldQueryMessage, encodeMldReportFrame, encodeMldReportMessage,
  mldMaxResponseDelayMs, mldReportDestination, mldv2RecordsPerReport, type MldQueryOptions, type MldReport,
} from './mldMessage.js';
import { addr, ALL_NODES, hex, OURS, OUR_LL, PEER, PEER_LL, toHex, UNSPECIFIED_V6, VIP_V6, withBytes } from './testing/fixtures.js';

// Linux 6.x joining ff02::1:ff4c:1 on a veth with MAC 02:48:52:4c:00:01 (tcpdump -xx on the peer, which
// printed "[icmp6 sum ok] multicast listener report v2, 1 group record(s) [gaddr ff02::1:ff4c:1 to_ex { }]"):
// the kernel's frame, hop-by-hop header and checksum (0x1f27), to check ours against.
const KERNEL_REPORT = hex(`
  333300000016 0248524c0001 86dd
  6000000000240001 fe80000000000000004852fffe4c0001 ff020000000000000000000000000016
  3a00050200000100
  8f001f2700000001 04000000ff020000000000000000 0001ff4c0001`);
// The peer (MAC 02:aa:bb:cc:dd:01) joining ff02::1:ffcc:dd01 before it had a link-local address (RFC 3590):
// source ::, checksum 0x91bc.
const KERNEL_REPORT_UNSPECIFIED_SOURCE_CHECKSUM = 0x91bc;
const KERNEL_GROUP = addr('ff02::1:ff4c:1');

const query = (o: MldQueryOptions, from = PEER_LL, to = o.group ?? ALL_NODES) => encodeMldFrame({ ethernetSource: PEER, source: from, destination: to, icmp: encodeMldQueryMessage(o) });

describe('encodeMldReportFrame', () => {
  it('writes byte for byte the MLDv2 report the Linux kernel sends for one join (Ethernet, IPv6 hop limit 1, Router Alert, checksum)', () => {
    const frame = encodeMldReportFrame({ version: 2, records: [{ type: 'ChangeToExclude', group: KERNEL_GROUP }] }, { mac: OURS, source: OUR_LL });
    expect(toHex(frame)).toBe(toHex(KERNEL_REPORT));
  });

  it('computes the checksum over the pseudo-header with source :: as the kernel does before it has a link-local address', () => {
    const frame = encodeMldReportFrame({ version: 2, records: [{ type: 'ChangeToExclude', group: addr('ff02::1:ffcc:dd01') }] }, { mac: PEER, source: UNSPECIFIED_V6 });
    expect((frame[64]! << 8) | frame[65]!).toBe(KERNEL_REPORT_UNSPECIFIED_SOURCE_CHECKSUM);
  });

  it.each<{ name: string; report: MldReport; destination: string; mac: string; type: number }>([
    { name: 'an MLDv2 report goes to ff02::16', report: { version: 2, records: [{ type: 'ModeIsExclude', group: KERNEL_GROUP }] }, destination: 'ff02::16', mac: '333300000016', type: 143 },
    { name: 'an MLDv1 report goes to the group itself', report: { version: 1, kind: 'report', group: KERNEL_GROUP }, destination: 'ff02::1:ff4c:1', mac: '3333ff4c0001', type: 131 },
    { name: 'an MLDv1 Done goes to all routers', report: { version: 1, kind: 'done', group: KERNEL_GROUP }, destination: 'ff02::2', mac: '333300000002', type: 132 },
  ])('$name', ({ report, destination, mac, type }) => {
    expect(mldReportDestination(report)).toEqual(addr(destination));
    const frame = encodeMldReportFrame(report, { mac: OURS, source: OUR_LL });
    expect(toHex(frame.subarray(0, 6))).toBe(mac);
    expect(frame[21]).toBe(1); // hop limit
    expect(frame[62]).toBe(type);
  });

  it.each([
    { type: 'ModeIsInclude', code: 1 }, { type: 'ModeIsExclude', code: 2 }, { type: 'ChangeToInclude', code: 3 }, { type: 'ChangeToExclude', code: 4 },
  ] as const)('record type $type is $code, with no sources', ({ type, code }) => {
    const m = encodeMldReportMessage({ version: 2, records: [{ type, group: KERNEL_GROUP }, { type, group: addr('ff02::1:ff00:10') }] });
    expect(m.length).toBe(8 + 2 * 20);
    expect((m[6]! << 8) | m[7]!).toBe(2);
    expect([m[8], m[9], m[10], m[11]]).toEqual([code, 0, 0, 0]);
    expect([m[28], m[29], m[30], m[31]]).toEqual([code, 0, 0, 0]);
  });

  it('refuses a record for a unicast address and an empty report', () => {
    expect(() => encodeMldReportMessage({ version: 2, records: [{ type: 'ModeIsExclude', group: VIP_V6 }] })).toThrow(/2001:db8::10 is not one/);
    expect(() => encodeMldReportMessage({ version: 2, records: [] })).toThrow(/1 to 65535 records/);
  });
});

describe('mldv2RecordsPerReport', () => {
  it.each([
    { mtu: 1500, records: 72 },
    { mtu: 1280, records: 61 },
    { mtu: 9000, records: 447 },
  ])('an MTU of $mtu carries $records records', ({ mtu, records }) => {
    expect(mldv2RecordsPerReport(mtu)).toBe(records);
    const frame = encodeMldReportFrame({ version: 2, records: Array.from({ length: records }, () => ({ type: 'ModeIsExclude' as const, group: KERNEL_GROUP })) }, { mac: OURS, source: OUR_LL });
    expect(frame.length - 14).toBeLessThanOrEqual(mtu);
    expect(frame.length - 14 + 20).toBeGreaterThan(mtu);
  });
});

describe('mldMaxResponseDelayMs', () => {
  it.each([
    { name: 'below 32768: milliseconds', code: 10_000, ms: 10_000 },
    { name: 'zero', code: 0, ms: 0 },
    { name: 'exp 0, mant 0', code: 0x8000, ms: 0x1000 << 3 },
    { name: 'exp 7, mant 0xfff (the largest)', code: 0xffff, ms: 0x1fff * 2 ** 10 },
  ])('$name', ({ code, ms }) => expect(mldMaxResponseDelayMs(code)).toBe(ms));
});

describe('decodeMldQueryFrame', () => {
  it.each([
    { name: 'an MLDv2 General Query', o: { version: 2, maxResponseDelayMs: 10_000, robustness: 3 } as const, want: { version: 2, maxResponseDelayMs: 10_000, robustness: 3, sources: 0 } },
    { name: 'an MLDv2 group-specific query', o: { version: 2, group: KERNEL_GROUP, maxResponseDelayMs: 1_000 } as const, want: { version: 2, group: KERNEL_GROUP, maxResponseDelayMs: 1_000, robustness: 2 } },
    { name: 'an MLDv1 General Query', o: { version: 1, maxResponseDelayMs: 10_000 } as const, want: { version: 1, maxResponseDelayMs: 10_000 } },
    { name: 'an MLDv1 group-specific query', o: { version: 1, group: KERNEL_GROUP, maxResponseDelayMs: 500 } as const, want: { version: 1, group: KERNEL_GROUP, maxResponseDelayMs: 500 } },
    { name: 'an MLDv2 query with a long (exponential) delay', o: { version: 2, maxResponseDelayMs: 0x1000 << 4 } as const, want: { maxResponseDelayMs: 0x1000 << 4 } },
  ])('reads $name', ({ o, want }) => {
    const r = decodeMldQueryFrame(query(o));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject({ ...want, source: PEER_LL });
    if (r.ok && o.group === undefined) expect(r.value.group).toBeUndefined();
  });

  const general = query({ version: 2, maxResponseDelayMs: 1_000 });
  it.each([
    { name: 'a report is not a query', frame: encodeMldReportFrame({ version: 2, records: [{ type: 'ModeIsExclude', group: KERNEL_GROUP }] }, { mac: OURS, source: OUR_LL }), reason: 'NotMld' },
    { name: 'a forwarded query (hop limit 2)', frame: withBytes(general, 21, 2), reason: 'HopLimitNot1' },
    { name: 'no hop-by-hop header', frame: withBytes(general, 20, 58), reason: 'NotMld' },
    { name: 'a flipped bit', frame: withBytes(general, 70, general[70]! ^ 1), reason: 'ChecksumInvalid' },
    { name: 'a query from a global address', frame: query({ version: 2, maxResponseDelayMs: 1_000 }, addr('2001:db8::1')), reason: 'SourceNotLinkLocal' },
    { name: 'a query from ::', frame: query({ version: 2, maxResponseDelayMs: 1_000 }, UNSPECIFIED_V6), reason: 'SourceNotLinkLocal' },
    { name: 'a truncated frame', frame: general.subarray(0, 60), reason: 'TooShort' },
    { name: 'an IPv4 frame', frame: withBytes(general, 12, 0x08, 0x00), reason: 'NotIPv6' },
  ])('drops $name ($reason)', ({ frame, reason }) => {
    const r = decodeMldQueryFrame(frame);
    expect(r.ok ? 'ok' : r.error.reason).toBe(reason);
  });

  it('sends every frame it encodes to the group named, at hop limit 1 behind a Router Alert', () => {
    const f = query({ version: 2, group: KERNEL_GROUP, maxResponseDelayMs: 1_000 });
    expect(toHex(f.subarray(0, 6))).toBe('3333ff4c0001');
    expect(toHex(f.subarray(54, 62))).toBe('3a00050200000100');
    expect(ALL_MLDV2_ROUTERS).toEqual(addr('ff02::16'));
  });
});
