import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { speakerLogSince, startNeighbourProbe } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';
import { expectedOwner } from './expectedOwner.js';


const SERVICES = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Heartbeats blocked from the start (a host firewall never opened for UDP 7947; docs/adr/0012, failure
 * modes): n3's udp/7947 is dropped both ways by nftables before its speaker starts, so no datagram of
 * n3's ever reaches a peer and none reaches n3. Every speaker must still agree on who answers each
 * address — n3 and its peers judge each other by their Leases and say HeartbeatsBroken, as version 1
 * did — and a crash of a heard node still fails over on the fast path.
 */
describe('heartbeats blocked from the start on one node (version-2 membership)', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 3);
  const nftTable = `hrl_hb_${world.tag}`;
  let names: string[] = [];
  let blocked = '';
  let heard: string[] = [];
  const metric = async (node: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await world.speakerMetrics(world.nodeByName(node)))?.[1] ?? NaN);

  beforeAll(async () => {
    await world.start({ speakers: false });
    names = world.lan.nodes.map((n) => world.nodeName(n));
    const b = world.lan.nodes[2]!;
    blocked = world.nodeName(b);
    heard = names.filter((n) => n !== blocked);
    await world.lan.exec(b.netns, ['nft', [
      `add table inet ${nftTable}`,
      `add chain inet ${nftTable} in { type filter hook input priority 0; }`,
      `add rule inet ${nftTable} in udp dport 7947 drop`,
      `add chain inet ${nftTable} out { type filter hook output priority 0; }`,
      `add rule inet ${nftTable} out udp dport 7947 drop`,
    ].join('; ')]);
    for (const n of world.lan.nodes) await world.startSpeaker(n);
    await world.pool('lan', ['192.0.2.200-192.0.2.230']);
    for (const n of world.lan.nodes.slice(0, 2)) await world.readyPod('shared', n);
  }, 120_000);

  afterAll(async () => {
    await world.stop();
  }, 60_000);

  it('every address is answered by exactly one node, all report HeartbeatsBroken; a crash of a heard node still fails over fast', async () => {
    const startedAt = Date.now() - 120_000;
    // Positive markers first: each side logs HeartbeatsBroken for the other (judging it by its Lease).
    const brokenLogged = (node: string, peer: string) => speakerLogSince(world, world.nodeByName(node), startedAt).some((l) => l.event === 'heartbeatsBroken' && l.peer === peer);
    for (const n of heard) await waitFor(`${n} to log heartbeatsBroken for ${blocked}`, () => brokenLogged(n, blocked), { timeoutMs: 20_000, intervalMs: 100 });
    for (const p of heard) await waitFor(`${blocked} to log heartbeatsBroken for ${p}`, () => brokenLogged(blocked, p), { timeoutMs: 20_000, intervalMs: 100 });
    // The blocked node really was blocked: its monitors declared it dead in the ring, and it heard nothing.
    // (HeartbeatsBroken comes deadAfter after the Lease is first seen; the declaration may come a little later.)
    await waitFor(`a monitor of ${blocked} to declare it dead in the ring`, () => heard.some((n) => speakerLogSince(world, world.nodeByName(n), startedAt).some((l) => l.event === 'membershipDeathDeclared' && l.peer === blocked)), { timeoutMs: 10_000, intervalMs: 100 });
    expect(await metric(blocked, 'herald_membership_swim_datagrams_received_total\\{type="Heartbeat"\\}') || 0).toBe(0);
    for (const n of names) {
      expect(await metric(n, 'herald_membership_peers_alive'), n).toBe(2);
      expect(await metric(n, 'herald_membership_peers_heartbeats_broken'), n).toBe(n === blocked ? 2 : 1);
    }

    for (let i = 1; i <= SERVICES; i++) await world.service(`b${i}`, { app: 'shared' });
    const ips: string[] = [];
    for (let i = 1; i <= SERVICES; i++) ips.push((await world.waitForAddress(`b${i}`))[0]!);
    for (const ip of ips) await waitFor(`${expectedOwner(names, ip)} to report ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === expectedOwner(names, ip), { timeoutMs: 15_000, intervalMs: 100 });
    // The blocked node owns some (12 over 3: none with probability (2/3)^12 ≈ 0.8 %; then only the rest is shown).
    const blockedOwns = ips.filter((ip) => expectedOwner(names, ip) === blocked);
    // One MAC answers each address, the owner's: no split brain on the LAN.
    const probe = await startNeighbourProbe(world, ips);
    await sleep(3_000);
    const results = await probe.finish();
    console.log(JSON.stringify({ blockedHeartbeats: { blocked, blockedOwns: blockedOwns.length, perTarget: results.map((t) => ({ t: t.target, macs: Object.keys(t.perMac), dupProbes: t.dupProbes, lost: t.lost })) } }));
    for (const t of results) {
      expect({ target: t.target, macs: Object.keys(t.perMac), dupProbes: t.dupProbes }).toEqual({ target: t.target, macs: [world.nodeByName(expectedOwner(names, t.target)).mac], dupProbes: 0 });
    }
    // The heartbeat health each speaker publishes on its Lease (what `kubectl herald status` shows).
    const healthLogged = (node: string, reason: string) => speakerLogSince(world, world.nodeByName(node), startedAt).some((l) => l.event === 'heartbeatHealthChanged' && l.reason === reason);
    await waitFor(`${blocked} to report heartbeat health HeartbeatsBroken`, () => healthLogged(blocked, 'HeartbeatsBroken'), { timeoutMs: 20_000, intervalMs: 200 });
    for (const n of heard) await waitFor(`${n} to report heartbeat health SomePeersUnheard`, () => healthLogged(n, 'SomePeersUnheard'), { timeoutMs: 20_000, intervalMs: 200 });
    // No one was ever shown dead.
    for (const n of world.lan.nodes) expect(speakerLogSince(world, n, startedAt).filter((l) => l.event === 'peerDead'), n.name).toEqual([]);

    // A crash of a heard node: the other heard node declares it dead on the fast path and takes its
    // addresses at once. The blocked node never heard it and judges it by its Lease (slow, as version 1).
    const victim = heard[0]!;
    const survivor = heard[1]!;
    const after = names.filter((n) => n !== victim);
    const owned = ips.filter((ip) => expectedOwner(names, ip) === victim);
    const killedAt = Date.now();
    world.speakers.get(world.nodeByName(victim).name)!.proc.kill('SIGKILL');
    await waitFor(`${survivor} to log peerDead for ${victim}`, () => speakerLogSince(world, world.nodeByName(survivor), killedAt).some((l) => l.event === 'peerDead' && l.peer === victim), { timeoutMs: 5_000, intervalMs: 20 });
    const detectMs = speakerLogSince(world, world.nodeByName(survivor), killedAt).find((l) => l.event === 'peerDead' && l.peer === victim)!.time - killedAt;
    const fast = owned.filter((ip) => expectedOwner(after, ip) === survivor);
    for (const ip of fast) await waitFor(`${survivor} to report ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === survivor, { timeoutMs: 5_000, intervalMs: 20 });
    const fastReportedMs = Date.now() - killedAt;
    // The blocked node takes the rest once the victim's Lease expires (30 s).
    const slow = owned.filter((ip) => expectedOwner(after, ip) === blocked);
    for (const ip of slow) await waitFor(`${blocked} to report ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === blocked, { timeoutMs: 60_000, intervalMs: 200 });
    console.log(JSON.stringify({ blockedHeartbeatsCrash: { victim, killToPeerDeadMs: detectMs, movedToHeard: fast.length, movedToHeardReportedAfterMs: fastReportedMs, movedToBlocked: slow.length, movedToBlockedReportedAfterMs: Date.now() - killedAt } }));
    expect(speakerLogSince(world, world.nodeByName(survivor), killedAt).filter((l) => l.event === 'peerDead' && l.peer !== victim)).toEqual([]);
  }, 150_000);
});
