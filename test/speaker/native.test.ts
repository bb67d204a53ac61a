import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientV4, clientV6 } from '../lan/addressPlan.js';
import { Lan, type LanHost } from '../lan/lan.js';
import { waitFor, type Spawned } from '../processes.js';

// herald_net (packages/speaker/native) driven through the speaker's wrapper by a fixture process inside
// a node namespace: ARP over the AF_PACKET socket, NDP over the raw ICMPv6 socket, and its errors.
const FIXTURE = fileURLToPath(new URL('./fixtures/native-fixture.mjs', import.meta.url));
const ADDON = fileURLToPath(new URL('../../packages/speaker/native/build/Release/herald_net.node', import.meta.url));
const WRAPPER = fileURLToPath(new URL('../../packages/speaker/dist/native/index.js', import.meta.url));

const VIP4 = '192.0.2.200';
const VIP6 = '2001:db8:1::200';
const SOLICITED_NODE = 'ff02::1:ff00:200';

interface FixtureEvent {
  event: string;
  [key: string]: unknown;
}

interface Attempt {
  what: string;
  ok: boolean;
  name?: string;
  message?: string;
  code?: string;
  errno?: number;
  syscall?: string;
  interface?: string;
}

const parseEvents = (text: string): FixtureEvent[] =>
  text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as FixtureEvent);

const events = (p: Spawned): FixtureEvent[] => parseEvents(readFileSync(p.logFile, 'utf8'));

function startFixture(lan: Lan, host: LanHost, args: string[]): Spawned {
  return lan.spawn(host, [process.execPath, '--expose-gc', FIXTURE, ...args], { logName: `native-${args.slice(0, 2).join('-')}` });
}

/** Runs a fixture mode to completion (optionally under a wrapper such as setpriv) and returns its events. */
async function runFixture(lan: Lan, host: LanHost, args: string[], wrapper: string[] = []): Promise<FixtureEvent[]> {
  const r = await lan.tryExec(host.netns, [...wrapper, process.execPath, FIXTURE, ...args]);
  expect(r.code, `fixture ${args.join(' ')} exited ${r.code}: ${r.stderr}`).toBe(0);
  return parseEvents(r.stdout);
}

async function waitForEvent(p: Spawned, what: string, match: (e: FixtureEvent) => boolean, timeoutMs = 5_000): Promise<FixtureEvent> {
  let found: FixtureEvent | undefined;
  await waitFor(`fixture event: ${what}`, () => (found = events(p).find(match)) !== undefined, {
    timeoutMs,
    intervalMs: 20,
    abortIf: () => {
      const exited = p.child.exitCode !== null || p.child.signalCode !== null;
      return exited && !events(p).some(match) ? `fixture exited:\n${readFileSync(p.logFile, 'utf8')}` : undefined;
    },
  });
  return found!;
}

async function exitWithin(p: Spawned, ms: number): Promise<number | string> {
  return Promise.race([p.exited, new Promise<string>((resolve) => setTimeout(() => resolve(`still running after ${ms} ms`), ms))]);
}

async function ifindex(lan: Lan, host: LanHost): Promise<number> {
  return (JSON.parse(await lan.exec(host.netns, ['ip', '-j', 'link', 'show', 'eth0'])) as [{ ifindex: number }])[0].ifindex;
}

const result = (evs: FixtureEvent[]) => evs.find((e) => e.event === 'result') as (Attempt & { value?: { ifindex: number; mac: string }; uid: number }) | undefined;
const attempts = (evs: FixtureEvent[]) => new Map(((evs.find((e) => e.event === 'results')?.results ?? []) as Attempt[]).map((a) => [a.what, a]));

describe('herald_net native addon', () => {
  let lan: Lan | undefined;

  beforeAll(() => {
    for (const [path, how] of [[ADDON, '`npm_config_nodedir=/usr npm run build:native -w @herald/speaker`'], [WRAPPER, '`npx tsc -b`']] as const) {
      if (!existsSync(path)) throw new Error(`${path} is missing: build it first with ${how}`);
    }
  });

  afterEach(async () => {
    await lan?.destroy();
    lan = undefined;
  });

  it('answers ARP for an address with the node MAC, sees only ARP frames, and never its own replies', async () => {
    lan = await Lan.create({ nodes: 2 });
    const n1 = lan.nodes[0]!;
    const p = startFixture(lan, n1, ['respond-arp', 'eth0', VIP4]);
    const ready = await waitForEvent(p, 'ready', (e) => e.event === 'ready');
    expect(ready).toMatchObject({ mac: n1.mac, ifindex: await ifindex(lan, n1), interface: 'eth0' });

    // The kernel holds our classic-BPF program (8 instructions) on the fixture's socket. Matched by pid
    // (`ip netns exec` execs the fixture in place): the thread name ss prints is "node" on Node 20 and
    // "MainThread" on Node 24.
    const ss = await lan.exec(n1.netns, ['ss', '-0', '-b', '-p']);
    expect(ss, ss).toMatch(new RegExp(`arp:eth0 .*pid=${p.pid},.*\\n\\s*bpf filter \\(8\\):\\s+0x28 0 0 12,\\s+0x15 0 5 2054,`));

    const { replies, output } = await lan.arping(VIP4, { count: 3 });
    expect(replies, output).toEqual([n1.mac, n1.mac, n1.mac]);
    // The client kernel resolves the address to node 1 (the ping itself fails: nobody holds it at L3).
    await lan.ping(VIP4);
    expect((await lan.neighbour(VIP4))?.lladdr).toBe(n1.mac);

    const frames = events(p).filter((e) => e.event === 'frame');
    // arping's first request is broadcast, the next ones unicast to our MAC (packet types 1 and 0).
    expect(new Set(frames.map((f) => f.packetType))).toEqual(new Set([0, 1]));
    expect(frames.every((f) => f.ethertype === 0x0806)).toBe(true);
    expect(events(p).filter((e) => e.event === 'replied').length).toBeGreaterThanOrEqual(4);

    // No outgoing frames: ARP the node itself sends (arping on the node) is not delivered to us, while
    // the client's reply to it is (packet type 0, to the node's MAC).
    await lan.exec(n1.netns, ['arping', '-c', '1', '-w', '2', '-I', 'eth0', clientV4]);
    await waitForEvent(p, "the client's reply to the node", (e) => e.event === 'frame' && e.op === 2 && e.sha === lan!.client.mac && e.packetType === 0);
    expect(events(p).filter((e) => e.event === 'frame' && (e.sha === n1.mac || e.packetType === 4))).toEqual([]);

    // In-kernel filtering: from node 2, ARP with a foreign protocol type, hardware type or address length
    // and a frame of another ethertype, then a valid request. Only the valid one reaches JS.
    const probe = await runFixture(lan, lan.nodes[1]!, ['filter-probe', 'eth0', VIP4]);
    expect(probe.find((e) => e.event === 'sent')).toMatchObject({ bytes: [60, 60, 60, 60, 60] });
    await waitForEvent(p, 'the valid probe', (e) => e.event === 'frame' && e.spa === '192.0.2.204');
    expect(events(p).filter((e) => e.event === 'frame' && ['192.0.2.201', '192.0.2.202', '192.0.2.203', '192.0.2.205'].includes(e.spa as string))).toEqual([]);

    // A ping flood to the node's own address crosses the same interface and never reaches JS.
    const before = events(p).filter((e) => e.event === 'frame').length;
    const flood = await lan.tryExec(lan.client.netns, ['ping', '-4', '-f', '-c', '2000', '-I', 'eth0', n1.ipv4]);
    const received = Number(/(\d+) received/.exec(flood.stdout)?.[1] ?? 0);
    expect(received, flood.stdout + flood.stderr).toBeGreaterThan(1900);
    // One more ARP request after the flood: once JS has it, anything queued before it was delivered too.
    await lan.arping(VIP4, { count: 1, extra: ['-b'] });
    await waitForEvent(p, 'the ARP request after the flood', (e) => e.event === 'frame' && (e.seen as number) > before && e.spa === clientV4);
    const after = events(p).filter((e) => e.event === 'frame');
    expect(after.every((f) => f.ethertype === 0x0806)).toBe(true);
    expect(after.length - before, JSON.stringify(after.slice(before))).toBeLessThan(10);
    expect(events(p).filter((e) => e.event === 'error')).toEqual([]);
  });

  it('a link going down reaches the error callback as ENETDOWN; the socket answers again once it is up', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;
    const p = startFixture(lan, n1, ['respond-arp', 'eth0', VIP4]);
    await waitForEvent(p, 'ready', (e) => e.event === 'ready');
    await lan.exec(n1.netns, ['ip', 'link', 'set', 'eth0', 'down']);
    const error = await waitForEvent(p, 'an error', (e) => e.event === 'error');
    expect(error).toMatchObject({ code: 'ENETDOWN', errno: -constants.errno.ENETDOWN, syscall: 'recvfrom', interface: 'eth0' });
    await lan.exec(n1.netns, ['ip', 'link', 'set', 'eth0', 'up']);
    const { replies, output } = await lan.arping(VIP4, { count: 2 });
    expect(replies, output).toEqual([n1.mac, n1.mac]);
    expect(events(p).filter((e) => e.event === 'error')).toHaveLength(1);
  });

  it('a gratuitous ARP sent with send() moves the client existing neighbour entry (arp_accept=0)', async () => {
    lan = await Lan.create({ nodes: 2 });
    const [n1, n2] = [lan.nodes[0]!, lan.nodes[1]!];
    const responder = startFixture(lan, n1, ['respond-arp', 'eth0', VIP4]);
    await waitForEvent(responder, 'ready', (e) => e.event === 'ready');
    await lan.ping(VIP4);
    expect((await lan.neighbour(VIP4))?.lladdr).toBe(n1.mac);
    await responder.stop(2_000);

    expect((await lan.exec(lan.client.netns, ['sysctl', '-n', 'net.ipv4.conf.eth0.arp_accept'])).trim()).toBe('0');
    const capture = await lan.capture(lan.client, 'arp');
    const sent = await runFixture(lan, n2, ['garp', 'eth0', VIP4]);
    expect(sent.find((e) => e.event === 'sent')).toMatchObject({ mac: n2.mac, bytes: [60, 60] });
    await lan.waitForNeighbour(VIP4, n2.mac);

    const packets = await capture.stop();
    const fromN2 = packets.filter((l) => l.includes(`${n2.mac} > ff:ff:ff:ff:ff:ff`));
    expect(fromN2.some((l) => l.includes(`Request who-has ${VIP4} tell ${VIP4}`)), packets.join('\n')).toBe(true);
    expect(fromN2.some((l) => l.includes(`Reply ${VIP4} is-at ${n2.mac}`)), packets.join('\n')).toBe(true);
  });

  it('receives the neighbour solicitation only after joining the solicited-node group, and its NA resolves ping -6', async () => {
    lan = await Lan.create({ nodes: 2 });
    const n1 = lan.nodes[0]!;
    const p = startFixture(lan, n1, ['respond-ndp', 'eth0', VIP6]);
    const ready = await waitForEvent(p, 'ready', (e) => e.event === 'ready');
    const index = await ifindex(lan, n1);
    expect(ready).toMatchObject({ mac: n1.mac, ifindex: index });

    const isSolicitation = (e: FixtureEvent) => e.event === 'message' && e.type === 135 && e.target === VIP6;
    // Not a member of ff02::1:ff00:200 yet: the kernel drops the client's multicast NS before any socket.
    // The client retries for about 3 s before it gives up; none of its solicitations may reach us.
    expect((await lan.ping6(VIP6)).code).not.toBe(0);
    await waitFor('the client to give up resolving the VIP', async () => (await lan!.neighbour(VIP6))?.state.includes('FAILED') ?? true, { timeoutMs: 8_000, intervalMs: 100 });
    expect(events(p).filter(isSolicitation)).toEqual([]);

    p.kill('SIGUSR2');
    expect(await waitForEvent(p, 'joined', (e) => e.event === 'joined')).toMatchObject({ group: SOLICITED_NODE });
    const capture = await lan.capture(lan.client, 'icmp6');
    await lan.ping6(VIP6, { count: 2 });
    const ns = await waitForEvent(p, 'the NS for the VIP', isSolicitation);
    expect(ns).toMatchObject({ code: 0, hopLimit: 255, ifindex: index, destination: SOLICITED_NODE });
    expect([clientV6, 'fe80::48:52ff:fe4c:64']).toContain(ns.source);
    expect(await waitForEvent(p, 'advertised', (e) => e.event === 'advertised')).toMatchObject({ to: ns.source, bytes: 32 });

    // The client accepted the NA (Linux drops NAs whose hop limit is not 255): it now has node 1's MAC.
    await lan.waitForNeighbour(VIP6, n1.mac);
    const packets = await capture.stop();
    expect(packets.some((l) => l.includes(`${n1.mac} > ${lan!.client.mac}`) && l.includes(`neighbor advertisement, tgt is ${VIP6}`)), packets.join('\n')).toBe(true);
    // Only types 135 and 136 pass the ICMP6_FILTER: the client's echo requests never reached JS.
    expect(events(p).filter((e) => e.event === 'message').every((e) => e.type === 135 || e.type === 136)).toBe(true);
    expect(packets.some((l) => l.includes('echo request'))).toBe(true);
  });

  it('the NDP packet socket passes only NS/NA at hop limit 255 right after the IPv6 header, and holds link-layer groups without joining any IPv6 group', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;
    const p = startFixture(lan, n1, ['receive-ndp', 'eth0', VIP6]);
    expect(await waitForEvent(p, 'ready', (e) => e.event === 'ready')).toMatchObject({ mac: n1.mac, ifindex: await ifindex(lan, n1) });
    const maddr = async () => lan!.exec(n1.netns, ['ip', 'maddr', 'show', 'dev', 'eth0']);
    const allmulti = async () => (JSON.parse(await lan!.exec(n1.netns, ['ip', '-d', '-j', 'link', 'show', 'eth0'])) as [{ allmulti: number }])[0].allmulti;
    const igmp6Group = 'ff0200000000000000000001ff000200';
    expect(await maddr()).not.toContain('33:33:ff:00:02:00');
    expect(await allmulti()).toBe(0);

    // The client sends frames the filter must drop, then a valid NS; only the NS may reach JS.
    const probe = await runFixture(lan, lan.client, ['ndp-filter-probe', 'eth0', VIP6]);
    expect(probe.find((e) => e.event === 'sent')?.bytes).toHaveLength(5);
    const valid = await waitForEvent(p, 'the valid NS', (e) => e.event === 'frame' && e.target === VIP6);
    expect(valid).toMatchObject({ etherType: 0x86dd, nextHeader: 58, hopLimit: 255, type: 135, destination: SOLICITED_NODE, packetType: 2 });
    // The kernel's own traffic (the client's MLD reports, behind a Hop-by-Hop header) is dropped as well.
    const frames = events(p).filter((e) => e.event === 'frame');
    expect(frames.filter((e) => String(e.target).startsWith('2001:db8:1::2:'))).toEqual([]);
    expect(frames.every((e) => e.nextHeader === 58 && e.hopLimit === 255 && (e.type === 135 || e.type === 136))).toBe(true);

    p.kill('SIGUSR2');
    expect(await waitForEvent(p, 'member', (e) => e.event === 'member')).toMatchObject({ group: '33:33:ff:00:02:00' });
    expect(await maddr()).toMatch(/link\s+33:33:ff:00:02:00/);
    // No IPv6 group joined: nothing charged to optmem_max, no MLD report.
    expect(await lan.exec(n1.netns, ['cat', '/proc/net/igmp6'])).not.toContain(igmp6Group);
    p.kill('SIGUSR2');
    await waitForEvent(p, 'allmulti', (e) => e.event === 'allmulti');
    expect(await allmulti()).toBe(1);

    // Closing the socket gives both back.
    p.kill('SIGTERM');
    await p.exited;
    expect(await maddr()).not.toContain('33:33:ff:00:02:00');
    expect(await allmulti()).toBe(0);
  });

  it('opening either socket on a missing interface throws ENODEV with errno and syscall; the process carries on', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;
    for (const kind of ['packet', 'icmp6']) {
      const r = result(await runFixture(lan, n1, ['open', kind, 'hrl-nope0']));
      expect(r, kind).toMatchObject({ ok: false, name: 'Error', code: 'ENODEV', errno: -constants.errno.ENODEV, syscall: 'ioctl', interface: 'hrl-nope0' });
      expect(r?.message).toMatch(/hrl-nope0.*No such device/);
    }
  });

  it('without CAP_NET_RAW opening throws EPERM from socket(); with it the same call succeeds', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;
    // Root with CAP_NET_RAW dropped from every set: a container whose securityContext drops NET_RAW. Staying
    // uid 0 keeps the fixture able to read the clone and Node wherever they are (a 0700 mktemp dir, /root).
    const withoutNetRaw = ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw', '--ambient-caps=-all'];
    for (const kind of ['packet', 'icmp6']) {
      const denied = result(await runFixture(lan, n1, ['open', kind, 'eth0'], withoutNetRaw));
      expect(denied, kind).toMatchObject({ ok: false, code: 'EPERM', errno: -constants.errno.EPERM, syscall: 'socket', interface: 'eth0', uid: 0 });
      expect(denied?.message).toMatch(/eth0.*Operation not permitted/);
      const allowed = result(await runFixture(lan, n1, ['open', kind, 'eth0']));
      expect(allowed, kind).toMatchObject({ ok: true, value: { ifindex: await ifindex(lan, n1), mac: n1.mac } });
    }
  });

  it('misuse throws JS errors with codes: closed sockets, bad arguments, group membership twice', async () => {
    lan = await Lan.create({ nodes: 1 });
    const a = attempts(await runFixture(lan, lan.nodes[0]!, ['misuse', 'eth0', VIP6]));
    expect(a.get('send short frame')).toMatchObject({ ok: false, name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
    expect(a.get('send a string')).toMatchObject({ ok: false, name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    expect(a.get('second close')).toMatchObject({ ok: true });
    expect(a.get('send after close')).toMatchObject({ ok: false, code: 'EBADF', errno: -constants.errno.EBADF, syscall: 'send' });
    expect(a.get('send after close')?.message).toBe('PacketSocket eth0: send failed: Bad file descriptor (EBADF): the socket is closed');
    expect(a.get('start after close')).toMatchObject({ ok: false, code: 'EBADF', syscall: 'uv_poll_start' });
    expect(a.get('stop after close')).toMatchObject({ ok: true });
    expect(a.get('join group')).toMatchObject({ ok: true });
    expect(a.get('join group again')).toMatchObject({ ok: false, code: 'EADDRINUSE', syscall: 'setsockopt' });
    expect(a.get('join group again')?.message).toContain(SOLICITED_NODE);
    expect(a.get('leave group')).toMatchObject({ ok: true });
    expect(a.get('leave group again')).toMatchObject({ ok: false, code: 'EADDRNOTAVAIL', syscall: 'setsockopt' });
    expect(a.get('send to a 4-byte address')).toMatchObject({ ok: false, name: 'RangeError' });
    expect(a.get('join after close')).toMatchObject({ ok: false, code: 'EBADF', syscall: 'setsockopt' });
  });

  it('sending on an interface that is down throws ENETDOWN / ENETUNREACH instead of crashing', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;
    await lan.exec(n1.netns, ['ip', 'link', 'set', 'eth0', 'down']);
    const a = attempts(await runFixture(lan, n1, ['send-down', 'eth0']));
    expect(a.get('packet send')).toMatchObject({ ok: false, code: 'ENETDOWN', errno: -constants.errno.ENETDOWN, syscall: 'send', interface: 'eth0' });
    // No route out of a down link: the kernel refuses before the device is involved.
    expect(a.get('icmp6 send')).toMatchObject({ ok: false, code: 'ENETUNREACH', errno: -constants.errno.ENETUNREACH, syscall: 'sendto', interface: 'eth0' });
    expect(a.get('icmp6 send')?.message).toBe('Icmp6Socket eth0: sendto(ff02::1) failed: Network is unreachable (ENETUNREACH)');
  });

  it('close() inside the receive callback stops delivery at once, twice is harmless, and the process exits by itself', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;

    const packet = startFixture(lan, n1, ['close-in-callback', 'packet', 'eth0']);
    await waitForEvent(packet, 'ready', (e) => e.event === 'ready');
    // Three ARP requests wait in the socket before start(): one wake-up could deliver all of them.
    await lan.arping(VIP4, { count: 3 });
    packet.kill('SIGUSR2');
    expect(await exitWithin(packet, 5_000)).toBe(0);
    const pe = events(packet);
    expect(pe.filter((e) => e.event === 'callback')).toEqual([
      { event: 'callback', callbacks: 1, sendAfterClose: expect.objectContaining({ ok: false, code: 'EBADF', syscall: 'send' }) },
    ]);
    expect(pe.find((e) => e.event === 'done')).toMatchObject({ callbacks: 1 });

    const icmp = startFixture(lan, n1, ['close-in-callback', 'icmp6', 'eth0', VIP6]);
    await waitForEvent(icmp, 'ready', (e) => e.event === 'ready');
    await lan.ping6(VIP6, { count: 2 });
    icmp.kill('SIGUSR2');
    expect(await exitWithin(icmp, 5_000)).toBe(0);
    const ie = events(icmp);
    expect(ie.filter((e) => e.event === 'callback')).toEqual([
      { event: 'callback', callbacks: 1, sendAfterClose: expect.objectContaining({ ok: false, code: 'EBADF', syscall: 'sendto' }) },
    ]);
    expect(ie.find((e) => e.event === 'done')).toMatchObject({ callbacks: 1 });
  });

  it('an exception thrown by the receive callback is an uncaught exception, and delivery goes on', async () => {
    lan = await Lan.create({ nodes: 1 });
    const p = startFixture(lan, lan.nodes[0]!, ['throw-in-callback', 'eth0']);
    await waitForEvent(p, 'ready', (e) => e.event === 'ready');
    await lan.arping(VIP4, { count: 2 });
    p.kill('SIGUSR2');
    expect(await exitWithin(p, 5_000)).toBe(0);
    expect(events(p).filter((e) => e.event !== 'ready')).toEqual([
      { event: 'callback', callbacks: 1 },
      { event: 'uncaught', message: 'thrown by the receive callback' },
      { event: 'callback', callbacks: 2 },
    ]);
  });

  it('unclosed sockets are collected with their file descriptors; a started one lives on until stopped', async () => {
    lan = await Lan.create({ nodes: 1 });
    const p = startFixture(lan, lan.nodes[0]!, ['lifetime', 'eth0']);
    const ready = await waitForEvent(p, 'ready', (e) => e.event === 'ready', 15_000);
    expect((ready.opened as number) - (ready.before as number)).toBe(200);
    expect(ready.collected).toBe(ready.before);
    await lan.arping(VIP4, { count: 1, extra: ['-b'] });
    await waitForEvent(p, 'a frame after GC', (e) => e.event === 'frame-after-gc');
    expect(await exitWithin(p, 5_000)).toBe(0);
  });
});
