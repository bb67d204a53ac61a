import * as k8s from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { metricValue, type ControllerProcess } from './controllerProcess.js';
import { controllerRelease } from './controllerRelease.js';
import { condition, ingressIPs, lbService } from './heraldObjects.js';

const ASSIGNED = 'herald.dev/AddressAssigned';
const ANNOUNCED = 'herald.dev/Announced';
const FOREIGN = 'example.com/Ready';
// Short backoff so the cap is reached within seconds; production defaults are 1 s and 5 min.
const INITIAL_MS = 250;
const CAP_MS = 2_000;
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

/** The HTTP status of a call that is expected to fail (0 if it succeeded). */
const statusOf = (p: Promise<unknown>) => p.then(() => 0, (e: { code?: number }) => e.code ?? -1);

describe('Service status writes: server-side apply, least privilege, backoff', () => {
  const { kc, core, h, releaseNs, lbClass, kubeconfig, start } = controllerRelease({ classPrefix: 'writes' });
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const clusterRole = `herald-controller-${releaseNs}`;
  let saCore: k8s.CoreV1Api;
  let controller: ControllerProcess;

  beforeAll(async () => {
    const saKc = new k8s.KubeConfig();
    saKc.loadFromString(kubeconfig());
    saCore = saKc.makeApiClient(k8s.CoreV1Api);
    controller = await start({ extraArgs: ['--write-backoff-initial', String(INITIAL_MS), '--write-backoff-max', String(CAP_MS)] });
  });

  afterEach(async () => {
    await h.deleteServicesOfClass(lbClass);
    await h.deleteAll();
  });

  const foreignCondition = (message: string) => ({ type: FOREIGN, status: 'True', reason: 'Checked', message, lastTransitionTime: new Date().toISOString() });
  const applyForeign = (ns: string, name: string, i: number, version = '') =>
    core.patchNamespacedServiceStatus(
      { namespace: ns, name, fieldManager: 'other-controller', body: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, status: { conditions: [foreignCondition(`probe ${i}${version ? ` ${version}` : ''}`)] } } },
      apply,
    );

  it("the controller's ServiceAccount can write Service status but not a Service's spec or metadata", async () => {
    const ns = await testNamespace();
    // Another class, so the running controller leaves it alone.
    await core.createNamespacedService({ namespace: ns, body: lbService('probe', { lbClass: 'example.com/not-herald' }) });
    const body = (status: object) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'probe', namespace: ns }, status });
    // Positive marker first: the token works, and status is writable by server-side apply.
    const written = await saCore.patchNamespacedServiceStatus({ namespace: ns, name: 'probe', fieldManager: 'herald-controller', force: true, body: body({ loadBalancer: { ingress: [{ ip: '192.0.2.250' }] } }) }, apply);
    expect(ingressIPs(written)).toEqual(['192.0.2.250']);
    expect(await statusOf(saCore.readNamespacedService({ namespace: ns, name: 'probe' }))).toBe(0);
    // What the old ClusterRole allowed on every Service in the cluster: now refused.
    expect(await statusOf(saCore.patchNamespacedService({ namespace: ns, name: 'probe', body: { metadata: { annotations: { 'herald.dev/allocated-from-pool': 'x' } } } }, mergePatch))).toBe(403);
    expect(await statusOf(saCore.patchNamespacedService({ namespace: ns, name: 'probe', body: { spec: { ports: [{ name: 'http', port: 81, targetPort: 8080 }] } } }, mergePatch))).toBe(403);
    expect(await statusOf(saCore.replaceNamespacedService({ namespace: ns, name: 'probe', body: await core.readNamespacedService({ namespace: ns, name: 'probe' }) }))).toBe(403);
    expect(await statusOf(saCore.deleteNamespacedService({ namespace: ns, name: 'probe' }))).toBe(403);
    expect(await statusOf(saCore.replaceNamespacedServiceStatus({ namespace: ns, name: 'probe', body: await core.readNamespacedService({ namespace: ns, name: 'probe' }) }))).toBe(403);
    const svc = await core.readNamespacedService({ namespace: ns, name: 'probe' });
    expect(svc.metadata?.annotations?.['herald.dev/allocated-from-pool']).toBeUndefined();
    expect(svc.spec?.ports?.[0]?.port).toBe(80);
  });

  it("another field manager's condition on the Service survives herald's writes", async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.160/28'] });
    const names = Array.from({ length: 8 }, (_, i) => `svc-${i}`);
    // The other controller writes its condition right after each Service appears: while herald is deciding
    // (its cache does not hold the condition yet) and before herald rewrites its own conditions.
    for (const [i, name] of names.entries()) {
      await core.createNamespacedService({ namespace: ns, body: lbService(name, { lbClass }) });
      await applyForeign(ns, name, i);
    }
    for (const name of names) await h.waitForService(ns, name, 'an address', (s) => ingressIPs(s).length === 1 && condition(s, ANNOUNCED)?.reason === 'NoL2Advertisement');
    // A change that makes herald rewrite a condition on every Service, now that each carries the other one.
    await h.createL2Advertisement('all', {});
    for (const name of names) await h.waitForService(ns, name, 'AwaitingSpeaker', (s) => condition(s, ANNOUNCED)?.reason === 'AwaitingSpeaker');
    // The other controller updates its condition, as an applier without force. A herald that wrote the
    // whole list (merge patch) became co-owner of that condition and this apply would conflict (409); a
    // herald write built from a cached copy would later put the old value back.
    await Promise.all(names.map((name, i) => applyForeign(ns, name, i, 'v2')));
    // And herald rewrites its Announced condition once more on one of them.
    const address = ingressIPs(await h.service(ns, 'svc-0'))[0] as string;
    await h.patchLBAddressStatus(address, { node: 'node-a', interface: 'eth0', mac: '02:48:52:4c:00:01', since: new Date().toISOString(), transitions: 1 });
    await h.waitForService(ns, 'svc-0', 'Announcing', (s) => condition(s, ANNOUNCED)?.reason === 'Announcing');
    for (const [i, name] of names.entries()) {
      const svc = await h.service(ns, name);
      expect(condition(svc, FOREIGN), name).toMatchObject({ status: 'True', message: `probe ${i} v2` });
      expect(condition(svc, ASSIGNED)?.status, name).toBe('True');
      // herald owns its fields as an applier on the status subresource, and nothing in metadata.
      const managers = (svc.metadata?.managedFields ?? []).filter((m) => m.manager === 'herald-controller');
      expect(managers.map((m) => `${m.operation}/${m.subresource}`), name).toEqual(['Apply/status']);
      expect(svc.metadata?.annotations?.['herald.dev/allocated-from-pool'], name).toBeUndefined();
    }

    // herald's cache behind the other controller: herald is frozen while a change it must write (svc-1 is now
    // announced) and then the other controller's update of its own condition happen. On waking, herald
    // writes from its cache, which does not hold that update yet; the update must survive.
    const address1 = ingressIPs(await h.service(ns, 'svc-1'))[0] as string;
    controller.proc.kill('SIGSTOP');
    try {
      await h.patchLBAddressStatus(address1, { node: 'node-b', interface: 'eth0', mac: '02:48:52:4c:00:02', since: new Date().toISOString(), transitions: 1 });
      await applyForeign(ns, 'svc-1', 1, 'v3');
    } finally {
      controller.proc.kill('SIGCONT');
    }
    await h.waitForService(ns, 'svc-1', 'Announcing', (s) => condition(s, ANNOUNCED)?.reason === 'Announcing');
    expect(condition(await h.service(ns, 'svc-1'), FOREIGN)).toMatchObject({ message: 'probe 1 v3' });

    // Releasing the Service removes herald's conditions and keeps the other one.
    await core.patchNamespacedService({ namespace: ns, name: 'svc-0', body: { spec: { type: 'ClusterIP' } } }, mergePatch);
    const cleared = await h.waitForService(ns, 'svc-0', 'herald conditions gone', (s) => !condition(s, ASSIGNED) && !condition(s, ANNOUNCED) && ingressIPs(s).length === 0);
    expect(condition(cleared, FOREIGN)).toMatchObject({ message: 'probe 0 v2' });
  });

  it('clears what an older herald wrote by merge patch once the Service stops being a LoadBalancer, keeping its annotation', async () => {
    const ns = await testNamespace();
    // An older herald's leftovers: status written with a merge patch (another field manager) and the annotation.
    // The Service is of another class, so this controller leaves it alone while it is a LoadBalancer.
    await core.createNamespacedService({ namespace: ns, body: lbService('old', { lbClass: 'example.com/older-herald', annotations: { 'herald.dev/allocated-from-pool': 'web' } }) });
    const old = (type: string, message: string) => ({ type, status: 'True', reason: 'Assigned', message, lastTransitionTime: new Date().toISOString() });
    await core.patchNamespacedServiceStatus(
      { namespace: ns, name: 'old', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.190' }] }, conditions: [old(ASSIGNED, '192.0.2.190 from pool "web"'), old(ANNOUNCED, 'x'), foreignCondition('theirs')] } } },
      mergePatch,
    );
    await core.patchNamespacedService({ namespace: ns, name: 'old', body: { spec: { type: 'ClusterIP', loadBalancerClass: null } } }, mergePatch);
    const cleared = await h.waitForService(ns, 'old', 'herald conditions and address gone', (s) => !condition(s, ASSIGNED) && !condition(s, ANNOUNCED) && ingressIPs(s).length === 0);
    expect(condition(cleared, FOREIGN)).toMatchObject({ message: 'theirs' });
    // herald may not write metadata any more: the old annotation stays (documented).
    expect(cleared.metadata?.annotations?.['herald.dev/allocated-from-pool']).toBe('web');
  });

  it('a 403 on status writes backs off to the cap and reports it once; restoring RBAC recovers within one cap interval', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.180/30'] });
    const role = await rbac.readClusterRole({ name: clusterRole });
    const full = role.rules ?? [];
    const withoutStatus = full.filter((r) => !r.resources?.includes('services/status'));
    expect(withoutStatus.length).toBe(full.length - 1);
    await rbac.replaceClusterRole({ name: clusterRole, body: { ...role, rules: withoutStatus } });
    const probe = () => statusOf(saCore.patchNamespacedServiceStatus({ namespace: releaseNs, name: 'none', body: { status: {} } }, mergePatch));
    // RBAC is read from an informer: wait until the apiserver really refuses (403, not 404 for the missing Service).
    await waitFor('services/status to be forbidden', async () => (await probe()) === 403, { timeoutMs: 10_000, intervalMs: 100 });

    await core.createNamespacedService({ namespace: ns, body: lbService('blocked', { lbClass }) });
    const retries = () =>
      controller.logLines().filter((l) => l.event === 'statusWriteRetry' && l.service === `${ns}/blocked`) as { delayMs: number; attempt: number; reason: string }[];
    // Attempts at 0, 0.25, 0.75, 1.75, 3.75 s…: the fourth failure waits the full cap (less ≤20% jitter).
    await waitFor('a retry delay at the cap', async () => retries().some((r) => r.delayMs >= CAP_MS * 0.8), { timeoutMs: 15_000, intervalMs: 100 });
    await waitFor('a retry after the capped delay', async () => retries().filter((r) => r.delayMs >= CAP_MS * 0.8).length >= 2, { timeoutMs: 10_000, intervalMs: 100 });
    const seen = retries();
    expect(seen.every((r) => r.reason === 'Forbidden' && r.delayMs <= CAP_MS)).toBe(true);
    // Exponential: each delay before the cap is at least 1.6× the one before (2× less jitter).
    const delays = seen.map((r) => r.delayMs);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(Math.min((delays[i - 1] as number) * 1.6, CAP_MS * 0.8));
    expect(seen.length).toBeLessThan(10);

    expect(ingressIPs(await h.service(ns, 'blocked'))).toEqual([]);
    const m = await controller.metrics();
    expect(metricValue(m, 'herald_controller_write_backoff_objects', { kind: 'serviceStatus', reason: 'Forbidden', state: 'retrying' })).toBe(1);
    expect(metricValue(m, 'herald_controller_write_failures_total', { kind: 'serviceStatus', reason: 'Forbidden' })).toBeGreaterThanOrEqual(seen.length);
    // Reported once per transition, not per retry.
    const warnings = (await h.events(ns, 'blocked')).filter((e) => e.reason === 'StatusWriteFailed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning', message: expect.stringContaining('Forbidden 403') });
    expect(controller.logLines().filter((l) => l.event === 'statusWriteFailing' && l.service === `${ns}/blocked`)).toHaveLength(1);

    await rbac.replaceClusterRole({ name: clusterRole, body: { ...(await rbac.readClusterRole({ name: clusterRole })), rules: full } });
    // From the moment the apiserver allows the write again (404: the probe's Service does not exist).
    await waitFor('services/status to be allowed again', async () => (await probe()) === 404, { timeoutMs: 10_000, intervalMs: 20 });
    const restored = Date.now();
    await h.waitForService(ns, 'blocked', 'an address after RBAC came back', (s) => ingressIPs(s)[0] === '192.0.2.180' && condition(s, ASSIGNED)?.status === 'True', CAP_MS + 5_000);
    const recoveredAfterMs = Date.now() - restored;
    // One cap interval, plus this test's 100 ms polling and a loaded machine's scheduling.
    expect(recoveredAfterMs).toBeLessThanOrEqual(CAP_MS + 1_000);
    await waitFor('a StatusWriteRecovered event', async () => (await h.events(ns, 'blocked')).some((e) => e.type === 'Normal' && e.reason === 'StatusWriteRecovered'), { timeoutMs: 5_000 });
    expect(metricValue(await controller.metrics(), 'herald_controller_write_backoff_objects', { kind: 'serviceStatus', reason: 'Forbidden', state: 'retrying' })).toBe(0);
    expect(controller.logLines().filter((l) => l.event === 'statusWriteRecovered' && l.service === `${ns}/blocked`)).toHaveLength(1);
    process.stderr.write(`[statusWrites] recovered ${recoveredAfterMs} ms after RBAC was restored (cap ${CAP_MS} ms); ${seen.length} retries logged\n`);
  });
});
