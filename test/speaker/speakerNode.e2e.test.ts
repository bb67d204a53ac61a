import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { SPEAKER_LEASE_ANNOTATIONS, speakerLeaseName } from '@herald/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { harnessTempDir } from '../harnessTempDir.js';
import type { Lan, LanNode } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { udpPayloads } from './membershipPcap.js';
import { SpeakerWorld } from './speakerWorld.js';
import { expectedOwner } from './expectedOwner.js';

// The speaker on a node as production has it (issue 8, defects 2, 5, 8, 10, 12): hundreds of pod veths
// that come and go, links deleted and re-created, a kernel that refuses socket option memory, a heartbeat
// key rotated under a running cluster, and herald's own nodes claiming addresses on the wire.
const PROBE = new URL('./fixtures/arpProbe.mjs', import.meta.url).pathname;
const KEY_GRACE_MS = 1_500;
const VETH_PAIRS = 300;


/** A Secret volume as the kubelet writes it: secretkey → ..data/secretkey, ..data → ..<timestamp dir>. */
class MountedSecret {
  readonly dir = harnessTempDir('secret');
  readonly path = join(this.dir, 'secretkey');
  private generation = 0;
  key = randomBytes(32).toString('base64');

  constructor() {
    this.write(this.key);
    symlinkSync('..data/secretkey', this.path);
  }

  /** The kubelet's atomic update: a new timestamped directory, then one rename of the ..data symlink. */
  rotate(): string {
    this.key = randomBytes(32).toString('base64');
    this.write(this.key);
    return this.key;
  }

  private write(key: string): void {
    const gen = `..gen_${++this.generation}`;
    mkdirSync(join(this.dir, gen));
    writeFileSync(join(this.dir, gen, 'secretkey'), key, { mode: 0o400 });
    symlinkSync(gen, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.generation > 1) rmSync(join(this.dir, `..gen_${this.generation - 1}`), { recursive: true });
  }
}

/** Host ends named like CNIs: half match the default exclude list (Calico cali↔veth), half do not (eni…). */
const vethNames = (i: number): [string, string] => {
  const h = i.toString(16).padStart(10, '0');
  return i % 2 === 0 ? [`cali${h}`, `veth${h}`] : [`eni${h}`, `enp${h}`];
};

async function ipBatch(lan: Lan, node: LanNode, lines: string[]): Promise<void> {
  const file = join(lan.logDir, `batch-${node.name}-${Date.now()}.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  await lan.exec(node.netns, ['ip', '-batch', file], { timeoutMs: 60_000 });
}

const addPairs = (indexes: number[]) =>
  indexes.flatMap((i) => {
    const [a, b] = vethNames(i);
    return [`link add ${a} type veth peer name ${b}`, `link set ${a} up`, `link set ${b} up`];
  });

const metric = (text: string, name: string, labels = ''): number => {
  const re = new RegExp(`^${name}${labels ? `\\{${labels.replace(/[{}]/g, '')}\\}` : '(\\{[^}]*\\})?'} (\\S+)$`, 'gm');
  return [...text.matchAll(re)].reduce((s, m) => s + Number(m[m.length - 1]), 0);
};

describe('herald-speaker on a busy node: pod veth churn, re-created links, a refused group join, key rotation', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster());
  const secret = new MountedSecret();
  let names: string[] = [];
  let n1!: LanNode;
  const macOf = (node: string) => world.nodeByName(node).mac;
  const leases = () => adminKubeConfig().makeApiClient(k8s.CoordinationV1Api);
  const speakerLog = (n: LanNode) => readFileSync(world.speakers.get(n.name)!.proc.logFile, 'utf8');

  beforeAll(async () => {
    await world.start({
      // A link debounce long enough that deleting and re-creating a link (netdev unregister waits for an
      // RCU grace period, tens of ms) always lands in one re-read: the case a name-keyed responder missed.
      speakerArgs: ['--secret-key-file', secret.path, '--key-grace', String(KEY_GRACE_MS), '--key-poll', '200', '--link-debounce', '300'],
      // 300 veth pairs on n1 before its speaker starts: 600 up, carrier, ARP-capable links.
      beforeSpeakers: async (lan) => ipBatch(lan, lan.nodes[0]!, addPairs(Array.from({ length: VETH_PAIRS }, (_, i) => i))),
    });
    names = world.lan.nodes.map((n) => world.nodeName(n));
    n1 = world.lan.nodes[0]!;
    await world.pool('lan', ['192.0.2.200-192.0.2.220', '2001:db8:1::200-2001:db8:1::220']);
  }, 240_000);

  afterAll(async () => {
    await world.stop();
    rmSync(secret.dir, { recursive: true, force: true });
  }, 60_000);

  async function ownedAddress(app: string, o: { families?: string[]; pool?: string; on?: LanNode } = {}): Promise<{ ip: string; owner: string; node: LanNode }> {
    await world.readyPod(app, o.on ?? world.lan.nodes[1]!);
    await world.service(app, { ...(o.families ? { families: o.families } : {}), ...(o.pool ? { pool: o.pool } : {}) });
    const [ip] = await world.waitForAddress(app);
    const owner = await world.announcer(ip!);
    return { ip: ip!, owner, node: world.nodeByName(owner) };
  }

  it('a node with 600 CNI-style links starts, publishes only eth0, and 100 pairs deleted and re-created change neither its heartbeat nor its Lease', async () => {
    const links = await world.lan.exec(n1.netns, ['ip', '-o', 'link', 'show']);
    expect(links.trim().split('\n').length).toBeGreaterThan(2 * VETH_PAIRS);
    const s1 = world.speakers.get(n1.name)!;
    expect(s1.proc.child.exitCode).toBeNull();
    const m1 = await world.speakerMetrics(n1);
    expect(metric(m1, 'herald_membership_published_interfaces')).toBe(1);

    // Startup over (every peer heard, every speaker ready) before counting: see waitForHeartbeats.
    await world.waitForHeartbeats();
    const lease = async () => (await leases().readNamespacedLease({ name: speakerLeaseName(world.nodeName(n1)), namespace: world.releaseNs })).metadata?.annotations?.[SPEAKER_LEASE_ANNOTATIONS.interfaces];
    const leaseBefore = await lease();
    expect(leaseBefore).toMatch(/^eth0=[^;]*$/);
    const peerChanges = async () => Promise.all(world.lan.nodes.slice(1).map(async (n) => metric(await world.speakerMetrics(n), 'herald_membership_transitions_total', 'change="PeerInterfacesChanged"')));
    const changesBefore = await peerChanges();
    const renewalsBefore = metric(await world.speakerMetrics(n1), 'herald_membership_lease_renewals_total', 'result="ok"');
    const renewalsSince = performance.now();
    const dumpsBefore = speakerLog(n1).split('"event":"linksChanged"').length;

    // Pods come and go: 100 pairs (50 excluded by pattern, 50 not) deleted, then re-created with new ifindexes.
    const churn = Array.from({ length: 100 }, (_, i) => i * 3);
    await ipBatch(world.lan, n1, churn.map((i) => `link del ${vethNames(i)[0]}`));
    await ipBatch(world.lan, n1, addPairs(churn));
    // Positive marker: the speaker has seen the churn (the non-excluded links changed under it).
    await waitFor('n1 to re-read its links after the churn', () => speakerLog(n1).split('"event":"linksChanged"').length > dumpsBefore, { timeoutMs: 10_000, intervalMs: 100 });
    await new Promise((r) => setTimeout(r, 1_000));

    expect(s1.proc.child.exitCode).toBeNull();
    expect(world.speakers.get(n1.name)).toBe(s1);
    expect(await lease()).toBe(leaseBefore);
    expect(await peerChanges()).toEqual(changesBefore);
    const m1After = await world.speakerMetrics(n1);
    const renewalsWindowMs = performance.now() - renewalsSince;
    expect(metric(m1After, 'herald_membership_published_interfaces')).toBe(1);
    // Only the periodic renewals (every 10 s) may have happened: the churn itself wrote nothing. On a loaded
    // host the churn alone can take more than 10 s, so the window may hold more than one.
    expect(metric(m1After, 'herald_membership_lease_renewals_total', 'result="ok"') - renewalsBefore).toBeLessThanOrEqual(Math.floor(renewalsWindowMs / 10_000) + 1);
  }, 90_000);

  it('a gratuitous ARP from another herald node is classified as herald, never as a foreign host', async () => {
    const { ip, owner, node } = await ownedAddress('hmac');
    const other = world.lan.nodes.find((n) => n !== node)!;
    // Another herald node's eth0 claims the address (what a second, confused owner would send).
    await world.lan.exec(other.netns, ['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
    await world.lan.exec(other.netns, ['arping', '-U', '-c', '2', '-I', 'eth0', ip]);
    await waitFor(`${owner} to count a conflict`, async () => metric(await world.speakerMetrics(node), 'herald_speaker_conflicts_total') > 0, { timeoutMs: 5_000, intervalMs: 100 });
    const m = await world.speakerMetrics(node);
    expect(metric(m, 'herald_speaker_conflicts_total', 'family="IPv4",source="herald"')).toBeGreaterThan(0);
    expect(metric(m, 'herald_speaker_conflicts_total', 'family="IPv4",source="foreign"')).toBe(0);
    const events = await world.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${ip}` });
    expect(events.items.filter((e) => (e.message ?? '').includes('not a herald node'))).toEqual([]);
  }, 60_000);

  it('a link deleted and re-created under the same name inside the debounce is answered on the new link', async () => {
    const ifname = 'hrlmv0';
    const macvlan = (mac: string) => [`link add ${ifname} link eth0 address ${mac} type macvlan mode bridge`, `addr add 203.0.113.11/24 dev ${ifname}`, `link set ${ifname} up`];
    const ifindex = async () => (JSON.parse(await world.lan.exec(n1.netns, ['ip', '-j', 'link', 'show', ifname])) as { ifindex: number }[])[0]!.ifindex;
    await ipBatch(world.lan, n1, macvlan('02:48:52:4d:00:01'));
    await world.objects.createPool('mv', { addresses: ['203.0.113.200-203.0.113.210'] });
    await world.objects.createL2Advertisement('mv-l2', { ipAddressPools: ['mv'], interfaces: [ifname] });
    const { ip, owner } = await ownedAddress('mv', { pool: 'mv', on: n1 });
    expect(owner).toBe(world.nodeName(n1));
    expect((await world.lan.arping(ip, { count: 2 })).replies).toContain('02:48:52:4d:00:01');

    const before = await ifindex();
    // Delete and re-create in one netlink batch: the speaker sees one change, the same name, a new ifindex.
    await ipBatch(world.lan, n1, [`link del ${ifname}`, ...macvlan('02:48:52:4d:00:02')]);
    expect(await ifindex()).not.toBe(before);
    await waitFor(`${ip} answered from the re-created ${ifname}`, async () => (await world.lan.arping(ip, { count: 1 })).replies.includes('02:48:52:4d:00:02'), { timeoutMs: 8_000, intervalMs: 200 });
  }, 60_000);

  it('an NDP socket the kernel refuses (optmem_max exhausted: its BPF filter needs option memory) is surfaced, not reported as announced, and retried until it works', async () => {
    const optmem = async (value: string) => {
      for (const n of world.lan.nodes) await world.lan.exec(n.netns, ['sysctl', '-q', '-w', `net.core.optmem_max=${value}`]);
    };
    const original = (await world.lan.exec(n1.netns, ['sysctl', '-n', 'net.core.optmem_max'])).trim();
    await optmem('0');
    try {
      await world.readyPod('nd6', world.lan.nodes[2]!);
      // Dual stack: the Pods have IPv4 addresses only, so only the IPv4 EndpointSlice lists them.
      await world.service('nd6', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' });
      const ip = (await world.waitForAddress('nd6', 2)).find((a) => a.includes(':'));
      const owner = expectedOwner(names, ip!);
      const node = world.nodeByName(owner);
      await waitFor(`${owner} to report the refused socket`, async () => {
        const m = await world.speakerMetrics(node);
        // The IPv6 address at least; its IPv4 twin fails too when the node had no packet socket open yet (the BPF
        // filter needs option memory as well).
        return metric(m, 'herald_speaker_announce_failing') >= 1 && metric(m, 'herald_speaker_announce_failures_total', 'code="ENOMEM",family="IPv6"') + metric(m, 'herald_speaker_announce_failures_total', 'family="IPv6",code="ENOMEM"') >= 2;
      }, { timeoutMs: 10_000, intervalMs: 100 }).catch(async (e: Error) => {
        const diag = await Promise.all(world.lan.nodes.map(async (n) => `--- ${n.name}\n${(await world.speakerMetrics(n)).split('\n').filter((l) => /announce|failing/.test(l)).join('\n')}\n${speakerLog(n).split('\n').filter((l) => /announce|nd6|2001:db8:1::2/.test(l)).slice(-8).join('\n')}`));
        throw new Error(`${e.message}\n${diag.join('\n')}`);
      });
      expect(speakerLog(node)).toMatch(/"event":"announceFailed".*optmem_max/);
      // Not announcing, so nothing says it is.
      expect((await world.objects.lbAddress(ip!.replaceAll(':', '-')))?.status?.node).toBeUndefined();
      await world.lan.ping6(ip!);
      expect((await world.lan.neighbour(ip!))?.lladdr).toBeUndefined();

      await optmem(original);
      await waitFor(`${ip} to resolve to ${owner} after the retry`, async () => {
        await world.lan.ping6(ip!);
        return (await world.lan.neighbour(ip!))?.lladdr === macOf(owner);
      }, { timeoutMs: 15_000, intervalMs: 300 });
      expect(await world.announcer(ip!)).toBe(owner);
      // Its IPv4 twin (if it failed too) retries on its own backoff schedule.
      await waitFor('nothing left failing', async () => metric(await world.speakerMetrics(node), 'herald_speaker_announce_failing') === 0, { timeoutMs: 35_000, intervalMs: 300 });
    } finally {
      await optmem(original);
    }
  }, 90_000);

  it('the heartbeat key Secret changes under a running cluster: every speaker takes the new key, no failover, no lost probe', async () => {
    const { ip, owner, node } = await ownedAddress('rot', { on: world.lan.nodes[2]! });
    const transitionsBefore = (await world.objects.lbAddress(ip))?.status?.transitions;
    const before = await Promise.all(world.lan.nodes.map(async (n) => world.speakerMetrics(n)));
    const probe = world.lan.spawn(world.lan.client, [process.execPath, PROBE, 'eth0', world.lan.client.ipv4, ip, '20', String(4 * KEY_GRACE_MS + 2_000)], { logName: 'probe-rotation' });
    await waitFor('the probe to start', () => readFileSync(probe.logFile, 'utf8').includes('ready\n'), { timeoutMs: 15_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 500));

    const newKey = secret.rotate();
    await waitFor('every speaker to load the new key', async () => {
      for (const n of world.lan.nodes) if (metric(await world.speakerMetrics(n), 'herald_membership_key_reloads_total', 'result="rotated"') !== 1) return false;
      return true;
    }, { timeoutMs: 5_000, intervalMs: 100 });
    expect(await probe.exited).toBe(0);
    const result = JSON.parse(readFileSync(probe.logFile, 'utf8').trim().split('\n').pop()!) as { sent: number; lost: number[]; perMac: Record<string, number> };
    console.log(JSON.stringify({ keyRotation: { sent: result.sent, lost: result.lost.length, perMac: result.perMac } }));
    expect(result.sent).toBeGreaterThan(100);
    expect(result.lost).toEqual([]);
    expect(Object.keys(result.perMac)).toEqual([macOf(owner)]);
    expect((await world.objects.lbAddress(ip))?.status).toMatchObject({ node: owner, transitions: transitionsBefore });
    for (const [i, n] of world.lan.nodes.entries()) {
      const m = await world.speakerMetrics(n);
      for (const [what, labels] of [['PeerDead', 'change="PeerDead"'], ['PeerRestarted', 'change="PeerRestarted"']] as const) {
        expect(metric(m, 'herald_membership_transitions_total', labels), `${n.name} ${what}`).toBe(metric(before[i]!, 'herald_membership_transitions_total', labels));
      }
      expect(metric(m, 'herald_membership_heartbeats_rejected_total', 'reason="BadMac"'), `${n.name} rejected nothing`).toBe(metric(before[i]!, 'herald_membership_heartbeats_rejected_total', 'reason="BadMac"'));
    }
    // The rotation is over: heartbeats on the wire are signed with the new key.
    const other = world.lan.nodes.find((n) => n !== node)!;
    const capture = await world.lan.capture(node, `udp and src host ${other.ipv4} and dst port 7947`);
    await new Promise((r) => setTimeout(r, 400));
    await capture.stop();
    const datagrams = udpPayloads(readFileSync(capture.file));
    expect(datagrams.length).toBeGreaterThan(0);
    for (const d of datagrams) {
      const payload = d.subarray(0, d.length - 32);
      expect(Buffer.from(d.subarray(d.length - 32)).equals(createHmac('sha256', Buffer.from(newKey)).update(payload).digest())).toBe(true);
    }
  }, 60_000);
});
