import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { speakerLogSince } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';
import { expectedOwner } from './expectedOwner.js';


const SERVICES = 16;

/**
 * A rolling upgrade caught half-way (docs/adr/0012-scalable-membership.md, Rollout): n1 runs exactly like
 * a version-1 speaker (`--membership-protocol=v1`: all-to-all heartbeats, version-2 datagrams refused),
 * n2–n4 speak version 2 among themselves and version 1 to n1. Nobody is ever declared dead while all run,
 * and a crash of the version-1 speaker and then of a version-2 speaker each fail over to the hash's next
 * candidate.
 */
describe('mixed membership versions (rolling upgrade): one forced version-1 speaker among version-2 ones', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 4);
  let names: string[] = [];
  const metric = async (node: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await world.speakerMetrics(world.nodeByName(node)))?.[1] ?? NaN);

  beforeAll(async () => {
    await world.start({ speakers: false });
    names = world.lan.nodes.map((n) => world.nodeName(n));
    const [v1, ...v2] = world.lan.nodes;
    await world.startSpeaker(v1!, ['--membership-protocol', 'v1']);
    for (const n of v2) await world.startSpeaker(n);
    await world.waitForMembership();
    await world.pool('lan', ['192.0.2.200-192.0.2.230']);
    for (const n of world.lan.nodes.slice(0, 2)) await world.readyPod('shared', n);
  }, 120_000);

  afterAll(async () => {
    await world.stop();
  }, 60_000);

  it('0 false deaths while all run; a crash of the version-1 speaker and then of a version-2 speaker each fail over', async () => {
    const startedAt = Date.now();
    for (let i = 1; i <= SERVICES; i++) await world.service(`m${i}`, { app: 'shared' });
    const ips: string[] = [];
    for (let i = 1; i <= SERVICES; i++) ips.push((await world.waitForAddress(`m${i}`))[0]!);
    for (const ip of ips) await waitFor(`${expectedOwner(names, ip)} to announce ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === expectedOwner(names, ip), { timeoutMs: 15_000, intervalMs: 100 });
    // Positive marker first: the version-2 speakers judge the version-1 one by version-1 heartbeats…
    const [v1Name, ...v2Names] = names as [string, ...string[]];
    for (const n of v2Names) expect(await metric(n, 'herald_membership_peers_v1'), n).toBe(1);
    // …the version-1 speaker heard version-2 datagrams (refused, as an older speaker does) and version-1 heartbeats.
    expect(await metric(v1Name, 'herald_membership_heartbeats_received_total')).toBeGreaterThan(0);
    // Then a few seconds more of everyone running: no one was ever declared dead.
    await new Promise((r) => setTimeout(r, 4_000));
    for (const n of world.lan.nodes) expect(speakerLogSince(world, n, startedAt - 60_000).filter((l) => l.event === 'peerDead'), n.name).toEqual([]);

    let alive = [...names];
    // The version-2 victim: the one that will own the most once n1 is gone (16 addresses over 3: at least 6).
    const after = names.filter((n) => n !== v1Name);
    const v2Victim = [...v2Names].sort((a, b) => ips.filter((ip) => expectedOwner(after, ip) === b).length - ips.filter((ip) => expectedOwner(after, ip) === a).length)[0]!;
    for (const victim of [v1Name, v2Victim]) {
      const owned = ips.filter((ip) => expectedOwner(alive, ip) === victim);
      // (The version-1 node owns none of 16 addresses with probability (3/4)^16 ≈ 1 %: then only detection is shown.)
      if (victim === v2Victim) expect(owned.length).toBeGreaterThanOrEqual(6);
      const survivors = alive.filter((n) => n !== victim);
      const killedAt = Date.now();
      world.speakers.get(world.nodeByName(victim).name)!.proc.kill('SIGKILL');
      await waitFor(`every survivor to log peerDead for ${victim}`, () => world.lan.nodes.filter((n) => survivors.includes(world.nodeName(n)))
        .every((n) => speakerLogSince(world, n, killedAt).some((l) => l.event === 'peerDead' && l.peer === victim)), { timeoutMs: 10_000, intervalMs: 50 });
      const detect = world.lan.nodes.filter((n) => survivors.includes(world.nodeName(n)))
        .map((n) => speakerLogSince(world, n, killedAt).find((l) => l.event === 'peerDead' && l.peer === victim)!.time - killedAt);
      for (const ip of owned) await waitFor(`${expectedOwner(survivors, ip)} to report ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === expectedOwner(survivors, ip), { timeoutMs: 10_000, intervalMs: 50 });
      console.log(JSON.stringify({ mixedMembership: { victim, protocol: victim === v1Name ? 'v1' : 'v2', moved: owned.length, killToPeerDeadMs: detect, allReportedAfterMs: Date.now() - killedAt } }));
      // No survivor was declared dead by anyone.
      for (const n of world.lan.nodes.filter((x) => survivors.includes(world.nodeName(x)))) {
        expect(speakerLogSince(world, n, killedAt).filter((l) => l.event === 'peerDead' && l.peer !== victim), n.name).toEqual([]);
      }
      alive = survivors;
    }
  }, 120_000);

  it('the upgrade completes: the version-1 speaker restarted as version 2 is judged version 2 by everyone, and stays so past the 10 s window of version-1 heartbeats', async () => {
    // After the first test n1 (version 1) and one version-2 speaker are dead. n1 comes back as version 2,
    // as in the last step of a rolling upgrade. Its peers kept sending it version-1 heartbeats until they
    // saw its new Lease; were those to decide its view of them, each would keep answering the other in
    // version 1 for good (a latch: all-to-all cost forever after an upgrade).
    const [v1Node] = world.lan.nodes;
    const live = world.lan.nodes.filter((n) => world.speakers.get(n.name)?.proc.child.exitCode === null && world.speakers.get(n.name)?.proc.child.signalCode === null && n !== v1Node);
    await world.startSpeaker(v1Node!);
    const running = [v1Node!, ...live];
    const gauges = async () => Promise.all(running.map(async (n) => metric(world.nodeName(n), 'herald_membership_peers_v1')));
    await waitFor('no speaker to hold a version-1 peer', async () => (await gauges()).every((v) => v === 0), { timeoutMs: 20_000, intervalMs: 200 });
    // Positive marker that the restarted speaker takes part: it holds its running peers alive.
    await waitFor('n1 to hold its running peers alive', async () => metric(world.nodeName(v1Node!), 'herald_membership_peers_alive').then((v) => v >= live.length), { timeoutMs: 10_000 });
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      expect(await gauges()).toEqual(running.map(() => 0));
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 60_000);
});
