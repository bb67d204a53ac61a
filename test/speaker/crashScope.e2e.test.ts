import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { speakerLogSince } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';
import { expectedOwner } from './expectedOwner.js';


const NODES = 10;
const SERVICES = 16;

/**
 * Issue 11's proof at real-process scale: ten herald-speakers, sixteen addresses. One owner is killed with
 * SIGKILL; its addresses move to the hash's next candidate, and every other address keeps its owner the
 * whole time — in the LBAddress status the speakers write, in the client's neighbour table, on the wire
 * (every ARP packet the client sees) and in the speakers' own announce logs.
 */
describe(`a crash among ${NODES} speakers moves only the dead node's addresses`, () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), NODES);
  let names: string[] = [];
  const macOf = (node: string) => world.nodeByName(node).mac;

  beforeAll(async () => {
    await world.start();
    names = world.lan.nodes.map((n) => world.nodeName(n));
    await world.pool('lan', ['192.0.2.200-192.0.2.230']);
    // Two ready endpoints serve every Service: with externalTrafficPolicy Cluster any node may announce.
    for (const n of world.lan.nodes.slice(0, 2)) await world.readyPod('shared', n);
  }, 120_000);

  afterAll(async () => {
    await world.stop();
  }, 60_000);

  it('kill -9 of one owner: its addresses fail over, no other address changes owner at any moment', async () => {
    for (let i = 1; i <= SERVICES; i++) await world.service(`s${i}`, { app: 'shared' });
    const owners = new Map<string, string>();
    for (let i = 1; i <= SERVICES; i++) {
      const [ip] = await world.waitForAddress(`s${i}`);
      owners.set(ip!, expectedOwner(names, ip!));
    }
    const ips = [...owners.keys()];
    for (const ip of ips) await waitFor(`${owners.get(ip)} to announce ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === owners.get(ip), { timeoutMs: 15_000, intervalMs: 100 });
    // An active client holds an entry for every address (a gratuitous ARP updates an entry, never creates one).
    await Promise.all(ips.map((ip) => world.lan.ping(ip)));
    for (const ip of ips) expect((await world.lan.neighbour(ip))?.lladdr, ip).toBe(macOf(owners.get(ip)!));

    // The victim: the node owning the most addresses (16 over 10 nodes: at least 2).
    const count = (node: string) => ips.filter((ip) => owners.get(ip) === node).length;
    const dead = [...names].sort((a, b) => count(b) - count(a))[0]!;
    const moved = ips.filter((ip) => owners.get(ip) === dead);
    const kept = ips.filter((ip) => owners.get(ip) !== dead);
    expect(moved.length).toBeGreaterThanOrEqual(2);
    const survivors = names.filter((n) => n !== dead);
    const successor = new Map(moved.map((ip) => [ip, expectedOwner(survivors, ip)]));

    // Watch from before the kill until the positive marker below: LBAddress status, neighbour table, wire.
    const seenStatus = new Map<string, Set<string>>(ips.map((ip) => [ip, new Set()]));
    const seenMac = new Map<string, Set<string>>(ips.map((ip) => [ip, new Set()]));
    let watching = true;
    const sample = async () => {
      for (const l of await world.objects.lbAddresses()) seenStatus.get(l.spec?.address ?? '')?.add(l.status?.node ?? '<none>');
      const table = new Map((await world.lan.neighbours()).map((e) => [e.dst, e.lladdr ?? '<none>']));
      for (const ip of ips) seenMac.get(ip)!.add(table.get(ip) ?? '<absent>');
    };
    const watcher = (async () => {
      while (watching) {
        await sample();
        await new Promise((r) => setTimeout(r, 50));
      }
      await sample();
    })();
    const capture = await world.lan.capture(world.lan.client, 'arp');

    const deadNode = world.nodeByName(dead);
    const killedAt = Date.now();
    world.speakers.get(deadNode.name)!.proc.kill('SIGKILL');
    try {
      // Positive marker: every survivor has declared the dead node dead (so each has re-run its election),
      // and the client and the LBAddresses show every moved address at its successor.
      await waitFor(`all ${survivors.length} survivors to log peerDead for ${dead}`, () => world.lan.nodes.filter((n) => world.nodeName(n) !== dead)
        .every((n) => speakerLogSince(world, n, killedAt).some((l) => l.event === 'peerDead' && l.peer === dead)), { timeoutMs: 10_000, intervalMs: 50 });
      for (const ip of moved) await world.lan.waitForNeighbour(ip, macOf(successor.get(ip)!), { timeoutMs: 5_000 });
      console.log(JSON.stringify({ crashScope: { nodes: NODES, addresses: ips.length, moved: moved.length, allMovedAtClientAfterMs: Date.now() - killedAt } }));
      for (const ip of moved) await waitFor(`${successor.get(ip)} to report ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === successor.get(ip), { timeoutMs: 5_000, intervalMs: 50 });
    } finally {
      watching = false;
      await watcher;
    }
    const packets = await capture.stop();

    for (const ip of kept) {
      const owner = owners.get(ip)!;
      expect([...seenStatus.get(ip)!], `LBAddress ${ip} status.node`).toEqual([owner]);
      expect([...seenMac.get(ip)!], `client neighbour ${ip}`).toEqual([macOf(owner)]);
      // On the wire: replies for it and gratuitous ARPs claiming it come from its owner only.
      const claims = packets.filter((l) => l.includes(`Reply ${ip} is-at`) || l.includes(`who-has ${ip} tell ${ip}`));
      expect(claims.filter((l) => !l.includes(`${ip} is-at ${macOf(owner)}`) && !l.split(' ')[1]?.startsWith(macOf(owner))), `ARP claims for ${ip}`).toEqual([]);
    }
    for (const ip of moved) {
      expect(seenStatus.get(ip)!.has(successor.get(ip)!), `${ip} reported by its successor`).toBe(true);
      expect(packets.some((l) => l.startsWith(`${l.split(' ')[0]} ${macOf(successor.get(ip)!)} >`) && l.includes(`who-has ${ip} tell ${ip}`)), `a gratuitous ARP for ${ip} from its successor`).toBe(true);
    }
    // The speakers' own record: announce starts and stops after the kill concern the moved addresses only.
    const announceEvents = world.lan.nodes.filter((n) => world.nodeName(n) !== dead)
      .flatMap((n) => speakerLogSince(world, n, killedAt).filter((l) => l.event === 'announceStarted' || l.event === 'announceStopped').map((l) => ({ node: world.nodeName(n), event: l.event, address: l.address as string })));
    expect(announceEvents.filter((e) => !moved.includes(e.address))).toEqual([]);
    expect(announceEvents.filter((e) => e.event === 'announceStarted').map((e) => `${e.address}@${e.node}`).sort())
      .toEqual(moved.map((ip) => `${ip}@${successor.get(ip)}`).sort());
  });
});
