// How fast one speaker writes the statuses of addresses it has just taken over, against the real API server
// (issue 11: 10,000 statuses took 327–573 s). A private control plane with herald's CRDs; N LBAddresses
// created directly (no controller); the measured build's real StatusReporter and LBAddressWriter, writing as
// the speaker's ServiceAccount (the chart's RBAC, so the API server's priority and fairness treats it as it
// would a speaker), fed by a real LBAddress watch. At t0 the node becomes owner of all N and announces them;
// done when the watch shows every status naming it. One second in, a failover: an address whose status names
// another node becomes this one's (electedToStatusMs: how long its status waited behind the backlog).
//   raw: the API server alone — the same status merge patches from a bare client at 1, 4, 16 and 64 in
//   flight (per-write latency and writes/s), so the speaker's figure can be read against what it allows.
// Run: node --import tsx bench/speaker/statusWrites.ts [--addresses 2000] [--tree /work/main]   (builds: npm run build)
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RELEASE_NAMESPACE, startBenchWorld } from '../controller/benchCluster.js';
import { clusterInfoOf } from '../../test/cluster/controlPlane.js';
import { serviceAccountKubeconfig } from '../../test/cluster/serviceAccount.js';
import { KeepAliveKubeConfig } from '../../packages/kube/src/keepAliveKubeConfig.js';
import { lbAddressName } from '../../packages/core/src/allocation/lbAddressName.js';
import { parseAddress } from '../../packages/core/src/ip/address.js';
import { progress, writeReport } from './report.js';
import { round, summarize } from './stats.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the measured build's classes are loaded at run time */

const { values } = parseArgs({ options: {
  addresses: { type: 'string', default: '2000' },
  tree: { type: 'string', default: resolve(import.meta.dirname, '../..') },
  raw: { type: 'string', default: '400' },
} });
const count = Number(values.addresses);
const rawWrites = Number(values.raw);
const tree = resolve(values.tree);
const log = progress('statusWrites');
const NODE = 'bench-n1';
const GROUP = 'herald.dev';
const VERSION = 'v1beta1';

const load = async (rel: string): Promise<any> => import(join(tree, rel));
const { StatusReporter } = await load('packages/speaker/dist/election/statusReporter.js');
const { LBAddressWriter } = await load('packages/speaker/dist/kube/lbAddressWriter.js');
const { projectLBAddress } = await load('packages/speaker/dist/kube/cacheProjections.js');
const { createSpeakerMetrics } = await load('packages/speaker/dist/metrics.js');
const { Reflector } = await load('packages/kube/dist/index.js');

const world = await startBenchWorld({ name: 'statusWrites', log, namespaces: [] });
const figures: Record<string, unknown> = { addresses: count, tree, loadAvgAtStart: loadavg().map((n) => round(n, 2)) };
try {
  const info = clusterInfoOf(world.plane);
  const speakerKc = new KeepAliveKubeConfig();
  speakerKc.loadFromString(await serviceAccountKubeconfig({ kc: world.kc, cluster: info, namespace: RELEASE_NAMESPACE, name: 'herald-speaker', rbacFile: resolve(import.meta.dirname, '../../charts/herald/rbac/speaker.yaml') }));
  const admin = world.kc.makeApiClient(k8s.CustomObjectsApi);
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const ips = Array.from({ length: count + rawWrites + 1 }, (_, i) => `2001:db8:b1::${(i + 1).toString(16)}`);
  const names = ips.map((ip) => { const p = parseAddress(ip); if (!p.ok) throw new Error(ip); return lbAddressName(p.value); });
  for (let i = 0; i < ips.length; i += 50) {
    await Promise.all(ips.slice(i, i + 50).map((ip, j) => admin.createClusterCustomObject({
      group: GROUP, version: VERSION, plural: 'lbaddresses',
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'LBAddress', metadata: { name: names[i + j] }, spec: { address: ip, pool: 'bench-v6', services: [{ namespace: 'default', name: `s${i + j}` }] } },
    })));
  }
  log(`${ips.length} LBAddresses created`);

  // The API server alone: status patches from a bare keep-alive client, as the speaker's ServiceAccount.
  const bare = speakerKc.makeApiClient(k8s.CustomObjectsApi);
  const rawNames = names.slice(count, count + rawWrites);
  // A failover during the backlog: its status names another node, which no longer answers.
  const moved = names[count + rawWrites]!;
  await admin.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'lbaddresses', name: moved, body: { status: { node: 'bench-n2', interface: 'eth0', mac: '02:00:00:00:00:02', transitions: 1, conditions: [{ type: 'Announced', status: 'True', reason: 'Announcing', message: 'announced by bench-n2 on eth0', lastTransitionTime: new Date().toISOString() }] } } }, mergePatch);
  const raw: Record<string, unknown> = {};
  let next = 0;
  for (const inFlight of [1, 4, 16, 64]) {
    const batch = rawNames.splice(0, Math.floor(rawWrites / 4));
    const lat: number[] = [];
    const t = performance.now();
    let i = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (i < batch.length) {
        const name = batch[i++]!;
        const s = performance.now();
        await bare.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'lbaddresses', name, body: { status: { node: NODE, interface: 'eth0', mac: '02:00:00:00:00:01', since: new Date().toISOString(), transitions: ++next } } }, mergePatch);
        lat.push(performance.now() - s);
      }
    }));
    const s = (performance.now() - t) / 1000;
    raw[`inFlight${inFlight}`] = { writes: batch.length, perSecond: round(batch.length / s), latencyMs: summarize(lat) };
    log(`raw ${inFlight} in flight: ${round(batch.length / s)} writes/s`);
  }
  figures.raw = raw;

  // The speaker's path: StatusReporter → LBAddressWriter, the watch feeding the cache.
  const silent = pino({ level: 'silent' });
  const registry = new Registry();
  const metrics = createSpeakerMetrics(registry);
  const writer = new LBAddressWriter(speakerKc, { log: silent, metrics, node: NODE });
  const writeLatency: number[] = [];
  const patch = writer.patchStatus.bind(writer);
  let issued = 0;
  let maxInFlight = 0;
  let inFlight = 0;
  writer.patchStatus = async (...args: unknown[]) => {
    issued++;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const s = performance.now();
    try {
      return await patch(...args);
    } finally {
      inFlight--;
      writeLatency.push(performance.now() - s);
    }
  };
  // The watch starts (and lists) before the reporter exists: it is handed the watch's store.
  const box: { reporter?: any } = {};
  const measured = new Set(names.slice(0, count));
  let named = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const seenNamed = new Set<string>();
  const movedAt: { elected?: number; written?: number; backlog?: number } = {};
  const addresses = new Reflector({
    resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, kubeConfig: speakerKc, log: silent, project: projectLBAddress,
    onChange: (type: string, obj: any) => {
      const name = obj.metadata.name as string;
      if (type === 'deleted') return;
      box.reporter?.recheck(name);
      if (name === moved && obj.status?.node === NODE && movedAt.written === undefined) {
        movedAt.written = performance.now();
        if (named === count) resolveDone();
      }
      if (measured.has(name) && obj.status?.node === NODE && !seenNamed.has(name)) {
        seenNamed.add(name);
        if (++named === count && movedAt.written !== undefined) resolveDone();
      }
    },
  });
  await addresses.start();
  const reporter = new StatusReporter({ node: NODE, log: silent, metrics, writer, addresses: addresses.store, services: new Map() });
  box.reporter = reporter;
  const elected = (name: string) => {
    const obj = addresses.store.get(name);
    return { obj, ip: obj.spec.address, result: { owner: { node: NODE }, reason: undefined, message: 'elected', ranked: [], excluded: new Map() } };
  };
  const round1 = names.slice(0, count).map(elected);
  const t0 = performance.now();
  reporter.observeChanges(round1, [], undefined, new Map());
  const at = new Date().toISOString();
  for (const name of names.slice(0, count)) reporter.announcedOn(name, { interface: 'eth0', mac: '02:00:00:00:00:01', at });
  // One second into the backlog, bench-n2 fails and this node takes its address over.
  const failover = setTimeout(() => {
    movedAt.elected = performance.now();
    movedAt.backlog = reporter.sizes().dirty;
    reporter.observeChanges([elected(moved)], [], undefined, new Map());
    reporter.announcedOn(moved, { interface: 'eth0', mac: '02:00:00:00:00:01', at: new Date().toISOString() });
  }, 1_000);
  const timeout = setTimeout(() => resolveDone(), 600_000);
  await done;
  clearTimeout(timeout);
  clearTimeout(failover);
  const seconds = (performance.now() - t0) / 1000;
  const byResult = (await registry.getSingleMetric('herald_speaker_status_writes_total')!.get()).values.map((v) => [String(v.labels.result), v.value]);
  figures.speaker = {
    statuses: named, seconds: round(seconds, 2), statusesPerSecond: round(named / seconds), writesIssued: issued, maxInFlight,
    writeLatencyMs: summarize(writeLatency), writesByResult: Object.fromEntries(byResult),
    failover: { statusesWaitingWhenElected: movedAt.backlog ?? null, electedToStatusMs: movedAt.written !== undefined && movedAt.elected !== undefined ? round(movedAt.written - movedAt.elected) : null },
  };
  log(`speaker: ${named} statuses in ${round(seconds, 2)} s`);
  addresses.stop();
  reporter.stop();
} finally {
  figures.loadAvgAtEnd = loadavg().map((n) => round(n, 2));
  await world.stop();
}
writeReport('statusWrites', figures);
process.exit(0);
