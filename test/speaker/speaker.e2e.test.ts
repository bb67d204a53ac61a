import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import type { LanNode } from '../lan/lan.js';
import { speakerLogSince } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';
import { expectedOwner } from './expectedOwner.js';

const PROBE = new URL('./fixtures/arpProbe.mjs', import.meta.url).pathname;


describe('herald-speaker end to end: three nodes, a client, the real controller and API server', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster());
  let names: string[] = [];
  const macOf = (node: string) => world.nodeByName(node).mac;

  beforeAll(async () => {
    await world.start();
    names = world.lan.nodes.map((n) => world.nodeName(n));
    await world.pool('lan', ['192.0.2.200-192.0.2.220', '2001:db8:1::200-2001:db8:1::220']);
    for (const n of world.lan.nodes) await world.readyPod('web', n);
  }, 180_000);

  afterAll(async () => {
    await world.stop();
  }, 60_000);

  it('the owner answers ARP and NDP: the client neighbour table holds its MAC, and a capture shows only it answering', async () => {
    await world.service('web', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' });
    const [v4, v6] = await world.waitForAddress('web', 2) as [string, string];
    const owner4 = await world.announcer(v4);
    expect(owner4).toBe(expectedOwner(names, v4));
    const capture = await world.lan.capture(world.lan.client, 'arp');
    const { replies, output } = await world.lan.arping(v4, { count: 3 });
    expect(replies.length, output).toBeGreaterThanOrEqual(2);
    expect(new Set(replies)).toEqual(new Set([macOf(owner4)]));
    const packets = await capture.stop();
    const answers = packets.filter((l) => l.includes(`Reply ${v4} is-at`));
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((l) => l.includes(`${v4} is-at ${macOf(owner4)}`))).toBe(true);
    // Nobody holds the address at layer 3, so the ping itself gets no echo; its ARP resolution is the point.
    await world.lan.ping(v4);
    expect((await world.lan.neighbour(v4))?.lladdr).toBe(macOf(owner4));

    const owner6 = await world.announcer(v6);
    expect(owner6).toBe(expectedOwner(names, v6));
    const cap6 = await world.lan.capture(world.lan.client, 'icmp6');
    await world.lan.ping6(v6);
    expect((await world.lan.neighbour(v6))?.lladdr).toBe(macOf(owner6));
    const nas = (await cap6.stop()).filter((l) => l.includes(`neighbor advertisement, tgt is ${v6}`));
    expect(nas.length).toBeGreaterThan(0);
    expect(nas.every((l) => l.startsWith(`${l.split(' ')[0]} ${macOf(owner6)} >`))).toBe(true);
    // The LBAddress says who, where and with which MAC.
    const lba = await world.objects.lbAddress(v4);
    expect(lba?.status).toMatchObject({ node: owner4, interface: 'eth0', mac: macOf(owner4) });
  });

  it("hands the C allocator's free pages back to the kernel once its caches synced (the image's glibc)", async () => {
    // The speaker binary as the image runs it calls releaseFreePages (malloc_trim) 15 s after its caches
    // synced; what a call returns is shown by test/speaker/freePages.test.ts, the figures by
    // bench/speaker/memoryLevers.ts.
    for (const n of world.lan.nodes) {
      await waitFor(`${n.name}'s speaker to release free pages`, () => speakerLogSince(world, n, 0).some((l) => l.event === 'freePagesReleased' && l.released === true), { timeoutMs: 60_000, intervalMs: 500 });
    }
  }, 90_000);

  it('spreads five Services over the nodes exactly as the hash says', async () => {
    const owners = new Map<string, string>();
    for (let i = 1; i <= 5; i++) {
      await world.readyPod(`spread${i}`, world.lan.nodes[i % 3]!);
      await world.service(`spread${i}`);
    }
    for (let i = 1; i <= 5; i++) {
      const [ip] = await world.waitForAddress(`spread${i}`);
      owners.set(ip!, await world.announcer(ip!));
    }
    for (const [ip, node] of owners) expect(node, ip).toBe(expectedOwner(names, ip));
    for (const [ip, node] of owners) {
      const { replies } = await world.lan.arping(ip, { count: 1 });
      expect(replies).toEqual([macOf(node)]);
    }
  });

  it('externalTrafficPolicy Local is answered only from the node with the ready endpoint, and moves with it', async () => {
    const first = world.lan.nodes[0]!;
    const pod = await world.readyPod('local', first);
    await world.service('local', { local: true });
    const [ip] = await world.waitForAddress('local');
    expect(await world.announcer(ip!)).toBe(world.nodeName(first));
    expect((await world.lan.arping(ip!, { count: 1 })).replies).toEqual([first.mac]);
    const second = world.lan.nodes[1]!;
    await world.readyPod('local', second);
    await world.core.deleteNamespacedPod({ namespace: world.appNs, name: pod, gracePeriodSeconds: 0 });
    expect(await world.announcer(ip!, { not: world.nodeName(first) })).toBe(world.nodeName(second));
    await waitFor('the client to reach the new node', async () => (await world.lan.arping(ip!, { count: 1 })).replies[0] === second.mac, { timeoutMs: 5_000 });
  });

  /** Services and owners for the failover tests: each test takes an address owned by a live speaker. */
  async function ownedAddress(app: string): Promise<{ ip: string; owner: string; node: LanNode }> {
    await world.service(app);
    const [ip] = await world.waitForAddress(app);
    const owner = expectedOwner(names, ip!);
    await waitFor(`${owner} to announce ${ip}`, async () => (await world.objects.lbAddress(ip!))?.status?.node === owner, { timeoutMs: 10_000, intervalMs: 50 });
    const { replies } = await world.lan.arping(ip!, { count: 1 });
    expect(replies).toEqual([macOf(owner)]);
    // An active client: its kernel holds an entry for the address (a gratuitous ARP updates, never creates).
    await world.lan.ping(ip!);
    expect((await world.lan.neighbour(ip!))?.lladdr).toBe(macOf(owner));
    return { ip: ip!, owner, node: world.nodeByName(owner) };
  }

  it('kill -9 of the owner speaker: the client neighbour entry switches to the new owner MAC', async () => {
    await world.readyPod('crash', world.lan.nodes[0]!);
    const { ip, owner, node } = await ownedAddress('crash');
    world.speakers.get(node.name)!.proc.kill('SIGKILL');
    const killedAt = Date.now();
    try {
      const successor = expectedOwner(names.filter((n) => n !== owner), ip);
      await world.lan.waitForNeighbour(ip, macOf(successor), { timeoutMs: 5_000 });
      console.log(JSON.stringify({ failover: 'kill -9', clientSawNewMacAfterMs: Date.now() - killedAt }));
      expect(await world.announcer(ip, { not: owner })).toBe(successor);
    } finally {
      await world.startSpeaker(node);
      await world.waitForMembership();
    }
  });

  it('carrier loss on the owner LAN link: another node takes over', async () => {
    await world.readyPod('carrier', world.lan.nodes[1]!);
    const { ip, owner, node } = await ownedAddress('carrier');
    await world.lan.cutLan(node);
    try {
      const successor = expectedOwner(names.filter((n) => n !== owner), ip);
      await world.lan.waitForNeighbour(ip, macOf(successor), { timeoutMs: 5_000 });
    } finally {
      await world.lan.restoreLan(node);
      await world.waitForMembership();
    }
  });

  it('SIGTERM of the owner: make-before-break, an ARP request every 20 ms loses no reply', async () => {
    await world.readyPod('graceful', world.lan.nodes[2]!);
    const { ip, owner, node } = await ownedAddress('graceful');
    const probe = world.lan.spawn(world.lan.client, [process.execPath, PROBE, 'eth0', world.lan.client.ipv4, ip, '20', '3000'], { logName: 'probe' });
    // Only stop the owner once the probe is really sending (process start-up is slow on a busy machine).
    await waitFor('the probe to start', () => readFileSync(probe.logFile, 'utf8').includes('ready\n'), { timeoutMs: 15_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 500));
    const peers = world.lan.nodes.filter((n) => n !== node);
    const termAt = Date.now();
    try {
      await world.speakers.get(node.name)!.proc.stop(10_000);
      const exitedAt = Date.now();
      // An orderly exit is no death: each peer logs peerLeft for it (the Leave notice, sent at the end of
      // the drain), then peerRemoved (its Lease deleted). Before the Leave notice they logged peerDead
      // ~0.5 s after the exit. Looked at from 1 s after the exit, past when that death was declared.
      for (const p of peers) {
        await waitFor(`${p.name} to log peerLeft and peerRemoved for ${owner}`, () => {
          const events = speakerLogSince(world, p, termAt).filter((l) => l.peer === owner).map((l) => l.event);
          return events.includes('peerLeft') && events.includes('peerRemoved');
        }, { timeoutMs: 5_000, intervalMs: 50 });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, exitedAt + 1_000 - Date.now())));
      for (const p of peers) {
        const about = speakerLogSince(world, p, termAt).filter((l) => l.peer === owner && typeof l.event === 'string' && /^(peer|membershipDeath)/.test(l.event)).map((l) => l.event);
        expect({ peer: p.name, events: about.filter((e) => e === 'peerDead' || e === 'membershipDeathDeclared') }).toEqual({ peer: p.name, events: [] });
        expect(about.filter((e) => e === 'peerLeft'), p.name).toHaveLength(1);
      }
      expect(await probe.exited).toBe(0);
      const result = JSON.parse(readFileSync(probe.logFile, 'utf8').trim().split('\n').pop()!) as { sent: number; answered: number; lost: number[]; perMac: Record<string, number>; changes: { atMs: number; mac: string }[] };
      console.log(JSON.stringify({ makeBeforeBreak: result }));
      expect(result.sent).toBeGreaterThan(100);
      expect(result.lost).toEqual([]);
      const successor = expectedOwner(names.filter((n) => n !== owner), ip);
      expect(Object.keys(result.perMac).sort()).toEqual([macOf(owner), macOf(successor)].sort());
      expect(result.changes.at(-1)?.mac).toBe(macOf(successor));
    } finally {
      await world.startSpeaker(node);
      await world.waitForMembership();
    }
  });

  it('the owner losing its management link (API unreachable) keeps answering and nobody takes over', async () => {
    await world.readyPod('mgmt', world.lan.nodes[0]!);
    const { ip, owner, node } = await ownedAddress('mgmt');
    const cutAt = Date.now();
    await world.lan.cutManagement(node);
    try {
      // Positive marker first: the owner itself has found the API unreachable (a Lease renewal failed).
      await waitFor('the owner to fail a Lease renewal', () => speakerLogSince(world, node, cutAt).some((l) => l.event === 'leaseRenewalFailed'), { timeoutMs: 40_000, intervalMs: 200 });
      for (let i = 0; i < 3; i++) expect((await world.lan.arping(ip, { count: 1 })).replies).toEqual([macOf(owner)]);
      expect((await world.objects.lbAddress(ip))?.status?.node).toBe(owner);
    } finally {
      await world.lan.restoreManagement(node);
    }
  });

  it('a foreign MAC announcing an owned address is reported as an IP conflict naming that MAC', async () => {
    await world.readyPod('conflict', world.lan.nodes[1]!);
    const { ip, node } = await ownedAddress('conflict');
    const client = world.lan.client;
    // The client claims the address with a gratuitous ARP of its own (test tooling: allow the bind).
    await world.lan.exec(client.netns, ['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
    await world.lan.exec(client.netns, ['arping', '-U', '-c', '2', '-I', 'eth0', ip]);
    await waitFor('a foreign conflict in the owner metrics', async () => /herald_speaker_conflicts_total\{family="IPv4",source="foreign"\} [1-9]/.test(await world.speakerMetrics(node)), { timeoutMs: 5_000 });
    await waitFor('an AddressConflict event naming the client MAC', async () => {
      const events = await world.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${ip}` });
      return events.items.some((e) => e.reason === 'AddressConflict' && e.type === 'Warning' && (e.message ?? '').includes(client.mac) && (e.message ?? '').includes('not a herald node'));
    }, { timeoutMs: 5_000 });
  });
});
