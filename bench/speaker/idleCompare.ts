// herald's and MetalLB's idle cost side by side (issue 11, goal 7), on the same three-node LAN, the same
// control plane and the same workload: the e2e world's Ready Pods, a dual-stack Service and five IPv4 ones
// (7 addresses announced in layer 2). herald runs first (speakers at the chart's log level, info), is
// stopped, then MetalLB's controller and speakers (bench/metallb/build.sh: built from the Go module proxy)
// take the same Pods with their own Services (a distinct loadBalancerClass), memberlist on the node
// address, layer 2 only, --log-level=warn. Each side: 10 s settling, then an IDLE_MS window (default 60 s)
// over which CPU time, resident memory (by mapping, see idleWindow.ts) and the heap the process reports
// are read. Not run by CI. Run: nice node --import tsx bench/speaker/idleCompare.ts   (root)
// Other herald builds or flags: HERALD_SPEAKER_MAIN / HERALD_CONTROLLER_MAIN (e.g. the unbundled
// packages/*/dist/main.js), HERALD_BENCH_NODE_FLAGS (instead of the image's V8 flags).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { cpuTicks, memoryMap } from './idleWindow.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round } from './stats.js';
import { announceIdleWorkload, processMemory, sleep, startBenchWorld } from './speakerBench.js';
import { HERALD_NODE_FLAGS, spawnLogged, waitFor, type Spawned } from '../../test/processes.js';
import { SPEAKER_MAIN } from '../../test/speaker/speakerWorld.js';
import { CONTROLLER_MAIN } from '../../test/controller/controllerProcess.js';
import { freePort } from '../../test/cluster/freePort.js';
import { kubectl, mergePatch } from '../../test/cluster/kube.js';
import { tokenKubeconfig } from '../../test/cluster/serviceAccount.js';

const log = progress('idleCompare');
const idleMs = Number(process.env.IDLE_MS ?? 60_000);
const BUILD = join(import.meta.dirname, '../metallb/build.sh');
const MLB_NS = 'metallb-system';
const MLB_CLASS = 'bench.metallb.io/idle';
const SERVICES = ['web', 'spread1', 'spread2', 'spread3', 'spread4', 'spread5'];

interface Measured { name: string; pid: number; heapMiB: () => Promise<number | null> }

/** CPU % of one core over the window, RSS and the memory map at its end, the heap the process reports. */
async function idleWindow(procs: readonly Measured[]): Promise<Record<string, unknown>> {
  const before = procs.map((p) => cpuTicks(p.pid));
  const t0 = Date.now();
  const load = loadAverage();
  await sleep(idleMs);
  const seconds = (Date.now() - t0) / 1000;
  const out: Record<string, unknown> = { loadAvgAtStart: load, loadAvgAtEnd: loadAverage(), windowS: round(seconds) };
  for (const [i, p] of procs.entries()) {
    out[p.name] = {
      cpuPercentOfOneCore: round(((cpuTicks(p.pid) - before[i]!) / 100 / seconds) * 100, 2),
      rssMiB: mib(processMemory(p.pid)?.rssKiB ?? 0),
      heapInUseMiB: await p.heapMiB().catch(() => null),
      memoryMap: memoryMap(p.pid),
    };
  }
  return out;
}

const metricMiB = (text: string, name: string): number | null => {
  const v = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1];
  return v === undefined ? null : round(Number(v) / 2 ** 20, 1);
};

const started = Date.now();
const env = machine();
const bw = await startBenchWorld({ log, speakerArgs: ['--log-level', 'info'] });
const figures: Record<string, unknown> = {};
const metallb: Spawned[] = [];
let failure: string | undefined;
try {
  const { world, names, plane } = bw;
  const ips = await announceIdleWorkload(world, names);
  log(`herald: ${ips.length} addresses announced; settling 10 s, then ${idleMs / 1000} s idle`);
  await sleep(10_000);
  figures.herald = await idleWindow([
    ...[...world.speakers.values()].map((s) => ({ name: `speaker ${s.node.name}`, pid: s.proc.pid, heapMiB: async () => metricMiB(await world.speakerMetrics(s.node), 'herald_speaker_nodejs_heap_size_used_bytes') })),
    { name: 'controller', pid: world.controller.proc.pid, heapMiB: async () => metricMiB(await world.controller.metrics(), 'herald_controller_nodejs_heap_size_used_bytes') },
  ]);
  for (const s of [...world.speakers.values()]) await s.proc.stop(5_000);
  await world.controller.stop();

  log('building or finding MetalLB (bench/metallb/build.sh)');
  const bin = execFileSync('bash', [BUILD], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const crds = readdirSync(join(bin, 'crd')).map((f) => join(bin, 'crd', f));
  const applied = await kubectl(['apply', '--server-side', ...crds.flatMap((f) => ['-f', f])]);
  if (applied.code !== 0) throw new Error(`applying MetalLB's CRDs failed: ${applied.stderr}`);
  const established = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/ipaddresspools.metallb.io', 'crd/l2advertisements.metallb.io']);
  if (established.code !== 0) throw new Error(`MetalLB's CRDs are not Established: ${established.stderr}`);

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: MLB_NS } } });
  // MetalLB's own RBAC is not the point here: one cluster-admin ServiceAccount for its controller and speakers.
  await core.createNamespacedServiceAccount({ namespace: MLB_NS, body: { metadata: { name: 'metallb' } } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name: 'bench-metallb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'metallb', namespace: MLB_NS }] } });
  const dir = mkdtempSync(join(world.lan.logDir, 'metallb-'));
  writeFileSync(join(dir, 'secretkey'), 'bench-memberlist-key-0123456789abcdef', { mode: 0o600 });
  const info = bw.world.cluster;
  const controllerKubeconfig = join(dir, 'controller.kubeconfig');
  writeFileSync(controllerKubeconfig, await tokenKubeconfig({ kc, cluster: info, namespace: MLB_NS, name: 'metallb' }), { mode: 0o600 });
  const speakerKubeconfig = join(dir, 'speaker.kubeconfig');
  writeFileSync(speakerKubeconfig, await tokenKubeconfig({ kc, cluster: info, namespace: MLB_NS, name: 'metallb', server: world.lan.apiserverViaManagement!, tlsServerName: 'localhost' }), { mode: 0o600 });

  // The speaker Pods MetalLB's memberlist discovers its peers by (label selector, status.podIP), as a
  // DaemonSet with hostNetwork would make them; no kubelet runs them, the binaries below are the speakers.
  for (const n of world.lan.nodes) {
    const name = `speaker-${n.name}`;
    await core.createNamespacedPod({ namespace: MLB_NS, body: { metadata: { name, labels: { app: 'metallb', component: 'speaker' } }, spec: { nodeName: world.nodeName(n), hostNetwork: true, containers: [{ name: 'speaker', image: 'example.invalid/metallb-speaker' }] } } });
    const now = new Date();
    await core.patchNamespacedPodStatus({ name, namespace: MLB_NS, body: { status: { phase: 'Running', podIP: n.ipv4, podIPs: [{ ip: n.ipv4 }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } } }, mergePatch);
  }
  const crd = (plural: string, name: string, spec: object) =>
    custom.createNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: MLB_NS, plural, body: { apiVersion: 'metallb.io/v1beta1', kind: plural === 'ipaddresspools' ? 'IPAddressPool' : 'L2Advertisement', metadata: { name }, spec } });
  await crd('ipaddresspools', 'lan', { addresses: ['192.0.2.230-192.0.2.245', '2001:db8:1::230-2001:db8:1::245'] });
  await crd('l2advertisements', 'lan', { ipAddressPools: ['lan'] });

  const controllerPort = await freePort();
  metallb.push(spawnLogged(join(bin, 'controller'), [
    '--namespace', MLB_NS, '--log-level', 'warn', '--lb-class', MLB_CLASS, '--port', String(controllerPort),
    '--webhook-mode', 'disabled', '--disable-cert-rotation',
  ], { logFile: join(dir, 'controller.log'), env: { ...process.env, KUBECONFIG: controllerKubeconfig } }));
  const speakers = world.lan.nodes.map((n) => {
    const p = world.lan.spawn(n, [
      join(bin, 'speaker'), '--node-name', world.nodeName(n), '--pod-name', `speaker-${n.name}`, '--namespace', MLB_NS,
      '--host', '127.0.0.1', '--port', '7472', '--log-level', 'warn', '--lb-class', MLB_CLASS,
      '--ml-bindaddr', n.ipv4, '--ml-bindport', '7946', '--ml-labels', 'app=metallb,component=speaker', '--ml-secret-key-path', dir,
    ], { env: { ...process.env, KUBECONFIG: speakerKubeconfig }, logName: 'metallb-speaker' });
    metallb.push(p);
    return { n, p };
  });
  const speakerMetrics = async (n: (typeof world.lan.nodes)[number]) => (await world.lan.tryExec(n.netns, ['curl', '-sf', '--max-time', '2', 'http://127.0.0.1:7472/metrics'])).stdout;

  const mlbIps: string[] = [];
  for (const svc of SERVICES) {
    const name = `mlb-${svc}`;
    await core.createNamespacedService({
      namespace: world.appNs,
      body: { metadata: { name }, spec: { type: 'LoadBalancer', loadBalancerClass: MLB_CLASS, selector: { app: svc }, ports: [{ port: 80, targetPort: 8080 }], ...(svc === 'web' ? { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' } : {}) } },
    });
    let got: string[] = [];
    await waitFor(`MetalLB to assign ${name}`, async () => {
      const s = await core.readNamespacedService({ namespace: world.appNs, name });
      got = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip as string);
      return got.length === (svc === 'web' ? 2 : 1);
    }, { timeoutMs: 60_000, intervalMs: 200 });
    mlbIps.push(...got);
  }
  // A positive marker that layer 2 is live: MetalLB's speakers together announce every address.
  await waitFor('MetalLB speakers to announce every address', async () => {
    let announced = 0;
    for (const { n } of speakers) announced += [...(await speakerMetrics(n)).matchAll(/^metallb_speaker_announced\{[^}]*protocol="layer2"[^}]*\} 1$/gm)].length;
    return announced >= mlbIps.length;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  // memberlist is up between the speakers: its UDP probes and gossip on 7946 reach node 1 (it sends no
  // metric for its member count).
  const capture = await world.lan.tryExec(speakers[0]!.n.netns, ['timeout', '3', 'tcpdump', '-nni', 'any', '-c', '1000', 'udp port 7946 and inbound'], { timeoutMs: 10_000 });
  const memberlistDatagramsIn3s = Number(/(\d+) packets? captured/.exec(capture.stderr)?.[1] ?? -1);
  log(`MetalLB: ${mlbIps.length} addresses announced; settling 10 s, then ${idleMs / 1000} s idle`);
  await sleep(10_000);
  figures.metallb = await idleWindow([
    ...speakers.map(({ n, p }) => ({ name: `speaker ${n.name}`, pid: p.pid, heapMiB: async () => metricMiB(await speakerMetrics(n), 'go_memstats_heap_inuse_bytes') })),
    { name: 'controller', pid: metallb[0]!.pid, heapMiB: async () => metricMiB(await (await fetch(`http://127.0.0.1:${controllerPort}/metrics`)).text(), 'go_memstats_heap_inuse_bytes') },
  ]);
  figures.metallbBinaries = bin;
  figures.metallbMemberlistDatagramsInto1In3s = memberlistDatagramsIn3s;
  figures.addresses = { herald: ips.length, metallb: mlbIps.length };
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  for (const p of metallb) await p.stop(5_000).catch(() => undefined);
  await bw.stop();
}

writeReport('idleCompare', {
  benchmark: 'herald vs MetalLB idle cost, same 3-node LAN, same control plane, same 7 layer-2 addresses',
  setup: {
    herald: {
      nodeFlags: HERALD_NODE_FLAGS, nodeOptions: process.env.NODE_OPTIONS ?? '',
      speaker: SPEAKER_MAIN, controller: process.env.HERALD_CONTROLLER_MAIN ?? CONTROLLER_MAIN,
      speakerLogLevel: 'info', controllerLogLevel: 'debug (the test harness)',
    },
    metallb: { version: 'bench/metallb/build.sh', mode: 'layer2, memberlist on the node address', logLevel: 'warn' },
    idleWindowMs: idleMs,
    heap: 'herald: nodejs_heap_size_used_bytes; MetalLB: go_memstats_heap_inuse_bytes',
  },
  ...figures,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
