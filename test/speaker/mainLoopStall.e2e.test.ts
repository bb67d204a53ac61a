import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { harnessTempDir, removeHarnessTempDir } from '../harnessTempDir.js';
import type { LanNode } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { speakerLogSince } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';

/**
 * Membership in a worker thread with a main-loop watch (docs/adr/0012, "Membership in a worker thread"):
 * the speaker's main thread is blocked synchronously through the test hook (HERALD_TEST_STALL_FILE +
 * SIGUSR2, Atomics.wait on the main thread) — what a long GC pause or a handover stall does. Heartbeats
 * default to 100 ms and dead-after 5: a peer silent for ~550 ms is dead.
 *  - 1 s: the worker keeps heartbeating; no peer declares the node dead. The same stall with membership on
 *    the main thread (--membership-thread main, the code before the worker) IS read as a death.
 *  - 5 s (longer than the 1.5 s main-loop bound): the worker stops heartbeating; peers declare the node
 *    dead, and alive again once its main thread turns.
 */
describe('a blocked speaker main thread: heartbeats ride out a short stall, stop for a wedge', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 3);
  const stallDir = harnessTempDir('stall');
  const stallFile = join(stallDir, 'ms');
  let stalled: LanNode;
  let names: string[] = [];
  let peers: LanNode[] = [];

  beforeAll(async () => {
    world.speakerEnv = { HERALD_TEST_STALL_FILE: stallFile };
    await world.start();
    names = world.lan.nodes.map((n) => world.nodeName(n));
    stalled = world.lan.nodes[2]!;
    peers = world.lan.nodes.slice(0, 2);
  }, 120_000);

  afterAll(async () => {
    await world.stop();
    removeHarnessTempDir(stallDir);
  }, 60_000);

  const log = (n: LanNode, since: number) => speakerLogSince(world, n, since);
  const deadIn = (n: LanNode, since: number) => log(n, since).filter((l) => l.event === 'peerDead' && l.peer === world.nodeName(stalled));
  const aliveIn = (n: LanNode, since: number) => log(n, since).filter((l) => l.event === 'peerAlive' && l.peer === world.nodeName(stalled));
  const ended = (since: number) => log(stalled, since).find((l) => l.event === 'testStallEnded') as { time: number; blockedMs: number } | undefined;

  /** Blocks `stalled`'s main thread for `ms`; resolves with when the block began (wall ms). */
  function stall(ms: number): number {
    writeFileSync(stallFile, String(ms));
    const at = Date.now();
    process.kill(world.speakers.get(stalled.name)!.proc.pid, 'SIGUSR2');
    return at;
  }

  /** Metrics read from a peer at or after `afterMs` (the peer ran on past that moment). */
  async function peerMetricsAfter(n: LanNode, afterMs: number): Promise<string> {
    let text = '';
    await waitFor(`${n.name}'s metrics after ${new Date(afterMs).toISOString()}`, async () => Date.now() >= afterMs && (text = await world.speakerMetrics(n)) !== '', { timeoutMs: 10_000, intervalMs: 100 });
    return text;
  }

  it('blocked for 1 s: no peer declares it dead (its worker heartbeats on)', async () => {
    const at = stall(1_000);
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

  it('wedged for 5 s (beyond the 1.5 s bound): peers declare it dead, and alive again once it turns', async () => {
    const at = stall(5_000);
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
    const at = stall(1_000);
    for (const p of peers) await waitFor(`${p.name} to log peerDead for ${world.nodeName(stalled)}`, () => deadIn(p, at).length > 0, { timeoutMs: 8_000, intervalMs: 50 });
    expect(names).toContain(world.nodeName(stalled));
  });
});
