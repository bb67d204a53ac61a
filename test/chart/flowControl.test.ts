// The chart's API Priority and Fairness objects (charts/herald/templates/flowcontrol.yaml) on the real
// apiserver of the shared control plane (APF on, its default): requests with real ServiceAccount tokens of
// herald-controller and herald-speaker, bound to exactly the chart's RBAC, and the apiserver's own word on
// how it classified each one (the X-Kubernetes-PF-FlowSchema-UID / -PriorityLevel-UID response headers).
import * as k8s from '@kubernetes/client-node';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig, cluster, kubectl, mergePatch } from '../cluster/kube.js';
import { deleteClusterRbac, serviceAccountKubeconfig, tokenKubeconfig } from '../cluster/serviceAccount.js';
import { CHART, helm } from '../install/helm.js';
import { waitFor } from '../processes.js';

const RBAC = { controller: resolve(CHART, 'rbac/controller.yaml'), speaker: resolve(CHART, 'rbac/speaker.yaml') };
const LEVEL = 'herald-leases';

/** Which FlowSchema and priority level the apiserver put a request in (its uids), and the HTTP status. */
interface Classified { status: number; flowSchema: string; priorityLevel: string }

/** Runs a `…WithHttpInfo` call and reads the classification from the response, whether it succeeded or not. */
async function classify(call: () => Promise<k8s.HttpInfo<unknown>>): Promise<Classified> {
  let status: number;
  let headers: Record<string, string>;
  try {
    const r = await call();
    status = r.httpStatusCode;
    headers = r.headers;
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw e;
    status = e.code;
    headers = e.headers as Record<string, string>;
  }
  const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? '';
  return { status, flowSchema: header('x-kubernetes-pf-flowschema-uid'), priorityLevel: header('x-kubernetes-pf-prioritylevel-uid') };
}

/** What herald's components send: their Lease requests and the speaker's LBAddress status write. */
function clientsOf(kubeconfig: string, namespace: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  const leases = kc.makeApiClient(k8s.CoordinationV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return {
    // The leader elector (packages/kube/src/leaderElector.ts): read, create, replace.
    readLease: (name: string) => classify(() => leases.readNamespacedLeaseWithHttpInfo({ namespace, name })),
    createLease: (name: string) => classify(() => leases.createNamespacedLeaseWithHttpInfo({ namespace, body: { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 15 } } })),
    replaceLease: async (name: string) => {
      const lease = await leases.readNamespacedLease({ namespace, name });
      lease.spec!.renewTime = new k8s.V1MicroTime(Date.now());
      return classify(() => leases.replaceNamespacedLeaseWithHttpInfo({ namespace, name, body: lease }));
    },
    // The speaker's membership Lease (packages/speaker/src/membership/nodeLease.ts): merge patch; its peers' by list.
    patchLease: (name: string) => classify(() => leases.patchNamespacedLeaseWithHttpInfo({ namespace, name, body: { spec: { leaseDurationSeconds: 40 } } }, mergePatch)),
    listLeases: () => classify(() => leases.listNamespacedLeaseWithHttpInfo({ namespace })),
    patchStatus: (name: string, node: string) =>
      classify(() => custom.patchClusterCustomObjectStatusWithHttpInfo({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', name, body: { status: { node, interface: 'eth0' } } }, mergePatch)),
  };
}

describe('API Priority and Fairness: the chart puts herald\'s Lease requests, and only those, in a priority level of their own', () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const flowcontrol = kc.makeApiClient(k8s.FlowcontrolApiserverV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  const ns = `apf-${tag}`;
  // Cluster-scoped: suffixed so that a chart installed by another suite is left alone.
  const name = `${LEVEL}-${ns}`;
  const address = `198.51.100.${200 + Math.floor(Math.random() * 50)}`;
  let controller: ReturnType<typeof clientsOf>;
  let speaker: ReturnType<typeof clientsOf>;
  let other: ReturnType<typeof clientsOf>;
  /** The uid of the built-in FlowSchema every ServiceAccount outside kube-system falls into, and its level's. */
  let serviceAccounts = { flowSchema: '', priorityLevel: '' };

  beforeAll(async () => {
    await applyCrds();
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const c = cluster();
    controller = clientsOf(await serviceAccountKubeconfig({ kc, cluster: c, namespace: ns, name: 'herald-controller', rbacFile: RBAC.controller }), ns);
    speaker = clientsOf(await serviceAccountKubeconfig({ kc, cluster: c, namespace: ns, name: 'herald-speaker', rbacFile: RBAC.speaker }), ns);
    // Another ServiceAccount of the namespace (no rights: the apiserver classifies a request before it
    // authorizes it, so a refused one is classified too): not herald's, so not in the level.
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'other-app' } } });
    other = clientsOf(await tokenKubeconfig({ kc, cluster: c, namespace: ns, name: 'other-app' }), ns);
    await custom.createClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', body: { apiVersion: 'herald.dev/v1beta1', kind: 'LBAddress', metadata: { name: address }, spec: { address, pool: ns, services: [] } } });
    const fs = await flowcontrol.readFlowSchema({ name: 'service-accounts' });
    const pl = await flowcontrol.readPriorityLevelConfiguration({ name: fs.spec!.priorityLevelConfiguration.name });
    serviceAccounts = { flowSchema: fs.metadata!.uid!, priorityLevel: pl.metadata!.uid! };
  }, 120_000);

  afterAll(async () => {
    await flowcontrol.deleteFlowSchema({ name }).catch(() => undefined);
    await flowcontrol.deletePriorityLevelConfiguration({ name }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', name: address }).catch(() => undefined);
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    for (const file of Object.values(RBAC)) await deleteClusterRbac(kc, file, ns);
  }, 60_000);

  it('without the chart\'s objects, a speaker\'s Lease renewal and its status writes share the service-accounts schema and level (and, one ServiceAccount, one flow)', async () => {
    expect(await speaker.createLease('herald-speaker-node-a')).toEqual({ status: 201, ...serviceAccounts });
    expect(await speaker.patchStatus(address, 'node-a')).toEqual({ status: 200, ...serviceAccounts });
    expect(await controller.createLease('herald-controller')).toEqual({ status: 201, ...serviceAccounts });
  });

  it('with them, every Lease request of the controller and the speakers is in herald-leases; the status writes and other ServiceAccounts stay where they were', async () => {
    const r = await helm(['template', 'herald', CHART, '--namespace', ns, '--kube-version', 'v1.36.4', '--show-only', 'templates/flowcontrol.yaml'], { kubeconfig: cluster().kubeconfigPath });
    if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([`FlowSchema/${LEVEL}`, `PriorityLevelConfiguration/${LEVEL}`]);
    const level = docs.find((d) => d.kind === 'PriorityLevelConfiguration') as k8s.V1PriorityLevelConfiguration;
    const schema = docs.find((d) => d.kind === 'FlowSchema') as k8s.V1FlowSchema;
    level.metadata!.name = name;
    schema.metadata!.name = name;
    schema.spec!.priorityLevelConfiguration.name = name;
    const ours = {
      priorityLevel: (await flowcontrol.createPriorityLevelConfiguration({ body: level })).metadata!.uid!,
      flowSchema: (await flowcontrol.createFlowSchema({ body: schema })).metadata!.uid!,
    };

    // The apiserver loads the configuration asynchronously: the first renewal classified as ours is the marker.
    await waitFor('a speaker Lease renewal in herald-leases', async () => {
      const got = await speaker.patchLease('herald-speaker-node-a');
      if (got.flowSchema !== ours.flowSchema) throw new Error(`classified as ${JSON.stringify(got)}`);
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const inLevel = { ...ours };
    expect(await speaker.patchLease('herald-speaker-node-a')).toEqual({ status: 200, ...inLevel });
    expect(await speaker.createLease('herald-speaker-node-b')).toEqual({ status: 201, ...inLevel });
    expect(await speaker.listLeases()).toEqual({ status: 200, ...inLevel });
    expect(await controller.readLease('herald-controller')).toEqual({ status: 200, ...inLevel });
    expect(await controller.replaceLease('herald-controller')).toEqual({ status: 200, ...inLevel });
    // What the level keeps Leases apart from: the speakers' status writes, and anyone else's Lease requests.
    expect(await speaker.patchStatus(address, 'node-b')).toEqual({ status: 200, ...serviceAccounts });
    expect(await other.patchLease('herald-speaker-node-a')).toEqual({ status: 403, ...serviceAccounts });

    // The level has seats of its own, never lent (the apiserver's figures; 600 in all by default).
    const metrics = await kubectl(['get', '--raw', '/metrics']);
    expect(metrics.code, metrics.stderr).toBe(0);
    const seats = (metric: string) => Number(new RegExp(`^${metric}\\{[^}]*priority_level="${name}"[^}]*\\} (\\S+)$`, 'm').exec(metrics.stdout)?.[1]);
    const nominal = seats('apiserver_flowcontrol_nominal_limit_seats');
    expect(nominal).toBeGreaterThanOrEqual(1);
    expect(seats('apiserver_flowcontrol_lower_limit_seats'), 'seats lent to other levels').toBe(nominal);
  }, 90_000);
});
