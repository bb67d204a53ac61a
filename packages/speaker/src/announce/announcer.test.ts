import { formatAddress, parseAddressOrThrow } from '@herald/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSpeakerMetrics } from '../metrics.js';
import type { Icmp6Socket, PacketSocket } from '../native/index.js';
import { Announcer, type Announcement } from './announcer.js';
import type { SocketFactory } from './interfaceResponder.js';

// Fake sockets for the announcer's bookkeeping only; the real sockets are proven in network namespaces
// (test/speaker/speakerNode.e2e.test.ts).
const ip = parseAddressOrThrow;

class FakeLinks {
  readonly index = new Map<string, number>([['eth0', 2]]);
  readonly opened: { kind: 'arp' | 'ndp' | 'mld' | 'none' | 'icmp6'; ifname: string; ifindex: number; closed: boolean }[] = [];
  membershipFailures: string[] = [];
  allMulticastFailures: string[] = [];
  memberships: string[] = [];
  allMulticast: boolean[] = [];
  /** Frames sent on packet sockets, by socket kind. */
  sent: { kind: string; frame: Uint8Array }[] = [];

  factory(): SocketFactory {
    const open = (kind: 'arp' | 'ndp' | 'mld' | 'none' | 'icmp6', ifname: string) => {
      const rec = { kind, ifname, ifindex: this.index.get(ifname) ?? 0, closed: false };
      this.opened.push(rec);
      const fail = (list: string[], what: string) => {
        const code = list.shift();
        if (code) throw Object.assign(new Error(`setsockopt ${what}: ${code}`), { code, syscall: 'setsockopt' });
      };
      return {
        mac: Buffer.from([2, 0, 0, 0, 0, rec.ifindex]),
        ifindex: rec.ifindex,
        interface: ifname,
        start: () => undefined,
        send: (frame: Uint8Array) => void this.sent.push({ kind, frame: Uint8Array.from(frame) }),
        close: () => void (rec.closed = true),
        addMembership: (m: Uint8Array) => {
          fail(this.membershipFailures, 'PACKET_ADD_MEMBERSHIP');
          this.memberships.push(Buffer.from(m).toString('hex'));
        },
        dropMembership: (m: Uint8Array) => {
          this.memberships = this.memberships.filter((x) => x !== Buffer.from(m).toString('hex'));
        },
        setAllMulticast: (on: boolean) => {
          fail(this.allMulticastFailures, 'PACKET_MR_ALLMULTI');
          this.allMulticast.push(on);
        },
      };
    };
    return { packet: (i, protocol) => open(protocol, i) as unknown as PacketSocket, icmp6: (i) => open('icmp6', i) as unknown as Icmp6Socket };
  }
}

const RECORD_TYPES = ['', 'ModeIsInclude', 'ModeIsExclude', 'ChangeToInclude', 'ChangeToExclude'];
/** The records of an MLDv2 report frame as "type group" lines (the codec itself is tested in core). */
function decodeRecords(frame: Uint8Array): string[] {
  const icmp = frame.subarray(14 + 40 + 8);
  expect(icmp[0]).toBe(143);
  const n = (icmp[6]! << 8) | icmp[7]!;
  return Array.from({ length: n }, (_, i) => {
    const at = 8 + 20 * i;
    const v = Buffer.from(icmp.subarray(at + 4, at + 20)).toString('hex');
    return `${RECORD_TYPES[icmp[at]!]} ${formatAddress({ family: 6, value: BigInt(`0x${v}`) })}`;
  });
}

describe('Announcer with fake sockets and fake timers', () => {
  let links: FakeLinks;
  let announced: (Announcement & { mac: string })[];
  let announcer: Announcer;
  let metrics: ReturnType<typeof createSpeakerMetrics>;

  beforeEach(() => {
    vi.useFakeTimers();
    links = new FakeLinks();
    announced = [];
    metrics = createSpeakerMetrics();
    announcer = new Announcer({
      sockets: links.factory(),
      log: pino({ level: 'silent' }),
      metrics,
      onAnnounced: (a) => announced.push(a),
      onClaim: () => undefined,
      ifindexOf: (name) => links.index.get(name),
    });
  });

  afterEach(() => {
    announcer.close();
    vi.useRealTimers();
  });

  const gauge = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.reduce((s, v) => s + v.value, 0);

  it('IPv6 addresses are accepted by their solicited-node link-layer group; beyond the exact limit by all-multicast, and back', async () => {
    announcer.close();
    announcer = new Announcer({ sockets: links.factory(), log: pino({ level: 'silent' }), metrics, onAnnounced: (a) => announced.push(a), onClaim: () => undefined, ndpExactGroupsMax: 2 });
    // ::1:200 and 2001:db8:2::200 share their low 24 bits, so one group.
    const [a, b, c, d] = ['2001:db8:1::200', '2001:db8:2::200', '2001:db8:1::201', '2001:db8:1::202'].map(ip);
    announcer.set([a!, b!, c!].map((address) => ({ address, interface: 'eth0' })));
    expect(links.opened.map((o) => o.kind)).toEqual(['arp', 'ndp', 'icmp6', 'mld']);
    expect(links.memberships).toEqual(['3333ff000200', '3333ff000201']);
    expect(links.allMulticast).toEqual([]);
    announcer.set([a!, b!, c!, d!].map((address) => ({ address, interface: 'eth0' })));
    expect(links.memberships).toEqual(['3333ff000200', '3333ff000201']);
    expect(links.allMulticast).toEqual([true]);
    // Dropping the group beyond the limit turns all-multicast off again; dropping a shared one keeps its group.
    announcer.set([a!, c!].map((address) => ({ address, interface: 'eth0' })));
    expect(links.allMulticast).toEqual([true, false]);
    expect(links.memberships).toEqual(['3333ff000200', '3333ff000201']);
    // The last IPv6 address closes the IPv6 sockets (which drops their memberships in the kernel).
    announcer.set([]);
    expect(links.opened.map((o) => `${o.kind}:${o.closed ? 'closed' : 'open'}`)).toEqual(['arp:closed', 'ndp:closed', 'icmp6:closed', 'mld:closed']);
  });

  it('reports the solicited-node group of each new IPv6 address (MLDv2, CHANGE_TO_EXCLUDE) and leaves it (CHANGE_TO_INCLUDE) with the last address of the group', async () => {
    const [a, b] = ['2001:db8:1::200', '2001:db8:2::200'].map(ip);
    const mld = () => links.sent.filter((s) => s.kind === 'mld').map((s) => decodeRecords(s.frame));
    announcer.set([a!, b!].map((address) => ({ address, interface: 'eth0' })));
    await vi.advanceTimersByTimeAsync(0);
    // Two addresses, one group: one record.
    expect(mld()).toEqual([['ChangeToExclude ff02::1:ff00:200']]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(mld()).toEqual([['ChangeToExclude ff02::1:ff00:200'], ['ChangeToExclude ff02::1:ff00:200']]);
    links.sent = [];
    announcer.set([{ address: a!, interface: 'eth0' }]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(mld()).toEqual([]);
    // The last address of the group goes with the interface's last IPv6 address: the leave is sent as the socket closes.
    announcer.set([]);
    expect(mld()).toEqual([['ChangeToInclude ff02::1:ff00:200']]);
    expect(await gauge('herald_speaker_mld_reports_sent_total')).toBe(3);
  });

  it('reports the groups again when the link regains carrier, not on other link updates', async () => {
    const a = ip('2001:db8:1::200');
    const mld = () => links.sent.filter((s) => s.kind === 'mld').map((s) => decodeRecords(s.frame));
    announcer.linksChanged([{ index: 2, up: true, carrier: true }]);
    announcer.set([{ address: a, interface: 'eth0' }]);
    await vi.advanceTimersByTimeAsync(2_000);
    links.sent = [];
    announcer.linksChanged([{ index: 2, up: true, carrier: true }]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(mld()).toEqual([]);
    announcer.linksChanged([{ index: 2, up: true, carrier: false }]);
    announcer.linksChanged([{ index: 2, up: true, carrier: true }]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(mld()).toEqual([['ChangeToExclude ff02::1:ff00:200'], ['ChangeToExclude ff02::1:ff00:200']]);
  });

  it('sends no MLD report with mldReports: false', async () => {
    announcer.close();
    announcer = new Announcer({ sockets: links.factory(), log: pino({ level: 'silent' }), metrics, onAnnounced: (a) => announced.push(a), onClaim: () => undefined, mldReports: false });
    announcer.set([{ address: ip('2001:db8:1::200'), interface: 'eth0' }]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(links.opened.map((o) => o.kind)).toEqual(['arp', 'ndp', 'icmp6']);
    expect(links.sent.filter((s) => s.kind === 'mld')).toEqual([]);
  });

  it('a refused link-layer group falls back to all-multicast; when that is refused too the address is failing and retried with backoff', async () => {
    links.membershipFailures = ['ENOBUFS', 'ENOBUFS', 'ENOBUFS'];
    links.allMulticastFailures = ['ENOBUFS', 'ENOBUFS'];
    const v6 = ip('2001:db8:1::200');
    announcer.set([{ address: v6, interface: 'eth0' }]);
    expect(announcer.isAnnouncing(v6)).toBe(false);
    expect(announced).toEqual([]);
    expect(announcer.failures()).toMatchObject([{ code: 'ENOBUFS', attempts: 1, nextRetryMs: 250 }]);
    expect(await gauge('herald_speaker_announce_failing')).toBe(1);
    // A recompute in between does not hammer the kernel: the retry keeps its own backoff.
    announcer.set([{ address: v6, interface: 'eth0' }]);
    expect(announcer.failures()[0]!.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(250);
    expect(announcer.failures()).toMatchObject([{ attempts: 2, nextRetryMs: 500 }]);
    await vi.advanceTimersByTimeAsync(500);
    expect(announcer.isAnnouncing(v6)).toBe(true);
    expect(links.memberships).toEqual([]);
    expect(links.allMulticast).toEqual([true]);
    expect(announced.map((a) => a.interface)).toEqual(['eth0']);
    expect(announcer.failures()).toEqual([]);
    expect(await gauge('herald_speaker_announce_failing')).toBe(0);
    expect(await gauge('herald_speaker_announce_failures_total')).toBe(2);
  });

  it('an address no longer wanted stops being retried', async () => {
    links.membershipFailures = ['ENOBUFS', 'ENOBUFS', 'ENOBUFS'];
    links.allMulticastFailures = ['ENOBUFS', 'ENOBUFS', 'ENOBUFS'];
    announcer.set([{ address: ip('2001:db8:1::201'), interface: 'eth0' }]);
    announcer.set([]);
    expect(announcer.failures()).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(links.allMulticastFailures.length).toBe(2);
  });

  it('a link re-created under the same name (new ifindex) gets a new responder; the old sockets are closed', async () => {
    const v4 = ip('192.0.2.200');
    announcer.set([{ address: v4, interface: 'eth0' }]);
    expect(links.opened.map((o) => `${o.kind}:${o.ifindex}`)).toEqual(['arp:2']);
    links.index.set('eth0', 9);
    announcer.set([{ address: v4, interface: 'eth0' }]);
    expect(links.opened.map((o) => `${o.kind}:${o.ifindex}:${o.closed ? 'closed' : 'open'}`)).toEqual(['arp:2:closed', 'arp:9:open']);
    expect(announcer.isAnnouncing(v4)).toBe(true);
    expect(announced.map((a) => a.mac)).toEqual(['02:00:00:00:00:02', '02:00:00:00:00:09']);
    // The same ifindex again: nothing is re-opened.
    announcer.set([{ address: v4, interface: 'eth0' }]);
    expect(links.opened.length).toBe(2);
  });
  it('a long queue is worked off in slices of at most sliceMs of starts and stops per turn, the rest on later turns', async () => {
    announcer.close();
    // A clock that moves 1 ms per reading: each start or stop in the drain reads it once.
    let clock = 0;
    announcer = new Announcer({ sockets: links.factory(), log: pino({ level: 'silent' }), metrics, onAnnounced: (a) => announced.push(a), onClaim: () => undefined, sliceMs: 10, now: () => clock++ });
    const all = Array.from({ length: 100 }, (_, i) => ({ address: ip(`2001:db8:1::${(0x100 + i).toString(16)}`), interface: 'eth0' }));
    const first = announcer.set(all);
    // Not the 100 the default chunk (200) would allow: a starting node must not block for all of them.
    expect(first.started.length).toBeLessThanOrEqual(10);
    expect(first.started.length).toBeGreaterThan(0);
    for (let i = 0; i < 50 && announced.length < 100; i++) await vi.runOnlyPendingTimersAsync();
    expect(announced.length).toBe(100);
    expect(await gauge('herald_speaker_addresses_announced')).toBe(100);
  });

  it('an address handed over (quietBursts) is still answered but sends no more gratuitous bursts; owned again, it bursts afresh', async () => {
    const [a, b] = ['192.0.2.200', '192.0.2.201'].map(ip);
    announcer.set([a!, b!].map((address) => ({ address, interface: 'eth0' })));
    // Gratuitous ARP (request and reply forms) per burst: counted per address by the sender field.
    const bursts = (x: string) => links.sent.filter((s) => s.kind === 'arp' && Buffer.from(s.frame.subarray(28, 32)).join('.') === x).length;
    await vi.advanceTimersByTimeAsync(0);
    const first = { a: bursts('192.0.2.200'), b: bursts('192.0.2.201') };
    expect(first.a).toBeGreaterThan(0);
    announcer.quietBursts(a!, true);
    await vi.advanceTimersByTimeAsync(6_000);
    // b went on for its 5 bursts; a sent nothing more, but is still answered.
    expect(bursts('192.0.2.200')).toBe(first.a);
    expect(bursts('192.0.2.201')).toBe(first.b * 6);
    expect(announcer.isAnnouncing(a!)).toBe(true);
    announcer.quietBursts(a!, false);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(bursts('192.0.2.200')).toBe(first.a * 7);
  });

  it('with answering on another thread: an address handed over before its first burst sends none; owned again before it, one cadence', async () => {
    // The answering side applies changes when told to (applied()), as the worker does once it answers them.
    const waiting: (() => void)[] = [];
    const applied = () => waiting.splice(0).forEach((f) => f());
    announcer.close();
    announcer = new Announcer({
      sockets: links.factory(), log: pino({ level: 'silent' }), metrics, onAnnounced: (a) => announced.push(a), onClaim: () => undefined,
      ifindexOf: (name) => links.index.get(name),
      answers: { open: () => undefined, add: () => undefined, remove: () => undefined, close: () => undefined, whenApplied: (f) => void waiting.push(f) },
    });
    const [a, b] = ['192.0.2.200', '192.0.2.201'].map(ip);
    // ARP frames (ethertype 0x0806) by sender address, on whichever socket sends them.
    const bursts = (x: string) => links.sent.filter((s) => s.frame[12] === 0x08 && s.frame[13] === 0x06 && Buffer.from(s.frame.subarray(28, 32)).join('.') === x).length;
    announcer.set([a!, b!].map((address) => ({ address, interface: 'eth0' })));
    announcer.quietBursts(a!, true);
    announcer.quietBursts(b!, true);
    announcer.quietBursts(b!, false);
    await vi.advanceTimersByTimeAsync(0);
    // Nothing before the answering side answers them.
    expect([bursts('192.0.2.200'), bursts('192.0.2.201')]).toEqual([0, 0]);
    applied();
    await vi.advanceTimersByTimeAsync(6_000);
    // a: handed over before its first burst: none at all, but reported announced (its status names this node).
    expect(bursts('192.0.2.200')).toBe(0);
    expect(announced.map((x) => formatAddress(x.address)).sort()).toEqual(['192.0.2.200', '192.0.2.201']);
    // b: the first burst and its 5 on the cadence (2 frames each: request and reply forms), once, not a
    // second chain from the un-quiet.
    expect(bursts('192.0.2.201')).toBe(2 * 6);
  });

  it('update() changes only the listed addresses: the rest keep being answered without being looked at', async () => {
    const [a, b, c] = ['192.0.2.200', '192.0.2.201', '2001:db8:1::200'].map(ip);
    announcer.set([a!, b!].map((address) => ({ address, interface: 'eth0' })));
    const r = announcer.update([{ address: a!, desired: undefined }, { address: c!, desired: { address: c!, interface: 'eth0' } }]);
    expect({ started: r.started.map((x) => formatAddress(x.address)), stopped: r.stopped.map((x) => formatAddress(x.address)) }).toEqual({ started: ['2001:db8:1::200'], stopped: ['192.0.2.200'] });
    expect(announcer.announcing().map((x) => formatAddress(x.address)).sort()).toEqual(['192.0.2.201', '2001:db8:1::200']);
    expect(announcer.announcement(b!)).toEqual({ address: b, interface: 'eth0' });
    expect(await gauge('herald_speaker_addresses_announced')).toBe(2);
    // Asking again for what is already answered does nothing.
    expect(announcer.update([{ address: b!, desired: { address: b!, interface: 'eth0' } }])).toEqual({ started: [], stopped: [] });
  });
});
