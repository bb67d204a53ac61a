import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION, type LBAddress } from '@herald/core';
import type { Reflector } from '@herald/kube';
import type { KubeWriter } from '../../packages/controller/src/kube/kubeWriter.js';
import type { ServiceStatusWriter } from '../../packages/controller/src/kube/serviceStatusWriter.js';
import { createControllerMetrics } from '../../packages/controller/src/metrics.js';
import { ServiceController } from '../../packages/controller/src/reconcile/serviceController.js';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { lbService } from './heraldObjects.js';

/**
 * The controller's caches hold projections (what it reads), not the API server's objects: with 10,000
 * Services that is the difference between fitting the chart's 256 MiB limit and not. A ServiceController
 * fills its caches from the real API server here (it never leads, so it writes nothing); the test reads the
 * cached objects. It fails if the Service or LBAddress cache stores objects without the projection.
 */
describe('the controller caches projections of what it reads', () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const tag = Math.random().toString(36).slice(2, 7);
  const ns = `proj-${tag}`;
  const lbClass = `herald.dev/proj-${tag}`;
  // A documentation address no other suite uses; its name is the address (core's lbAddressName).
  const address = `203.0.113.${200 + Math.floor(Math.random() * 50)}`;
  const lbName = address;
  let controller: ServiceController | undefined;

  beforeAll(async () => {
    await applyCrds();
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  afterAll(async () => {
    controller?.stop();
    await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'lbaddresses', name: lbName }).catch(() => undefined);
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('a cached Service has no managedFields, ClusterIPs or port names; a cached LBAddress no apiVersion or ownerReferences', async () => {
    await core.createNamespacedService({ namespace: ns, body: lbService('web', { lbClass, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }) });
    // The owner must exist: the control plane's garbage collector deletes an object whose owner's uid is
    // unknown (a made-up pool uid made this test fail at random). The test's Namespace is cluster-scoped too.
    const owner = await core.readNamespace({ name: ns });
    await custom.createClusterCustomObject({
      group: GROUP, version: VERSION, plural: 'lbaddresses',
      body: {
        apiVersion: `${GROUP}/${VERSION}`, kind: 'LBAddress',
        metadata: { name: lbName, ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: ns, uid: owner.metadata!.uid! }] },
        spec: { address, pool: 'gone', services: [{ namespace: ns, name: 'web' }] },
      },
    });
    // What the API server holds: the fields the projection must leave out are there to be left out.
    const served = await core.readNamespacedService({ namespace: ns, name: 'web' });
    expect(served.metadata?.managedFields?.length).toBeGreaterThan(0);
    expect(served.spec?.clusterIPs?.length).toBe(1);

    const writer = { settled: 0, idle: () => Promise.resolve(), event: () => undefined } as unknown as KubeWriter;
    const statusWriter = { dropAll: () => undefined } as unknown as ServiceStatusWriter;
    controller = new ServiceController({ kubeConfig: kc, log: pino({ level: 'silent' }), metrics: createControllerMetrics(), writer, statusWriter, lbClass, writeBackoff: { initialMs: 1_000, maxMs: 300_000 } });
    await controller.start();
    // The caches are private: read them as the controller does.
    const caches = controller as unknown as { services: Reflector<k8s.V1Service & { metadata: object }>; addresses: Reflector<LBAddress> };
    let svc: k8s.V1Service | undefined;
    let lb: (LBAddress & { metadata: { ownerReferences?: unknown } }) | undefined;
    await waitFor('both objects in the caches', () => ((svc = caches.services.store.get(`${ns}/web`)), (lb = caches.addresses.store.get(lbName)), !!svc && !!lb), { timeoutMs: 10_000, intervalMs: 50 });

    expect(svc?.metadata?.name).toBe('web');
    expect(svc?.spec?.loadBalancerClass).toBe(lbClass);
    expect(svc?.spec?.ports).toEqual([{ protocol: 'TCP', port: 80 }]);
    expect(svc?.metadata?.managedFields).toBeUndefined();
    expect(svc?.metadata?.creationTimestamp).toBeUndefined();
    expect(svc?.spec?.clusterIPs).toBeUndefined();
    expect(svc?.spec?.clusterIP).toBeUndefined();

    expect(lb?.spec).toEqual({ address, pool: 'gone', services: [{ namespace: ns, name: 'web' }] });
    expect(lb?.metadata.resourceVersion).toBeTruthy();
    expect(lb?.apiVersion).toBeUndefined();
    expect(lb?.metadata.ownerReferences).toBeUndefined();
  });
});
