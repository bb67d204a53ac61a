import * as k8s from '@kubernetes/client-node';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster, mergePatch } from '../cluster/kube.js';
import { freePort } from '../cluster/freePort.js';
import { tokenKubeconfig } from '../cluster/serviceAccount.js';
import { waitFor } from '../processes.js';
import { run, type RunResult } from '../run.js';
import { SpeakerWorld } from '../speaker/speakerWorld.js';

const root = resolve(import.meta.dirname, '../..');
const CLI = join(root, 'packages/cli/dist/main.js');

interface ExplainJson {
  notHerald: string | null;
  assigned: { shown: { reason: string } | null; planned: { reason: string; addresses: string[] } | null };
  pool: { name: string; why: string } | null;
  addresses: { address: string; sharedWith: string[]; answeredBy: string | null; owner: { node: string } | null; note: string | null; noOwnerReason: string | null; ranking: { node: string }[]; excluded: { node: string; reason: string }[] }[];
  transitions: { reason: string; time: string }[];
}
interface StatusJson {
  pools: { name: string; size: string; used: string; free: string; valid: boolean }[];
  speakers: { node: string; state: string }[];
  unowned: { address: string; reason: string; reportedBy: string }[];
  pending: { service: string; reason: string }[];
  problems: string[];
}

/**
 * kubectl herald status and explain against the real apiserver with a live herald (controller and one
 * speaker per LAN node): a pending Service, two Services sharing an address, an eTP Local Service whose
 * only endpoint is on a Windows node, an owner whose speaker is killed, an unreachable API and RBAC.
 */
describe('kubectl herald status and explain on a live herald', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster());
  const core = world.core;
  const windowsNode = `win-${world.tag}`;
  const viewRole = `hrl-cli-view-${world.tag}`;
  const rbac = world.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  // Where the README's sample output comes from, when asked for.
  const samples = process.env.HERALD_CLI_SAMPLES;
  const cli = (args: string[], kubeconfig = cluster().kubeconfigPath): Promise<RunResult> =>
    run(process.execPath, [CLI, ...args, '--kubeconfig', kubeconfig, '--release-namespace', world.releaseNs, '--lb-class', world.lbClass], { timeoutMs: 60_000 });
  const json = async <T>(args: string[]): Promise<{ out: RunResult; body: T }> => {
    const out = await cli([...args, '-o', 'json']);
    return { out, body: JSON.parse(out.stdout) as T };
  };
  // The control plane is shared by the files of a run: judge only this world's nodes, addresses and Services.
  const ours = <T extends { node: string }>(xs: T[]) => xs.filter((x) => x.node.endsWith(`-${world.tag}`));
  const sample = (name: string, text: string) => {
    if (!samples) return;
    mkdirSync(samples, { recursive: true });
    writeFileSync(join(samples, name), text.replaceAll(world.tag, 'x1y2z'));
  };

  async function service(name: string, o: { share?: string; port?: number; local?: boolean; pool: string }): Promise<void> {
    await core.createNamespacedService({
      namespace: world.appNs,
      body: {
        metadata: { name, annotations: { 'herald.dev/address-pool': o.pool, ...(o.share ? { 'herald.dev/allow-shared-ip': o.share } : {}) } },
        spec: { type: 'LoadBalancer', loadBalancerClass: world.lbClass, selector: { app: name }, ports: [{ port: o.port ?? 80, targetPort: 8080 }], ...(o.local ? { externalTrafficPolicy: 'Local' } : {}) },
      },
    });
  }

  beforeAll(async () => {
    await world.start();
    const [a, b, c] = world.lan.nodes;
    // A Windows node: a Node object with no speaker (herald-speaker is Linux-only), running the only Pod of "win".
    await core.createNode({ body: { metadata: { name: windowsNode, labels: { 'kubernetes.io/os': 'windows', 'kubernetes.io/hostname': windowsNode } } } });
    await world.pool('small', ['192.0.2.240-192.0.2.241']);
    await world.pool('win', ['192.0.2.250/32']);
    await service('web', { pool: 'small', share: 'web' });
    await service('web-tls', { pool: 'small', share: 'web', port: 443 });
    await service('api', { pool: 'small' });
    await service('win', { pool: 'win', local: true });
    for (const [app, n] of [['web', a], ['web-tls', b], ['api', c]] as const) await world.readyPod(app, n!);
    await core.createNamespacedPod({ namespace: world.appNs, body: { metadata: { name: 'win-1', labels: { app: 'win' } }, spec: { nodeName: windowsNode, containers: [{ name: 'app', image: 'example.invalid/app' }] } } });
    const now = new Date();
    await core.patchNamespacedPodStatus({ name: 'win-1', namespace: world.appNs, body: { status: { phase: 'Running', podIP: '192.0.2.149', podIPs: [{ ip: '192.0.2.149' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }] } } }, mergePatch);
    const [shared] = await world.waitForAddress('web');
    expect(await world.waitForAddress('web-tls')).toEqual([shared]);
    await world.waitForAddress('api');
    await world.waitForAddress('win');
    // Created last, so it finds the pool full.
    await service('pending', { pool: 'small' });
    await world.announcer(shared!);
    // The Windows Service's address gets its no-owner status from the reporter speaker.
    await waitFor('the no-owner status of 192.0.2.250', async () => (await world.objects.lbAddress('192.0.2.250'))?.status?.conditions?.some((c) => c.type === 'Announced' && c.status === 'False') ?? false, { timeoutMs: 20_000, intervalMs: 100 });
  });

  afterAll(async () => {
    await world.stop();
    await core.deleteNode({ name: windowsNode }).catch(() => undefined);
    await rbac.deleteClusterRoleBinding({ name: viewRole }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: viewRole }).catch(() => undefined);
  });

  it('explain on a pending Service: PoolExhausted, in the condition and in planService now', async () => {
    await waitFor('pending to show AddressAssigned=False', async () => (await world.objects.service(world.appNs, 'pending')).status?.conditions?.some((c) => c.reason === 'PoolExhausted') ?? false, { timeoutMs: 20_000, intervalMs: 100 });
    const { out, body } = await json<ExplainJson>(['explain', 'svc/pending', '-n', world.appNs]);
    expect(out.code).toBe(0);
    expect(body.assigned.shown?.reason).toBe('PoolExhausted');
    expect(body.assigned.planned).toMatchObject({ reason: 'PoolExhausted', addresses: [] });
    expect(body.addresses).toEqual([]);
    expect(body.transitions.map((t) => t.reason)).toContain('PoolExhausted');
    sample('explain-pending.txt', (await cli(['explain', 'svc/pending', '-n', world.appNs])).stdout);
  });

  it('explain on a Service sharing an address: the other Service, the pool and why, the node and the ranking', async () => {
    const { out, body } = await json<ExplainJson>(['explain', 'svc/web', '-n', world.appNs]);
    expect(out.code).toBe(0);
    expect(body.pool).toMatchObject({ name: 'small', why: expect.stringContaining('herald.dev/address-pool: small') });
    const [a] = body.addresses;
    expect(a).toMatchObject({ sharedWith: [`${world.appNs}/web-tls`], noOwnerReason: null, note: null });
    const announcer = await world.announcer(a!.address);
    expect(a!.answeredBy).toBe(announcer);
    expect(a!.owner?.node).toBe(announcer);
    expect(a!.ranking.map((r) => r.node).sort()).toEqual(world.lan.nodes.map((n) => world.nodeName(n)).sort());
    expect(a!.ranking[0]!.node).toBe(announcer);
    expect(ours(a!.excluded)).toEqual([{ node: windowsNode, reason: 'NotLinux', why: 'not a Linux node' }]);
    const text = (await cli(['explain', 'svc/web', '-n', world.appNs])).stdout;
    expect(text).not.toContain('\x1b[');
    expect(text).toMatch(/Ranking \(sha256\(node#address\) ascending/);
    sample('explain-web.txt', text);
  });

  it('explain on an eTP Local Service whose only endpoint is on a Windows node: nobody, NotLinux there, NoLocalEndpoint elsewhere', async () => {
    const { out, body } = await json<ExplainJson>(['explain', 'svc/win', '-n', world.appNs]);
    expect(out.code).toBe(0);
    const [a] = body.addresses;
    expect(a).toMatchObject({ address: '192.0.2.250', answeredBy: null, owner: null, noOwnerReason: 'NoEligibleNode' });
    expect(Object.fromEntries(ours(a!.excluded).map((x) => [x.node, x.reason]))).toEqual({
      [windowsNode]: 'NotLinux',
      ...Object.fromEntries(world.lan.nodes.map((n) => [world.nodeName(n), 'NoLocalEndpoint'])),
    });
    sample('explain-win.txt', (await cli(['explain', 'svc/win', '-n', world.appNs])).stdout);
  });

  it('status: pools, speakers, the unowned address and the pending Service; exit 4', async () => {
    const { out, body } = await json<StatusJson>(['status']);
    expect(out.code).toBe(4);
    expect(body.pools).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'small', size: '2', used: '2', free: '0', valid: true })]));
    expect(ours(body.speakers).map((s) => s.state)).toEqual(['Ready', 'Ready', 'Ready']);
    expect(body.unowned.filter((u) => ['192.0.2.240', '192.0.2.241', '192.0.2.250'].includes(u.address))).toEqual([expect.objectContaining({ address: '192.0.2.250', reason: 'NoEligibleNode', reportedBy: expect.stringMatching(new RegExp(`-${world.tag}$`)) })]);
    expect(body.pending.filter((p) => p.service.startsWith(`${world.appNs}/`))).toEqual([{ service: `${world.appNs}/pending`, reason: 'PoolExhausted', message: expect.any(String) }]);
    const text = await cli(['status']);
    expect(text.code).toBe(4);
    sample('status.txt', text.stdout);
  });

  it('simulate-drain of the node answering for the shared address: it moves to the second in its ranking, nothing else changes', async () => {
    const { body: web } = await json<ExplainJson>(['explain', 'svc/web', '-n', world.appNs]);
    const [a] = web.addresses;
    const { out, body } = await json<{ moves: { address: string; from: string; to: string; services: string[]; reason: string }[] }>(['simulate-drain', a!.ranking[0]!.node]);
    expect(out.code).toBe(0);
    const move = body.moves.find((m) => m.address === a!.address);
    expect(move).toMatchObject({ from: a!.ranking[0]!.node, to: a!.ranking[1]!.node, reason: '' });
    expect([...move!.services].sort()).toEqual([`${world.appNs}/web`, `${world.appNs}/web-tls`]);
    expect(await world.announcer(a!.address)).toBe(a!.ranking[0]!.node);
    sample('simulate-drain.txt', (await cli(['simulate-drain', a!.ranking[0]!.node])).stdout);
  });

  it('a Service whose owner just died: explain names the node that answers now', async () => {
    const [ip] = await world.addressesOf('api');
    const owner = await world.announcer(ip!);
    world.speakers.get(world.nodeByName(owner).name)!.proc.kill('SIGKILL');
    const next = await world.announcer(ip!, { not: owner });
    const { out, body } = await json<ExplainJson>(['explain', 'svc/api', '-n', world.appNs]);
    expect(out.code).toBe(0);
    const [a] = body.addresses;
    expect(a!.answeredBy).toBe(next);
    // Its Lease may still be fresh: then the election from Leases still ranks it first, and says why.
    if (a!.owner?.node !== next) expect(a!.note).toContain(`the speakers moved it to ${next}; ${owner}'s Lease was renewed`);
    sample('explain-owner-died.txt', (await cli(['explain', 'svc/api', '-n', world.appNs])).stdout);
  });

  it('no such Service, and bad arguments', async () => {
    const missing = await cli(['explain', 'svc/nope', '-n', world.appNs]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`service "nope" not found in namespace ${world.appNs}`);
    expect((await cli(['explain', 'deploy/web'])).code).toBe(2);
  });

  it('an unreachable API server: exit 1 and the server named', async () => {
    const port = await freePort();
    const path = join(world.lan.logDir, 'kubeconfig-unreachable');
    writeFileSync(path, readFileSync(cluster().kubeconfigPath, 'utf8').replace(cluster().server, `https://127.0.0.1:${port}`));
    const out = await cli(['status', '--request-timeout', '5s'], path);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`cannot reach the API server https://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\) to: list `));
  });

  it('RBAC that may read everything but the speaker Leases: exit 1 naming the verb, resource and namespace', async () => {
    await core.createNamespacedServiceAccount({ namespace: world.appNs, body: { metadata: { name: 'viewer' } } });
    await rbac.createClusterRole({ body: { metadata: { name: viewRole }, rules: [
      { apiGroups: [''], resources: ['services', 'nodes', 'namespaces', 'events'], verbs: ['get', 'list'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
      { apiGroups: ['herald.dev'], resources: ['ipaddresspools', 'l2advertisements', 'lbaddresses'], verbs: ['list'] },
    ] } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: viewRole }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: viewRole }, subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: world.appNs }] } });
    const path = join(world.lan.logDir, 'kubeconfig-viewer');
    writeFileSync(path, await tokenKubeconfig({ kc: world.kc, cluster: cluster(), namespace: world.appNs, name: 'viewer' }));
    const out = await cli(['status'], path);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`forbidden by RBAC \\(kubeconfig user .*\\) to: list leases\\.coordination\\.k8s\\.io in namespace ${world.releaseNs}`));
    expect(out.stderr).toContain(`system:serviceaccount:${world.appNs}:viewer`);
  });
});
