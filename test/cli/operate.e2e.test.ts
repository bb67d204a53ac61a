import * as k8s from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { tokenKubeconfig } from '../cluster/serviceAccount.js';
import { waitFor } from '../processes.js';
import { run, type RunResult } from '../run.js';
import { SpeakerWorld } from '../speaker/speakerWorld.js';

const root = resolve(import.meta.dirname, '../..');
const CLI = join(root, 'packages/cli/dist/main.js');
/** Enough addresses that a fourth node wins some of them (all 24 staying put has odds of 0.75^24 ≈ 0.1%). */
const ADDRESSES = 24;

interface Heartbeats {
  health: string;
  message: string;
  peers: { known: number; alive: number; heard: number; judgedByLease: number; dead: number } | null;
  silent: string[];
  heartbeatsBroken: string[];
  roundTrip: { samples: number; medianMs: number; maxMs: number } | null;
  lastHeartbeatAt: string | null;
  notHeardBy: string[];
}
interface StatusJson {
  speakers: { node: string; state: string; heartbeats: Heartbeats }[];
  addresses: { address: string; node: string; elected: string }[];
  problems: string[];
}
interface SimulationJson {
  moves: { address: string; from: string; to: string; services: string[]; reason: string }[];
  addresses: number;
  unchanged: number;
  assumptions: string[];
}

/**
 * kubectl herald with live speakers, for what an operator does around a node: `simulate-add` predicts
 * which addresses a new node takes (checked by then starting its speaker), and `status` shows each
 * speaker's heartbeat health from its Lease — healthy, then one node's heartbeats dropped by nftables.
 */
describe('kubectl herald simulate-add and heartbeat health on live speakers', () => {
  // Four LAN nodes; the fourth starts without a speaker (the node being added).
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 4);
  const core = world.core;
  const readerRole = `hrl-cli-reader-${world.tag}`;
  const rbac = world.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const custom = world.kc.makeApiClient(k8s.CustomObjectsApi);
  const discovery = world.kc.makeApiClient(k8s.DiscoveryV1Api);
  const samples = process.env.HERALD_CLI_SAMPLES;
  const nftTable = `hrl_hb_${world.tag}`;
  let blocked: string | undefined;

  const cli = (args: string[], kubeconfig = cluster().kubeconfigPath): Promise<RunResult> =>
    run(process.execPath, [CLI, ...args, '--kubeconfig', kubeconfig, '--release-namespace', world.releaseNs, '--lb-class', world.lbClass], { timeoutMs: 60_000 });
  const json = async <T>(args: string[], kubeconfig?: string): Promise<{ out: RunResult; body: T }> => {
    const out = await cli([...args, '-o', 'json'], kubeconfig);
    if (out.stdout.trim() === '') throw new Error(`kubectl herald ${args.join(' ')} printed nothing (exit ${out.code}): ${out.stderr}`);
    return { out, body: JSON.parse(out.stdout) as T };
  };
  const ours = <T extends { node: string }>(xs: T[]) => xs.filter((x) => x.node.endsWith(`-${world.tag}`));
  const sample = (name: string, text: string) => {
    if (!samples) return;
    mkdirSync(samples, { recursive: true });
    writeFileSync(join(samples, name), text.replaceAll(world.tag, 'x1y2z'));
  };
  const names = () => world.lan.nodes.map((n) => world.nodeName(n));
  /** Waits until every one of our running speakers publishes `health` with all `known` peers heard; returns that status. */
  async function statusWhen(what: string, ok: (s: StatusJson, code: number) => boolean, timeoutMs = 25_000): Promise<{ body: StatusJson; code: number }> {
    let last: { body: StatusJson; code: number } | undefined;
    await waitFor(what, async () => {
      const { out, body } = await json<StatusJson>(['status']);
      last = { body, code: out.code };
      return ok(body, out.code);
    }, { timeoutMs, intervalMs: 500 }).catch((e: Error) => {
      throw new Error(`${e.message}; last status: ${JSON.stringify(last && { code: last.code, speakers: ours(last.body.speakers), problems: last.body.problems }, null, 1)}`);
    });
    return last!;
  }
  /** Every running speaker of ours Ready and Healthy, hearing all the others; exit 0. */
  const allHealthy = (s: StatusJson, code: number) => {
    const count = world.speakers.size;
    const ready = ours(s.speakers).filter((x) => x.state === 'Ready');
    return code === 0 && ready.length === count && ready.every((x) => x.heartbeats.health === 'Healthy' && x.heartbeats.peers?.heard === count - 1);
  };

  /** Who announces each LBAddress now, as the speakers report it. */
  async function announcers(): Promise<Record<string, string>> {
    const list = (await custom.listClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses' })) as { items: { spec: { address: string }; status?: { node?: string } }[] };
    expect(list.items).toHaveLength(ADDRESSES);
    return Object.fromEntries(list.items.map((x) => [x.spec.address, x.status?.node ?? '']));
  }

  /** resourceVersion of every object the CLI reads (Leases aside: their speakers renew them every 10 s). */
  async function versions(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const add = (kind: string, items: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } }[]) => {
      for (const i of items) out[`${kind}/${i.metadata?.namespace ?? ''}/${i.metadata?.name}`] = i.metadata?.resourceVersion ?? '';
    };
    for (const plural of ['ipaddresspools', 'l2advertisements', 'lbaddresses']) {
      add(plural, ((await custom.listClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural })) as { items: k8s.KubernetesObject[] }).items);
    }
    add('service', (await core.listNamespacedService({ namespace: world.appNs })).items);
    add('pod', (await core.listNamespacedPod({ namespace: world.appNs })).items);
    add('endpointslice', (await discovery.listNamespacedEndpointSlice({ namespace: world.appNs })).items);
    add('node', (await core.listNode()).items.filter((n) => n.metadata?.name?.endsWith(`-${world.tag}`)));
    return out;
  }

  beforeAll(async () => {
    await world.start({ speakers: false });
    const [a, b, c] = world.lan.nodes;
    for (const n of [a!, b!, c!]) await world.startSpeaker(n);
    await world.waitForMembership();
    await world.pool('many', [`192.0.2.200-192.0.2.${200 + ADDRESSES - 1}`]);
    // One ready Pod backs every Service (they share its selector): eTP Cluster needs a ready endpoint somewhere.
    await world.readyPod('backend', a!);
    for (let i = 0; i < ADDRESSES; i++) {
      await core.createNamespacedService({
        namespace: world.appNs,
        body: { metadata: { name: `s${i}` }, spec: { type: 'LoadBalancer', loadBalancerClass: world.lbClass, selector: { app: 'backend' }, ports: [{ port: 80, targetPort: 8080 }] } },
      });
    }
    await waitFor(`${ADDRESSES} LBAddresses announced`, async () => {
      const list = (await custom.listClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses' })) as { items: { status?: { node?: string } }[] };
      return list.items.length === ADDRESSES && list.items.every((x) => !!x.status?.node);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    // A ServiceAccount that may only read: whatever simulate-add does, it cannot write.
    await core.createNamespacedServiceAccount({ namespace: world.appNs, body: { metadata: { name: 'reader' } } });
    await rbac.createClusterRole({ body: { metadata: { name: readerRole }, rules: [
      { apiGroups: ['', 'discovery.k8s.io', 'herald.dev', 'coordination.k8s.io'], resources: ['services', 'nodes', 'namespaces', 'events', 'endpointslices', 'ipaddresspools', 'l2advertisements', 'lbaddresses', 'leases'], verbs: ['get', 'list'] },
    ] } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: readerRole }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: readerRole }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: world.appNs }] } });
  });

  afterAll(async () => {
    if (blocked) await world.lan.tryExec(world.nodeByName(blocked).netns, ['nft', 'delete', 'table', 'inet', nftTable]);
    await world.stop();
    await rbac.deleteClusterRoleBinding({ name: readerRole }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: readerRole }).catch(() => undefined);
  });

  it('simulate-add NODE predicts exactly the addresses the new node takes, and changes nothing', async () => {
    const [a, , , d] = world.lan.nodes;
    const added = world.nodeName(d!);
    // A positive marker that the world has settled (the speakers' status writes after announcing are done).
    let before = await versions();
    await waitFor('LBAddress statuses to settle', async () => {
      const now = await versions();
      const same = JSON.stringify(now) === JSON.stringify(before);
      before = now;
      return same;
    }, { timeoutMs: 20_000, intervalMs: 1_000 });
    const announcedBefore = await announcers();
    const readerKubeconfig = join(world.lan.logDir, 'kubeconfig-reader');
    writeFileSync(readerKubeconfig, await tokenKubeconfig({ kc: world.kc, cluster: cluster(), namespace: world.appNs, name: 'reader' }));

    // The new node has no speaker Lease yet, so no published interfaces: it needs --like.
    const noLike = await cli(['simulate-add', added], readerKubeconfig);
    expect(noLike.code).toBe(1);
    expect(noLike.stderr).toContain(`node "${added}" has published no interfaces (no speaker Lease): pass --like NODE`);
    const { out, body } = await json<SimulationJson>(['simulate-add', added, '--like', world.nodeName(a!)], readerKubeconfig);
    expect(out.code).toBe(0);
    expect(body.addresses).toBe(ADDRESSES);
    expect(body.assumptions).toEqual([expect.stringContaining(`interfaces of ${added} assumed to be those of ${world.nodeName(a!)}`)]);
    // Adding a node only moves the addresses it now wins: every move goes to it, from the node announcing now.
    expect(body.moves.length).toBeGreaterThan(0);
    for (const m of body.moves) {
      expect(m).toMatchObject({ to: added, reason: '', from: announcedBefore[m.address] });
      expect(m.services).toHaveLength(1);
    }
    expect(body.unchanged).toBe(ADDRESSES - body.moves.length);
    sample('simulate-add.txt', (await cli(['simulate-add', added, '--like', world.nodeName(a!)], readerKubeconfig)).stdout);
    // Nothing changed (the reader could not have written anyway). Soft: the real add below still runs.
    expect.soft(await versions()).toEqual(before);

    // Now really add it: its speaker takes exactly the predicted addresses, and the others stay where they were.
    await world.startSpeaker(d!);
    await world.waitForMembership();
    const predicted = new Set(body.moves.map((m) => m.address));
    for (const ip of predicted) await world.announcer(ip, { not: announcedBefore[ip] });
    const expected = Object.fromEntries(Object.entries(announcedBefore).map(([ip, node]) => [ip, predicted.has(ip) ? added : node]));
    expect(await announcers()).toEqual(expected);
  });

  it('status on a healthy world: every speaker hears every peer, with a round trip to each (version 2: the round-trip probe); exit 0', async () => {
    expect(world.speakers.size).toBe(4);
    // Version-2 heartbeats are one-way; the round trip comes from one Probe → Ack a second to a ring
    // predecessor in turn (ADR 0012, Round trips). The report is rewritten when the first round trip
    // appears (later samples ride along with the next change or the minute's refresh), so 1 to 3 samples.
    const timed = (s: StatusJson, code: number) => allHealthy(s, code) && ours(s.speakers).every((x) => (x.heartbeats.roundTrip?.samples ?? 0) >= 1);
    const { body, code } = await statusWhen('4 speakers Healthy, each hearing 3 peers, each with a round trip', timed);
    expect(code).toBe(0);
    for (const s of ours(body.speakers)) {
      expect(s.heartbeats).toMatchObject({ health: 'Healthy', peers: { known: 3, alive: 3, heard: 3, judgedByLease: 0, dead: 0 }, silent: [], heartbeatsBroken: [], notHeardBy: [] });
      expect(s.heartbeats.roundTrip!.samples).toBeLessThanOrEqual(3);
      // A LAN of veth pairs in one machine: well under the 100 ms heartbeat interval, and never negative.
      expect(s.heartbeats.roundTrip!.medianMs).toBeGreaterThanOrEqual(0);
      expect(s.heartbeats.roundTrip!.maxMs).toBeGreaterThanOrEqual(s.heartbeats.roundTrip!.medianMs);
      expect(s.heartbeats.roundTrip!.maxMs).toBeLessThan(100);
      expect(Date.parse(s.heartbeats.lastHeartbeatAt!)).toBeGreaterThan(Date.now() - 120_000);
    }
    const text = await cli(['status']);
    expect(text.code).toBe(0);
    // RTT-MEDIAN/MAX is a number for version-2 peers (it showed - before the round-trip probe).
    expect(text.stdout).toMatch(new RegExp(`^${names()[0]} +Healthy +3/3 +\\d+(\\.\\d+)?/\\d+(\\.\\d+)?ms +arriving +- *$`, 'm'));
  });

  it("one node's heartbeats dropped by nftables: status names it (NoHeartbeats, not heard by its peers) and exits 4; healthy again once they flow", async () => {
    const [, b] = world.lan.nodes;
    const cut = world.nodeName(b!);
    const others = [...world.speakers.values()].map((s) => world.nodeName(s.node)).filter((n) => n !== cut).sort();
    const known = others.length;
    blocked = cut;
    await world.lan.exec(b!.netns, ['nft', [
      `add table inet ${nftTable}`,
      `add chain inet ${nftTable} in { type filter hook input priority 0; }`,
      `add rule inet ${nftTable} in udp dport 7947 drop`,
      `add chain inet ${nftTable} out { type filter hook output priority 0; }`,
      `add rule inet ${nftTable} out udp dport 7947 drop`,
    ].join('; ')]);
    const { body, code } = await statusWhen(`${cut} NoHeartbeats and not heard by ${others.join(', ')}`, (s) => {
      const x = s.speakers.find((y) => y.node === cut)?.heartbeats;
      return x?.health === 'NoHeartbeats' && x.notHeardBy.join() === others.join();
    });
    expect(code).toBe(4);
    const cutOff = body.speakers.find((s) => s.node === cut)!.heartbeats;
    expect(cutOff).toMatchObject({ peers: { known, heard: 0, dead: known }, silent: others, roundTrip: null });
    for (const s of body.speakers.filter((y) => others.includes(y.node))) expect(s.heartbeats).toMatchObject({ health: 'SomePeersUnheard', silent: [cut], peers: { heard: known - 1 } });
    expect(body.problems).toContainEqual(expect.stringMatching(new RegExp(`^speaker on ${cut}: heartbeats NoHeartbeats: hears none of its ${known} peer\\(s\\).*; and it is not heard by ${others.join(', ')}`)));
    expect(body.problems.filter((p) => others.some((o) => p.startsWith(`speaker on ${o}`)))).toEqual([]);
    const text = await cli(['status']);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(new RegExp(`^${cut} +NoHeartbeats +0/${known} +- +\\d+s ago +${others.join(',')} +hears none of its ${known} peer`, 'm'));
    sample('status-heartbeats-blocked.txt', text.stdout);

    await world.lan.exec(b!.netns, ['nft', 'delete', 'table', 'inet', nftTable]);
    blocked = undefined;
    await statusWhen('every speaker Healthy again', allHealthy);
  });
});
