import * as k8s from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testNamespace } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { metricValue, type ControllerProcess } from './controllerProcess.js';
import { controllerRelease } from './controllerRelease.js';
import { condition, ingressIPs, lbService } from './heraldObjects.js';

const ASSIGNED = 'herald.dev/AddressAssigned';
const ANNOUNCED = 'herald.dev/Announced';
const POOL_ANNOTATION = 'herald.dev/allocated-from-pool';

describe('herald-controller against the real apiserver, with only its own RBAC', () => {
  const { core, h, lbClass, start } = controllerRelease({ classPrefix: 'test' });
  let controller: ControllerProcess;

  beforeAll(async () => {
    controller = await start();
  });

  afterEach(async () => {
    // Namespaces are deleted asynchronously; their Services must not live on into the next test's pools.
    await h.deleteServicesOfClass(lbClass);
    await h.deleteAll();
  });

  const create = (ns: string, name: string, o: Parameters<typeof lbService>[1] = {}) => core.createNamespacedService({ namespace: ns, body: lbService(name, { lbClass, ...o }) });

  it('assigns the first address, shows it in kubectl get svc, explains it, records it as an LBAddress and counts it', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.10-192.0.2.20'] });
    await create(ns, 'ingress', { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] });
    const svc = await h.waitForService(ns, 'ingress', 'an address', (s) => ingressIPs(s).length > 0 && condition(s, ANNOUNCED) !== undefined);
    expect(ingressIPs(svc)).toEqual(['192.0.2.10']);
    // The controller may write Service status only: the pool is named in the condition, not an annotation.
    expect(svc.metadata?.annotations?.[POOL_ANNOTATION]).toBeUndefined();
    expect(condition(svc, ASSIGNED)).toMatchObject({ status: 'True', reason: 'Assigned', message: '192.0.2.10 from pool "web"' });
    expect(condition(svc, ANNOUNCED)).toMatchObject({ status: 'False', reason: 'NoL2Advertisement' });
    expect((await kubectl(['get', 'svc', 'ingress', '-n', ns])).stdout).toMatch(/ingress\s+LoadBalancer\s+\S+\s+192\.0\.2\.10\s+80:\d+\/TCP,443:\d+\/TCP/);

    await waitFor('the AddressAssigned event', async () => (await h.events(ns, 'ingress')).some((e) => e.reason === 'AddressAssigned' && e.type === 'Normal'), { timeoutMs: 5_000 });
    await waitFor('the LBAddress object', async () => (await h.lbAddress('192.0.2.10'))?.spec.services?.[0]?.name === 'ingress', { timeoutMs: 5_000 });
    expect((await h.lbAddress('192.0.2.10'))?.spec).toEqual({ address: '192.0.2.10', pool: 'web', services: [{ namespace: ns, name: 'ingress' }], serviceNames: `${ns}/ingress` });
    await waitFor('pool status counts', async () => (await h.pool('web')).status?.assigned === 1, { timeoutMs: 5_000 });
    const pool = await h.pool('web');
    expect(pool.status).toMatchObject({ assignedIPv4: 1, availableIPv4: 10, available: '10' });
    expect(pool.status?.conditions?.find((c) => c.type === 'Valid')?.status).toBe('True');
    const m = await controller.metrics();
    expect(metricValue(m, 'herald_pool_addresses_total', { pool: 'web', family: 'IPv4' })).toBe(11);
    expect(metricValue(m, 'herald_pool_addresses_in_use', { pool: 'web', family: 'IPv4' })).toBe(1);
    const logged = controller.logLines().find((l) => l.event === 'addressAssigned' && l.service === `${ns}/ingress`);
    expect(logged).toMatchObject({ level: 30, addresses: ['192.0.2.10'] });

    // A resync must not emit the event again: events are for transitions only.
    const before = (await h.events(ns, 'ingress')).filter((e) => e.reason === 'AddressAssigned').length;
    await core.patchNamespacedService({ namespace: ns, name: 'ingress', body: { metadata: { labels: { touched: 'yes' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    // Positive marker first: a Service created after the edit is assigned, so the controller has handled the edit.
    await create(ns, 'marker');
    await h.waitForService(ns, 'marker', 'an address', (s) => ingressIPs(s).length === 1);
    expect((await h.events(ns, 'ingress')).filter((e) => e.reason === 'AddressAssigned').length).toBe(before);
  });

  it('mirrors the speakers: Announced follows L2Advertisements and LBAddress status', async () => {
    const ns = await testNamespace();
    await h.createPool('lan', { addresses: ['192.0.2.30/31'] });
    await create(ns, 'web');
    await h.waitForService(ns, 'web', 'NoL2Advertisement', (s) => condition(s, ANNOUNCED)?.reason === 'NoL2Advertisement');
    await h.createL2Advertisement('all', {});
    await h.waitForService(ns, 'web', 'AwaitingSpeaker', (s) => condition(s, ANNOUNCED)?.reason === 'AwaitingSpeaker');
    await waitFor('the LBAddress', async () => (await h.lbAddress('192.0.2.30')) !== undefined, { timeoutMs: 5_000 });
    await h.patchLBAddressStatus('192.0.2.30', { node: 'node-a', interface: 'eth0', mac: '02:48:52:4c:00:01', since: new Date().toISOString(), transitions: 1 });
    const svc = await h.waitForService(ns, 'web', 'Announcing', (s) => condition(s, ANNOUNCED)?.status === 'True');
    expect(condition(svc, ANNOUNCED)).toMatchObject({ reason: 'Announcing', message: '192.0.2.30 from node node-a on eth0 (02:48:52:4c:00:01)' });
  });

  it('a Service waiting on an exhausted pool gets the address freed by a deleted Service', async () => {
    const ns = await testNamespace();
    await h.createPool('tiny', { addresses: ['192.0.2.40/32'] });
    await create(ns, 'first');
    await h.waitForService(ns, 'first', 'an address', (s) => ingressIPs(s)[0] === '192.0.2.40');
    await create(ns, 'second');
    const pending = await h.waitForService(ns, 'second', 'PoolExhausted', (s) => condition(s, ASSIGNED)?.reason === 'PoolExhausted');
    expect(condition(pending, ASSIGNED)?.message).toContain('"tiny"');
    expect((await kubectl(['get', 'svc', 'second', '-n', ns])).stdout).toContain('<pending>');
    await waitFor('a Warning event PoolExhausted', async () => (await h.events(ns, 'second')).some((e) => e.type === 'Warning' && e.reason === 'PoolExhausted'), { timeoutMs: 5_000 });
    expect(metricValue(await controller.metrics(), 'herald_allocation_failures_total', { reason: 'PoolExhausted' })).toBeGreaterThanOrEqual(1);
    await core.deleteNamespacedService({ namespace: ns, name: 'first' });
    await h.waitForService(ns, 'second', 'the freed address', (s) => ingressIPs(s)[0] === '192.0.2.40' && condition(s, ASSIGNED)?.status === 'True');
  });

  it('a Service changed away from LoadBalancer loses its address, annotation, conditions and LBAddress', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.50/31'] });
    await create(ns, 'web');
    await h.waitForService(ns, 'web', 'an address', (s) => ingressIPs(s).length === 1);
    await waitFor('the LBAddress', async () => (await h.lbAddress('192.0.2.50')) !== undefined, { timeoutMs: 5_000 });
    await core.patchNamespacedService({ namespace: ns, name: 'web', body: { spec: { type: 'ClusterIP' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const svc = await h.waitForService(ns, 'web', 'cleared', (s) => ingressIPs(s).length === 0 && !s.metadata?.annotations?.[POOL_ANNOTATION] && !condition(s, ASSIGNED));
    expect(svc.spec?.type).toBe('ClusterIP');
    await waitFor('the LBAddress to go', async () => (await h.lbAddress('192.0.2.50')) === undefined, { timeoutMs: 5_000 });
  });

  it('ignores Services of another loadBalancerClass', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.60/31'] });
    await core.createNamespacedService({ namespace: ns, body: lbService('theirs', { lbClass: 'example.com/other' }) });
    await create(ns, 'ours');
    await h.waitForService(ns, 'ours', 'an address', (s) => ingressIPs(s).length === 1);
    const theirs = await h.service(ns, 'theirs');
    expect(ingressIPs(theirs)).toEqual([]);
    expect(condition(theirs, ASSIGNED)).toBeUndefined();
  });

  it('honours MetalLB annotations and warns with the herald key', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.72/29'] });
    await create(ns, 'legacy', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.0.2.75' } });
    await h.waitForService(ns, 'legacy', 'the requested address', (s) => ingressIPs(s)[0] === '192.0.2.75');
    await waitFor('a DeprecatedAnnotation warning', async () =>
      (await h.events(ns, 'legacy')).some((e) => e.type === 'Warning' && e.reason === 'DeprecatedAnnotation' && e.message.includes('herald.dev/loadBalancerIPs')), { timeoutMs: 5_000 });
  });

  it('keeps addresses when pools are edited or added, and releases with a warning what leaves every pool', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.100/30'] });
    await create(ns, 'a');
    await h.waitForService(ns, 'a', 'an address', (s) => ingressIPs(s)[0] === '192.0.2.100');
    await h.patchPoolSpec('web', { addresses: ['192.0.2.80/30', '192.0.2.100/30'] });
    await h.createPool('first', { addresses: ['198.51.100.200/30'], serviceAllocation: { priority: 1 } });
    await create(ns, 'b');
    await h.waitForService(ns, 'b', 'an address from the new priority pool', (s) => ingressIPs(s)[0] === '198.51.100.200');
    expect(ingressIPs(await h.service(ns, 'a'))).toEqual(['192.0.2.100']);

    await h.patchPoolSpec('web', { addresses: ['192.0.2.80/30'] });
    const moved = await h.waitForService(ns, 'a', 'a new address', (s) => ingressIPs(s)[0] !== '192.0.2.100' && ingressIPs(s).length === 1);
    expect(ingressIPs(moved)).toEqual(['198.51.100.201']);
    await waitFor('an AddressReleased warning', async () =>
      (await h.events(ns, 'a')).some((e) => e.type === 'Warning' && e.reason === 'AddressReleased' && e.message.includes('192.0.2.100')), { timeoutMs: 5_000 });
  });

  it('flags a pool overlapping an older one and leaves existing allocations alone', async () => {
    const ns = await testNamespace();
    await h.createPool('older', { addresses: ['192.0.2.120/29'] });
    await create(ns, 'a');
    await h.waitForService(ns, 'a', 'an address', (s) => ingressIPs(s)[0] === '192.0.2.120');
    // creationTimestamp has one-second resolution (ties go by name), so make "newer" really newer.
    await new Promise((r) => setTimeout(r, 1_100));
    await h.createPool('newer', { addresses: ['192.0.2.124/30'] });
    await waitFor('Valid=False on the newer pool', async () => (await h.pool('newer')).status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'False') === true, { timeoutMs: 5_000 });
    const newer = await h.pool('newer');
    expect(newer.status?.conditions?.find((c) => c.type === 'Conflict')).toMatchObject({ status: 'True' });
    expect(newer.status?.conditions?.find((c) => c.type === 'Valid')?.message).toContain('pool "older"');
    expect((await h.pool('older')).status?.conditions?.find((c) => c.type === 'Valid')?.status).toBe('True');
    expect(ingressIPs(await h.service(ns, 'a'))).toEqual(['192.0.2.120']);
    expect((await kubectl(['get', 'ipaddresspools'])).stdout).toMatch(/newer\s.*False/);
  });

  it('an invalid request keeps the address and says why', async () => {
    const ns = await testNamespace();
    await h.createPool('web', { addresses: ['192.0.2.140/30'] });
    await create(ns, 'a');
    await h.waitForService(ns, 'a', 'an address', (s) => ingressIPs(s)[0] === '192.0.2.140');
    await core.patchNamespacedService(
      { namespace: ns, name: 'a', body: { metadata: { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.141' } }, spec: { loadBalancerIP: '192.0.2.142' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const svc = await h.waitForService(ns, 'a', 'InvalidRequest', (s) => condition(s, ASSIGNED)?.reason === 'InvalidRequest');
    expect(ingressIPs(svc)).toEqual(['192.0.2.140']);
    expect(condition(svc, ASSIGNED)?.message).toContain('both set');
  });

  it('assigns both families to a RequireDualStack Service from one pool', async () => {
    const ns = await testNamespace();
    await h.createPool('ds', { addresses: ['192.0.2.160/30', '2001:db8:1::160/126'] });
    await create(ns, 'ds', { policy: 'RequireDualStack', families: ['IPv4', 'IPv6'] });
    const svc = await h.waitForService(ns, 'ds', 'two addresses', (s) => ingressIPs(s).length === 2);
    expect(ingressIPs(svc)).toEqual(['192.0.2.160', '2001:db8:1::160']);
    await waitFor('the IPv6 LBAddress', async () => (await h.lbAddress('2001-db8-1--160')) !== undefined, { timeoutMs: 5_000 });
  });

  it('a pending Service gets an address when its namespace gains the label a pool selects', async () => {
    const ns = await testNamespace();
    await h.createPool('gold', { addresses: ['192.0.2.180/30'], serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: 'gold' } }] } });
    await create(ns, 'a');
    await h.waitForService(ns, 'a', 'NoMatchingPool', (s) => condition(s, ASSIGNED)?.reason === 'NoMatchingPool');
    await core.patchNamespace({ name: ns, body: { metadata: { labels: { tier: 'gold' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await h.waitForService(ns, 'a', 'an address', (s) => ingressIPs(s)[0] === '192.0.2.180');
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect(await controller.probe('/healthz')).toBe(200);
    expect(await controller.probe('/readyz')).toBe(200);
    const m = await controller.metrics();
    expect(metricValue(m, 'herald_controller_leader')).toBe(1);
    expect(m).toContain('herald_reconcile_duration_seconds_bucket');
  });
});
