import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import type { LanNode } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { expectedOwner } from './expectedOwner.js';
import { MainThreadBlock } from './mainThreadBlock.js';
import { speakerLogSince } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';

/**
 * Membership in a worker thread with a main-loop watch (docs/adr/0012, "Membership in a worker thread"):
 * the speaker's main thread is blocked synchronously through the test hook (HERALD_TEST_STALL_FILE +
 * SIGUSR2, Atomics.wait on the main thread) — what a long GC pause or a handover stall does. Heartbeats
 * default to 100 ms and dead-after 5: a peer silent for ~550 ms is dead.
 *  - 1 s: the worker keeps heartbeating; no peer declares the node dead. The same stall with membership on
 *    the main thread (--membership-thread main, the code before the worker) IS read as a death.
 *  - 1.2 s with the node owning an IPv4 and an IPv6 address: ARP requests and neighbour solicitations are
 *    still answered within the stall (they are read and answered in the membership worker).
 *  - 5 s (longer than the 1.5 s main-loop bound): the worker stops heartbeating; peers declare the node
 *    dead, and alive again once its main thread turns.
 */
describe('a blocked speaker main thread: heartbeats ride out a short stall, stop for a wedge', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 3);
  const blocks = new MainThreadBlock(world);
  let stalled: LanNode;
  let names: string[] = [];
  let peers: LanNode[] = [];

  beforeAll(async () => {
    world.speakerEnv = blocks.env;
    await world.start();
    names = world.lan.nodes.map((n) => world.nodeName(n));
    stalled = world.lan.nodes[2]!;
    peers = world.lan.nodes.slice(0, 2);
    await world.pool('lan', ['192.0.2.200-192.0.2.220', '2001:db8:1::200-2001:db8:1::220']);
    for (const n of world.lan.nodes) await world.readyPod('web', n);
  }, 180_000);

  afterAll(async () => {
    await world.stop();
    blocks.remove();
  }, 60_000);

  const log = (n: LanNode, since: number) => speakerLogSince(world, n, since);
  const deadIn = (n: LanNode, since: number) => log(n, since).filter((l) => l.event === 'peerDead' && l.peer === world.nodeName(stalled));
  const aliveIn = (n: LanNode, since: number) => log(n, since).filter((l) => l.event === 'peerAlive' && l.peer === world.nodeName(stalled));
  const ended = (since: number) => log(stalled, since).find((l) => l.event === 'testStallEnded') as { time: number; blockedMs: number } | undefined;

  /** Blocks `stalled`'s main thread for `ms`; resolves once it is blocked, with when it was asked (wall ms). */
  const stall = (ms: number) => blocks.block(stalled, ms);

  /** Metrics read from a peer at or after `afterMs` (the peer ran on past that moment). */
  async function peerMetricsAfter(n: LanNode, afterMs: number): Promise<string> {
    let text = '';
    await waitFor(`${n.name}'s metrics after ${new Date(afterMs).toISOString()}`, async () => Date.now() >= afterMs && (text = await world.speakerMetrics(n)) !== '', { timeoutMs: 10_000, intervalMs: 100 });
    return text;
  }

  it('blocked for 1 s: no peer declares it dead (its worker heartbeats on)', async () => {
    const at = await stall(1_000);
    await waitFor('the stalled speaker to log testStallEnded', () => ended(at) !== undefined, { timeoutMs: 10_000, intervalMs: 50 });
    // Positive markers: the main thread really was blocked for the full second, and each peer ran on for
    // 1.5 s after it (three times dead-after) and still counts its heartbeats.
    expect(ended(at)!.blockedMs).toBeGreaterThanOrEqual(1_000);
    for (const p of peers) {
      const m = await peerMetricsAfter(p, ended(at)!.time + 1_500);
      expect(Number(/^herald_membership_peers_alive (\d+)/m.exec(m)?.[1]), `${p.name} sees both peers alive`).toBe(2);
      expect(deadIn(p, at), `${p.name} declared ${world.nodeName(stalled)} dead`).toEqual([]);
    }
    // Below the bound: the watch never stopped the heartbeats.
    expect(log(stalled, at).filter((l) => l.event === 'mainLoopStalled')).toEqual([]);
  });

  it('blocked for 1.2 s: the owner still answers ARP and NDP within the stall (answering runs in the worker)', async () => {
    // Services until the stalled node owns an IPv4 and an IPv6 address (the election hash decides).
    const owned: { 4?: string; 6?: string } = {};
    for (let i = 0; i < 12 && !(owned[4] && owned[6]); i++) {
      await world.service(`stall-${i}`, { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack', app: 'web' });
      for (const ip of await world.waitForAddress(`stall-${i}`, 2)) {
        const family = ip.includes(':') ? 6 : 4;
        if (!owned[family] && expectedOwner(names, ip) === world.nodeName(stalled)) owned[family] = ip;
      }
    }
    const v4 = owned[4]!;
    const v6 = owned[6]!;
    expect([v4, v6].every(Boolean), 'the stalled node owns an address of each family').toBe(true);
    for (const ip of [v4, v6]) expect(await world.announcer(ip, { timeoutMs: 60_000 })).toBe(world.nodeName(stalled));
    await waitFor('the stalled node to answer ARP before the stall', async () => (await world.lan.arping(v4)).replies[0] === stalled.mac, { timeoutMs: 10_000 });
    const client = world.lan.client;
    await world.lan.exec(client.netns, ['ip', 'neigh', 'flush', 'dev', client.lanInterface]);
    expect(await world.lan.neighbour(v4)).toBeUndefined();

    const at = await stall(1_200);
    // The client's kernel resolves both (ping's ARP request, ping -6's neighbour solicitation); nobody
    // answers the echoes themselves, only the neighbour table matters.
    const pings = [world.lan.ping(v4), world.lan.ping6(v6)];
    let resolvedAt = 0;
    await waitFor('the client neighbour table to hold the owner MAC for both addresses', async () => {
      const table = await world.lan.neighbours();
      const mac = (ip: string) => table.find((n) => n.dst === ip)?.lladdr;
      resolvedAt = Date.now();
      return mac(v4) === stalled.mac && mac(v6) === stalled.mac;
    }, { timeoutMs: 10_000, intervalMs: 20 });
    await Promise.all(pings);
    await waitFor('the stalled speaker to log testStallEnded', () => ended(at) !== undefined, { timeoutMs: 10_000, intervalMs: 50 });
    // Positive marker: the main thread really was blocked for the whole 1.2 s, and the answers came inside it.
    expect(ended(at)!.blockedMs).toBeGreaterThanOrEqual(1_200);
    expect(resolvedAt, `resolved ${resolvedAt - at} ms after the stall began; it ended after ${ended(at)!.time - at} ms`).toBeLessThan(ended(at)!.time);
    expect(log(stalled, at).filter((l) => l.event === 'mainLoopStalled')).toEqual([]);
    console.log(JSON.stringify({ stall: '1.2 s', answeredAfterStallBeganMs: resolvedAt - at, stallEndedAfterMs: ended(at)!.time - at }));
  });

  it('wedged for 5 s (beyond the 1.5 s bound): peers declare it dead, and alive again once it turns', async () => {
    const at = await stall(5_000);
    for (const p of peers) await waitFor(`${p.name} to log peerDead for ${world.nodeName(stalled)}`, () => deadIn(p, at).length > 0, { timeoutMs: 8_000, intervalMs: 50 });
    const stalledLog = log(stalled, at).find((l) => l.event === 'mainLoopStalled') as { time: number; stillForMs: number } | undefined;
    expect(stalledLog, 'the worker logged mainLoopStalled').toBeDefined();
    expect(stalledLog!.stillForMs).toBeGreaterThanOrEqual(1_500);
    // Declared dead while the main thread was still blocked: the watch, not the end of the stall, did it.
    await waitFor('the stalled speaker to log testStallEnded', () => ended(at) !== undefined, { timeoutMs: 10_000, intervalMs: 50 });
    for (const p of peers) expect(deadIn(p, at)[0]!.time, `${p.name}'s peerDead came before the stall ended`).toBeLessThan(ended(at)!.time);
    const endedAt = ended(at)!.time;
    for (const p of peers) await waitFor(`${p.name} to log peerAlive for ${world.nodeName(stalled)}`, () => aliveIn(p, endedAt).length > 0, { timeoutMs: 10_000, intervalMs: 50 });
    expect(log(stalled, at).some((l) => l.event === 'mainLoopTurning')).toBe(true);
    await world.waitForMembership();
    console.log(JSON.stringify({ wedge: '5 s', deadAfterStallMs: peers.map((p) => deadIn(p, at)[0]!.time - at), aliveAfterUnblockMs: peers.map((p) => aliveIn(p, endedAt)[0]!.time - endedAt) }));
  });

  it('contrast: with membership on the main thread (--membership-thread main), the same 1 s stall IS read as a death', async () => {
    await world.speakers.get(stalled.name)!.proc.stop(5_000);
    await world.startSpeaker(stalled, ['--membership-thread', 'main']);
    await world.waitForMembership(30_000);
    const at = await stall(1_000);
    for (const p of peers) await waitFor(`${p.name} to log peerDead for ${world.nodeName(stalled)}`, () => deadIn(p, at).length > 0, { timeoutMs: 8_000, intervalMs: 50 });
    expect(names).toContain(world.nodeName(stalled));
  });
});
