// Speaker Lease renewals during a storm of LBAddress status writes, on a starved apiserver (its own control
// plane with --max-requests-inflight=2 --max-mutating-requests-inflight=1: 3 seats for all priority levels, so that
// the storm is held back by seats rather than by the host's CPU),
// without and then with the chart's API Priority and Fairness objects (charts/herald/templates/flowcontrol.yaml).
// The storm is `--writers` concurrent merge patches of LBAddress status in a loop, the renewer one merge patch
// of Lease herald-speaker-<node> every 250 ms, both with the same herald-speaker ServiceAccount token and the
// chart's RBAC, as a speaker sends them. Prints one JSON line per phase: renewal latencies, failures, and the
// storm's write rate.
//
//   flock /tmp/hrl-bench.lock node --import tsx bench/speaker/leaseUnderStatusStorm.ts [--writers 96] [--seconds 8]
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { clusterInfoOf, startControlPlane } from '../../test/cluster/controlPlane.js';
import { applyCrds } from '../../test/cluster/crds.js';
import { mergePatch, useCluster } from '../../test/cluster/kube.js';
import { serviceAccountKubeconfig } from '../../test/cluster/serviceAccount.js';
import { harnessTempDir } from '../../test/harnessTempDir.js';
import { CHART, helm } from '../../test/install/helm.js';

const { values } = parseArgs({ options: { writers: { type: 'string', default: '96' }, seconds: { type: 'string', default: '8' }, 'storm-kubeconfig': { type: 'string' } } });
const writers = Number(values.writers);
const seconds = Number(values.seconds);
const NS = 'herald-system';
const ADDRESSES = 64;
const names = Array.from({ length: ADDRESSES }, (_, i) => `192.0.2.${i + 1}`);

/**
 * The storm, in a process of its own (so that its callbacks do not delay the renewer's): `writers` loops of
 * status writes until SIGTERM, then one JSON line with the counts.
 */
async function storm(kubeconfig: string): Promise<never> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let stop = false;
  let writes = 0;
  let errors = 0;
  process.once('SIGTERM', () => { stop = true; });
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      try {
        await custom.patchClusterCustomObjectStatus({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', name: names[(w + i) % names.length]!, body: { status: { node: i % 2 ? 'n1' : 'n2', interface: `eth${i % 4}` } } }, mergePatch);
        if (writes++ === 0) console.log('storming');
      } catch {
        errors++;
      }
    }
  }));
  console.log(JSON.stringify({ writes, errors }));
  process.exit(0);
}
if (values['storm-kubeconfig']) await storm(values['storm-kubeconfig']);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const dir = harnessTempDir('bench-apf');
const plane = await startControlPlane({ apiserverArgs: ['--max-requests-inflight=2', '--max-mutating-requests-inflight=1'], log: (m) => process.stderr.write(`[cluster] ${m}\n`) });
try {
  const info = clusterInfoOf(plane);
  useCluster(info);
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(plane.kubeconfigPath);
  await applyCrds();
  await admin.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  const speakerKubeconfig = await serviceAccountKubeconfig({ kc: admin, cluster: info, namespace: NS, name: 'herald-speaker', rbacFile: resolve(CHART, 'rbac/speaker.yaml') });
  const speakerKc = new k8s.KubeConfig();
  speakerKc.loadFromString(speakerKubeconfig);
  const leases = speakerKc.makeApiClient(k8s.CoordinationV1Api);
  const adminCustom = admin.makeApiClient(k8s.CustomObjectsApi);
  const stormKubeconfig = join(dir, 'speaker.kubeconfig');
  writeFileSync(stormKubeconfig, speakerKubeconfig);
  for (const address of names) {
    await adminCustom.createClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', body: { apiVersion: 'herald.dev/v1beta1', kind: 'LBAddress', metadata: { name: address }, spec: { address, pool: 'bench', services: [] } } });
  }
  await leases.createNamespacedLease({ namespace: NS, body: { metadata: { name: 'herald-speaker-n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } } });

  const phase = async (name: string) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--storm-kubeconfig', stormKubeconfig, '--writers', String(writers)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((res) => child.once('exit', res));
    // A positive marker that the storm runs (its first write went through), then a second for its writers to queue up.
    for (let i = 0; !out.includes('storming'); i++) {
      if (i > 600) throw new Error('the storm never wrote');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const latencies: number[] = [];
    let failed = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1_000) {
      const t0 = performance.now();
      try {
        await leases.patchNamespacedLease({ namespace: NS, name: 'herald-speaker-n1', body: { spec: { renewTime: new k8s.V1MicroTime(Date.now()) } } }, mergePatch);
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    child.kill('SIGTERM');
    await exited;
    const { writes, errors: writeErrors } = JSON.parse(out.split('\n').filter(Boolean).at(-1)!) as { writes: number; errors: number };
    const sorted = latencies.sort((a, b) => a - b);
    console.log(JSON.stringify({
      bench: 'leaseUnderStatusStorm', phase: name, writers, seconds, renewals: sorted.length, renewalsFailed: failed,
      renewalP50Ms: Math.round(quantile(sorted, 0.5)), renewalP99Ms: Math.round(quantile(sorted, 0.99)), renewalMaxMs: Math.round(sorted.at(-1) ?? 0),
      statusWrites: writes, statusWriteErrors: writeErrors,
    }));
  };

  await phase('withoutFlowSchema');
  const r = await helm(['template', 'herald', CHART, '--namespace', NS, '--kube-version', 'v1.36.4', '--show-only', 'templates/flowcontrol.yaml'], { kubeconfig: plane.kubeconfigPath });
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  const flowcontrol = admin.makeApiClient(k8s.FlowcontrolApiserverV1Api);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string });
  await flowcontrol.createPriorityLevelConfiguration({ body: docs.find((d) => d.kind === 'PriorityLevelConfiguration') as k8s.V1PriorityLevelConfiguration });
  const schema = await flowcontrol.createFlowSchema({ body: docs.find((d) => d.kind === 'FlowSchema') as k8s.V1FlowSchema });
  // The apiserver loads the configuration asynchronously: wait until a renewal is classified as herald-leases.
  for (let i = 0; ; i++) {
    const got = await leases.patchNamespacedLeaseWithHttpInfo({ namespace: NS, name: 'herald-speaker-n1', body: { spec: { leaseDurationSeconds: 40 } } }, mergePatch);
    if (Object.entries(got.headers).some(([k, v]) => k.toLowerCase() === 'x-kubernetes-pf-flowschema-uid' && v === schema.metadata!.uid)) break;
    if (i > 100) throw new Error('the apiserver never classified a renewal as herald-leases');
    await new Promise((res) => setTimeout(res, 100));
  }
  await phase('withChartFlowSchema');
} finally {
  await plane.stop();
  rmSync(dir, { recursive: true, force: true });
}
