// npm run demo — herald end to end on this machine, in about a minute (plus a one-time build):
// a real Kubernetes control plane, a 3-node LAN of network namespaces and a client, herald installed
// with its Helm chart, two Services, then a node's speaker is killed and the failover is timed from the
// client's point of view. Everything is removed at the end, also on failure or Ctrl-C.
import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clusterInfoOf, controlPlaneBinaries, startControlPlane, type ControlPlane } from '../test/cluster/controlPlane.js';
import { HeraldRelease } from '../test/install/heraldRelease.js';
import { helmDir } from '../test/install/helm.js';
import { Lan, type LanNode } from '../test/lan/lan.js';
import { waitFor } from '../test/processes.js';
import { run } from '../test/run.js';

const root = resolve(import.meta.dirname, '..');
const step = (text: string) => process.stdout.write(`\n\x1b[1m==> ${text}\x1b[0m\n`);
const show = (text: string) => process.stdout.write(`${text.replace(/\s+$/, '')}\n`);
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

if (process.platform !== 'linux') {
  console.error('The herald demo needs Linux: it builds a LAN out of network namespaces.');
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('The herald demo needs root (network namespaces, raw sockets). Run: sudo npm run demo');
  process.exit(1);
}
for (const f of ['packages/controller/dist/bundle/herald-controller.mjs', 'packages/speaker/dist/bundle/herald-speaker.mjs', 'packages/speaker/native/build/Release/herald_net.node']) {
  if (!existsSync(join(root, f))) {
    console.error(`${f} is missing. Build first: npm_config_nodedir=/usr npm ci && npm run build`);
    process.exit(1);
  }
}

let plane: ControlPlane | undefined;
let lan: Lan | undefined;
let release: HeraldRelease | undefined;
let cleaning = false;
async function cleanup(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  step('Cleaning up');
  await release?.stop().catch(() => undefined);
  await lan?.destroy().catch(() => undefined);
  await plane?.stop().catch(() => undefined);
  show('removed the namespaces, links and processes the demo made');
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

try {
  step('Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager v1.36.4)');
  if (!existsSync(join(process.env.HOME ?? '/root', '.cache/herald/bin')) && !process.env.HERALD_CLUSTER_BIN) {
    show('first run: building the control plane and helm from the Go module proxy (15-30 minutes, once; cached in ~/.cache/herald)');
  }
  controlPlaneBinaries();
  const helmBin = helmDir();
  plane = await startControlPlane({ log: (m) => show(`  ${m}`) });
  const cluster = clusterInfoOf(plane);
  const kubectl = async (...args: string[]) => (await run(join(plane!.binDir, 'kubectl'), ['--kubeconfig', plane!.kubeconfigPath, ...args])).stdout;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  step('A LAN: three nodes and a client on 192.0.2.0/24, joined by a bridge');
  lan = await Lan.create({ nodes: 3, apiserver: { port: plane.apiPort } });
  const nodeName = (n: LanNode) => `node-${n.index}`;
  for (const n of lan.nodes) {
    await core.createNode({ body: { metadata: { name: nodeName(n), labels: { 'kubernetes.io/os': 'linux' } } } });
    show(`  ${nodeName(n).padEnd(8)} ${n.ipv4.padEnd(12)} MAC ${n.mac}`);
  }
  show(`  client   ${lan.client.ipv4.padEnd(12)} MAC ${lan.client.mac}`);

  step('helm install herald charts/herald -n herald-system --create-namespace -f values.yaml');
  const values = 'addressPools:\n  - name: demo\n    addresses: ["203.0.113.10-203.0.113.19"]\n';
  show(values.replace(/^/gm, '  '));
  release = new HeraldRelease({ kc, cluster, lan, nodeName });
  await release.helm('install', values);
  show(`  installed with ${join(helmBin, 'helm')}; running the controller and a speaker per node with the chart's ServiceAccounts`);
  await release.start();

  step('Two LoadBalancer Services, each with a ready Pod on every node');
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
  for (const app of ['web', 'api']) {
    for (const n of lan.nodes) {
      const name = `${app}-${n.index}`;
      await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name, labels: { app } }, spec: { nodeName: nodeName(n), containers: [{ name: app, image: 'example.invalid/app' }] } } });
      await core.patchNamespacedPodStatus({ name, namespace: 'demo', body: { status: { phase: 'Running', podIP: n.ipv4, podIPs: [{ ip: n.ipv4 }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }] } } }, mergePatch);
    }
    await core.createNamespacedService({ namespace: 'demo', body: { metadata: { name: app }, spec: { type: 'LoadBalancer', selector: { app }, ports: [{ port: 80 }] } } });
  }
  const vips: Record<string, string> = {};
  await waitFor('both Services to get an address', async () => {
    for (const app of ['web', 'api']) vips[app] = (await core.readNamespacedService({ namespace: 'demo', name: app })).status?.loadBalancer?.ingress?.[0]?.ip ?? '';
    return Object.values(vips).every(Boolean);
  }, { timeoutMs: 30_000 });
  const lbaddress = async (ip: string) => JSON.parse(await kubectl('get', 'lbaddress', ip, '-o', 'json')) as { status?: { node?: string; mac?: string } };
  await waitFor('the speakers to announce both', async () => (await Promise.all(Object.values(vips).map(lbaddress))).every((a) => a.status?.node), { timeoutMs: 30_000 });

  step('kubectl get svc -n demo');
  show(await kubectl('get', 'svc', '-n', 'demo'));
  step('kubectl get lbaddresses');
  show(await kubectl('get', 'lbaddresses'));
  step("The client's neighbour table after it talks to both addresses (ip neigh)");
  for (const ip of Object.values(vips)) await lan.ping(ip);
  show((await lan.exec(lan.client.netns, ['ip', 'neigh', 'show', 'dev', 'eth0'])).replace(/^/gm, '  '));

  const before = await lbaddress(vips.web!);
  const owner = lan.nodes.find((n) => nodeName(n) === before.status?.node)!;
  step(`Failover: kill -9 the speaker on ${nodeName(owner)}, which answers for ${vips.web}`);
  const probe = lan.tryExec(lan.client.netns, [process.execPath, join(root, 'test/speaker/fixtures/arpProbe.mjs'), 'eth0', lan.client.ipv4, vips.web!, '10', '4000'], { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 1_500));
  const killedAt = Date.now();
  release.speakers.get(owner.name)!.kill('SIGKILL');
  const result = JSON.parse((await probe).stdout.trim().split('\n').pop()!) as { startEpochMs: number; changes: { atMs: number; mac: string }[]; lost: number[] };
  const moved = result.changes.find((c) => result.startEpochMs + c.atMs > killedAt && c.mac !== owner.mac);
  await waitFor('the new owner in LBAddress status', async () => (await lbaddress(vips.web!)).status?.node !== nodeName(owner), { timeoutMs: 10_000 });
  const after = await lbaddress(vips.web!);
  show(`  ${vips.web} moved from ${nodeName(owner)} (${owner.mac}) to ${after.status?.node} (${after.status?.mac})`);
  show(moved ? `  the client got its first answer from the new node ${result.startEpochMs + moved.atMs - killedAt} ms after the kill (ARP probe every 10 ms; ${result.lost.length} probes unanswered)` : '  the client saw no new owner within the probe window');
  await lan.ping(vips.web!);
  show((await lan.exec(lan.client.netns, ['ip', 'neigh', 'show', vips.web!])).replace(/^/gm, '  '));
  step('kubectl get lbaddresses');
  show(await kubectl('get', 'lbaddresses'));
} catch (e) {
  process.stderr.write(`\ndemo failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
