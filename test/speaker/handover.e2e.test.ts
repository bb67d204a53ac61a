// Issue 8, defects 1, 3 and the election gate of 4, on the wire: a client probes every address every
// 20 ms (ARP for IPv4, Neighbor Solicitation for IPv6) while speakers restart, lose their API server,
// lose heartbeats one way, or cannot list peer Leases. Each test failed on the code before the readiness
// gate and make-before-break for every transfer (see the commit that added it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { deleteClusterRbac, serviceAccountKubeconfig } from '../cluster/serviceAccount.js';
import { waitFor } from '../processes.js';
import type { LanNode } from '../lan/lan.js';
import { speakerLogSince, startNeighbourProbe } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';
import { expectedOwner } from './expectedOwner.js';

const SPEAKER_RBAC = resolve(import.meta.dirname, '../../charts/herald/rbac/speaker.yaml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const startProbe = (world: SpeakerWorld, targets: readonly string[]) => startNeighbourProbe(world, targets);
const speakerLog = speakerLogSince;


describe('herald-speaker hand-over: rolling restarts, an unreachable API, one-way heartbeat loss, a denied Lease list', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster());
  let names: string[] = [];
  const addresses: string[] = [];
  const macOf = (node: string) => world.nodeByName(node).mac;
  const ownerOf = (ip: string) => expectedOwner(names, ip);

  /** Every address's LBAddress names the node the hash picks among all nodes (failback complete). */
  async function waitForOwners(ips: readonly string[], timeoutMs = 20_000): Promise<void> {
    await waitFor(`${ips.length} addresses announced by their owners`, async () => {
      for (const ip of ips) if ((await world.objects.lbAddress(ip.includes(':') ? ip.replaceAll(':', '-') : ip))?.status?.node !== ownerOf(ip)) return false;
      return true;
    }, { timeoutMs, intervalMs: 100 });
  }

  async function waitReady(n: LanNode, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${n.name}'s speaker /readyz`, () => world.speakerReady(n), { timeoutMs, intervalMs: 100, abortIf: () => world.speakerGone(n) });
  }

  beforeAll(async () => {
    await world.start();
    names = world.lan.nodes.map((n) => world.nodeName(n));
    await world.pool('lan', ['192.0.2.200-192.0.2.220', '2001:db8:1::200-2001:db8:1::220']);
    for (let i = 0; i < 5; i++) {
      await world.readyPod(`roll${i}`, world.lan.nodes[i % 3]!);
      await world.service(`roll${i}`, { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' });
    }
    for (let i = 0; i < 5; i++) addresses.push(...(await world.waitForAddress(`roll${i}`, 2)));
    await waitForOwners(addresses);
  }, 180_000);

  afterAll(async () => {
    await world.stop();
  }, 60_000);

  it('rolling restart of every speaker (SIGTERM → start → ready): 0 lost ARP and NDP probes for 5 + 5 addresses, failback included', async () => {
    const probe = await startProbe(world, addresses);
    const restarts: { node: string; termAt: number; readyAt: number; failbackAt: number }[] = [];
    // A restart that fails is the error to report, not the failback it then lacks.
    let restartError: unknown;
    try {
      await sleep(300);
      for (const n of world.lan.nodes) {
        const termAt = Date.now();
        await world.speakers.get(n.name)!.proc.stop(10_000);
        await world.startSpeaker(n);
        await waitReady(n);
        const readyAt = Date.now();
        await waitForOwners(addresses);
        await world.waitForMembership();
        restarts.push({ node: n.name, termAt, readyAt, failbackAt: Date.now() });
        await sleep(300);
      }
    } catch (e) {
      restartError = e;
    } finally {
      const results = await probe.finish();
      expect(restartError).toBeUndefined();
      console.log(JSON.stringify({ rollingRestart: { restarts, targets: results.map((t) => ({ target: t.target, sent: t.sent, lost: t.lost, worstGapMs: t.worstGapMs, dupProbes: t.dupProbes, macChanges: t.changes.length })) } }));
      for (const t of results) {
        expect(t.sent, t.target).toBeGreaterThan(200);
        expect({ target: t.target, lost: t.lost, lostAt: t.lostSentAtEpochMs.slice(0, 5) }).toEqual({ target: t.target, lost: 0, lostAt: [] });
        // Failback happened: the owner by the hash answers at the end.
        expect(t.changes.at(-1)?.mac, t.target).toBe(macOf(ownerOf(t.target)));
      }
      // The owners of at least some addresses were restarted: the test saw hand-overs, not a quiet LAN.
      expect(results.some((t) => t.changes.length >= 3)).toBe(true);
      // A rolling upgrade declares nobody dead: every speaker stopped on purpose was reported Left by
      // both others (the Leave notice), never Dead (which alerts on real deaths watch).
      const firstTerm = restarts[0]?.termAt ?? Date.now();
      for (const n of world.lan.nodes) {
        const events = speakerLog(world, n, firstTerm).filter((l) => typeof l.peer === 'string' && l.peer !== world.nodeName(n));
        expect({ node: n.name, dead: events.filter((l) => l.event === 'peerDead' || l.event === 'membershipDeathDeclared').map((l) => l.peer) }).toEqual({ node: n.name, dead: [] });
        const left = new Set(events.filter((l) => l.event === 'peerLeft').map((l) => l.peer));
        for (const r of restarts) if (r.node !== n.name) expect(left.has(world.nodeName(world.lan.nodes.find((x) => x.name === r.node)!)), `${n.name} logs peerLeft for ${r.node}`).toBe(true);
      }
    }
  }, 240_000);

  it('a speaker restarted while its node cannot reach the API stays not ready: peers keep answering (0 lost), it takes its addresses back only after sync', async () => {
    const node = world.nodeByName(ownerOf(addresses[0]!));
    const owned = addresses.filter((ip) => ownerOf(ip) === world.nodeName(node));
    const probe = await startProbe(world, owned);
    let restoredAt = Number.POSITIVE_INFINITY;
    let restartAt = Number.POSITIVE_INFINITY;
    const startedAt = Date.now();
    try {
      await sleep(300);
      await world.lan.cutManagement(node);
      await world.speakers.get(node.name)!.proc.stop(10_000);
      restartAt = Date.now();
      await world.startSpeaker(node);
      // Positive marker: the new process runs, sends heartbeats, and says why it is not ready.
      await waitFor('the restarted speaker to report CachesNotSynced', () => speakerLog(world, node, restartAt).some((l) => l.event === 'notReady' && l.reason === 'CachesNotSynced'), { timeoutMs: 15_000, intervalMs: 100 });
      const peer = world.lan.nodes.find((n) => n !== node)!;
      await waitFor('a peer to see the restarted speaker alive', async () => /^herald_membership_peers_alive 2/m.test(await world.speakerMetrics(peer)), { timeoutMs: 10_000, intervalMs: 100 });
      // 60 s without the API, as the issue measures it: far past the old 1 s grace and the 2 s hand-over.
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        expect(await world.speakerReady(node)).toBe(false);
        await sleep(2_000);
      }
      restoredAt = Date.now();
      await world.lan.restoreManagement(node);
      await waitReady(node, 60_000);
      await waitForOwners(owned, 30_000);
      await world.waitForMembership();
      await sleep(300);
    } finally {
      await world.lan.restoreManagement(node).catch(() => undefined);
      const results = await probe.finish();
      console.log(JSON.stringify({ apiUnreachableRestart: { cutSeconds: (restoredAt - startedAt) / 1000, targets: results.map((t) => ({ target: t.target, sent: t.sent, lost: t.lost, lostSentAtEpochMs: t.lostSentAtEpochMs, worstGapMs: t.worstGapMs, changes: t.changes })) } }));
      for (const t of results) {
        expect({ target: t.target, lost: t.lost }).toEqual({ target: t.target, lost: 0 });
        // The restarted process answered only after the API came back (the changes: owner → peer → owner;
        // before restartAt the drain hand-over may interleave the two MACs, as make-before-break allows).
        const back = t.changes.filter((c) => c.mac === node.mac && c.atEpochMs > restartAt);
        expect(back.length, t.target).toBeGreaterThan(0);
        expect(back.every((c) => c.atEpochMs >= restoredAt), JSON.stringify(t.changes)).toBe(true);
      }
    }
  }, 240_000);

  it('one-way heartbeat loss (UDP 7947 dropped from the owner to a peer): after 2 s only one node answers each address', async () => {
    const ip = addresses.find((a) => !a.includes(':'))!;
    const owner = ownerOf(ip);
    const ownerNode = world.nodeByName(owner);
    const peerName = expectedOwner(names.filter((n) => n !== owner), ip);
    const peerNode = world.nodeByName(peerName);
    const table = `hrl_oneway`;
    try {
      const cutAt = Date.now();
      await world.lan.exec(ownerNode.netns, ['nft', `add table inet ${table}; add chain inet ${table} out { type filter hook output priority 0; }; add rule inet ${table} out ip daddr ${peerNode.ipv4} udp dport 7947 drop`]);
      // Positive marker: the peer no longer hears the owner, while the owner still hears the peer. Version 2
      // keeps the owner alive through the third node (indirect probes) and flags its heartbeats missing
      // (herald_membership_peers_heartbeats_missing); a version-1 peer would declare it dead. (This looked
      // for any peerDead since the start of the suite, which the SIGTERMs of the rolling restart used to
      // log; they log peerLeft now.)
      await waitFor(`${peerName} to stop hearing ${owner}`, async () =>
        speakerLog(world, peerNode, cutAt).some((l) => l.event === 'peerDead' && l.peer === owner) || /^herald_membership_peers_heartbeats_missing [1-9]/m.test(await world.speakerMetrics(peerNode)),
      { timeoutMs: 10_000, intervalMs: 100 });
      await sleep(2_000);
      const probe = await startProbe(world, [ip]);
      await sleep(3_000);
      const [t] = await probe.finish();
      console.log(JSON.stringify({ oneWayLoss: { ip, owner, peer: peerName, perMac: t!.perMac, dupProbes: t!.dupProbes } }));
      expect(Object.keys(t!.perMac)).toEqual([ownerNode.mac]);
      expect(t!.dupProbes).toBe(0);
      expect(t!.lost).toBe(0);
    } finally {
      await world.lan.tryExec(ownerNode.netns, ['nft', 'delete', 'table', 'inet', table]);
      await world.waitForMembership();
    }
  }, 60_000);

  it('a speaker whose token may not list peer Leases reports not ready and claims nothing', async () => {
    const node = world.nodeByName(ownerOf(addresses[1]!));
    const owned = addresses.filter((ip) => ownerOf(ip) === world.nodeName(node));
    const rbacFile = join(world.lan.logDir, 'speaker-nolist.yaml');
    // The chart's speaker rules with list/watch taken off Leases, under another name.
    writeFileSync(rbacFile, readFileSync(SPEAKER_RBAC, 'utf8').replaceAll('name: herald-speaker\n', 'name: herald-speaker-nolist\n').replace('verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]', 'verbs: ["get", "create", "update", "patch", "delete"]'));
    const kubeconfig = await serviceAccountKubeconfig({ kc: world.kc, cluster: world.cluster, namespace: world.releaseNs, name: 'herald-speaker-nolist', rbacFile, server: world.lan.apiserverViaManagement, tlsServerName: 'localhost' });
    const normal = readFileSync(node.kubeconfigPath!, 'utf8');
    const probe = await startProbe(world, owned);
    let stoppedAt = Number.POSITIVE_INFINITY;
    let checkedUntil = 0;
    try {
      await world.speakers.get(node.name)!.proc.stop(10_000);
      stoppedAt = Date.now();
      world.lan.writeNodeKubeconfig(node, kubeconfig);
      const restartAt = Date.now();
      await world.startSpeaker(node);
      // Positive marker: caches synced, and it says it waits for the peer list.
      await waitFor('the speaker to report PeersNotListed', () => speakerLog(world, node, restartAt).some((l) => l.event === 'notReady' && l.reason === 'PeersNotListed'), { timeoutMs: 20_000, intervalMs: 100 });
      await waitFor('its caches to sync', () => speakerLog(world, node, restartAt).some((l) => l.event === 'cachesSynced'), { timeoutMs: 20_000, intervalMs: 100 });
      await sleep(3_000);
      expect(await world.speakerReady(node)).toBe(false);
      expect(await world.speakerMetrics(node)).not.toMatch(/^herald_speaker_addresses_announced\{family="IPv\d"\} [1-9]/m);
      expect(speakerLog(world, node, restartAt).filter((l) => l.event === 'announceStarted')).toEqual([]);
      for (const ip of owned) expect((await world.objects.lbAddress(ip.includes(':') ? ip.replaceAll(':', '-') : ip))?.status?.node, ip).not.toBe(world.nodeName(node));
      checkedUntil = Date.now();
    } finally {
      const results = await probe.finish();
      // Nothing from its MAC between the old process exiting and the end of the checks.
      for (const t of results) expect(t.changes.filter((c) => c.mac === node.mac && c.atEpochMs > stoppedAt && c.atEpochMs <= checkedUntil), t.target).toEqual([]);
      await world.speakers.get(node.name)?.proc.stop(10_000);
      world.lan.writeNodeKubeconfig(node, normal);
      await world.startSpeaker(node);
      await waitReady(node);
      await deleteClusterRbac(world.kc, rbacFile, world.releaseNs).catch(() => undefined);
      for (const t of results) expect({ target: t.target, lost: t.lost }).toEqual({ target: t.target, lost: 0 });
    }
  }, 120_000);
});
