import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { kubectl, mergePatch } from '../cluster/kube.js';
import { waitFor } from '../processes.js';
import { metricValue, type ControllerProcess } from './controllerProcess.js';
import { controllerRelease } from './controllerRelease.js';
import { condition, ingressIPs, lbService } from './heraldObjects.js';

const ASSIGNED = 'herald.dev/AddressAssigned';
const SHARE = 'herald.dev/allow-shared-ip';
const SHARE_NS = 'herald.dev/allow-shared-ip-namespaces';
const IPS = 'herald.dev/loadBalancerIPs';

/**
 * The controller's decisions (core planService) seen from outside, against the real apiserver with the
 * chart's own RBAC: addresses kept across a failover, tenants kept apart, waiting Services re-planned.
 */
describe('controller plans: kept addresses, tenants apart, waiting Services re-planned', () => {
  const { core, h, lbClass, namespaces, start: startRelease } = controllerRelease({ classPrefix: 'plan', tenants: ['tenant-a', 'tenant-b', 'dns'] });
  const [nsA, nsB, nsDns] = namespaces as [string, string, string];
  let leader: ControllerProcess | undefined;
  const start = (identity: string, extraArgs: string[] = []) => startRelease({ identity, extraArgs });
  const isLeader = async (c: ControllerProcess) => metricValue(await c.metrics(), 'herald_controller_leader') === 1;
  const create = (ns: string, name: string, o: Parameters<typeof lbService>[1] = {}) => core.createNamespacedService({ namespace: ns, body: lbService(name, { lbClass, ...o }) });
  const annotate = (ns: string, name: string, annotations: Record<string, string | null>) =>
    core.patchNamespacedService({ namespace: ns, name, body: { metadata: { annotations } } }, mergePatch);
  const lbServices = async (name: string) => (await h.lbAddress(name))?.spec;

  afterEach(async () => {
    // A Service still waiting would take the next test's first address.
    await h.deleteServicesOfClass(lbClass);
    await h.deleteAll();
  });

  it('an assigned Service with an invalid annotation keeps its address, exclusively, with its LBAddress, when a standby takes over after kill -9', async () => {
    await h.createPool('kept', { addresses: ['192.0.2.10/31'] });
    const a = await start('replica-a', ['--lease-duration', '3000']);
    await waitFor('replica-a to lead', () => isLeader(a), { timeoutMs: 10_000 });
    const b = await start('replica-b', ['--lease-duration', '3000']);
    await create(nsA, 'held');
    await h.waitForService(nsA, 'held', 'an address', (s) => ingressIPs(s)[0] === '192.0.2.10');
    await annotate(nsA, 'held', { 'herald.dev/address-pool': '' });
    await h.waitForService(nsA, 'held', 'InvalidRequest', (s) => condition(s, ASSIGNED)?.reason === 'InvalidRequest');
    await waitFor('the LBAddress of the held address', async () => (await lbServices('192.0.2.10'))?.services?.[0]?.name === 'held', { timeoutMs: 5_000 });

    a.proc.kill('SIGKILL');
    await a.proc.exited;
    await waitFor('replica-b to lead', () => isLeader(b), { timeoutMs: 15_000, intervalMs: 100 });
    leader = b;
    // The new leader's fresh allocator must know 192.0.2.10 is taken: the next Service gets the other one.
    await create(nsA, 'newcomer');
    await h.waitForService(nsA, 'newcomer', 'an address', (s) => ingressIPs(s).length === 1);
    expect(ingressIPs(await h.service(nsA, 'newcomer'))).toEqual(['192.0.2.11']);
    // The newcomer's LBAddress exists, so the new leader has synced LBAddresses since taking over.
    await waitFor('the newcomer LBAddress', async () => (await lbServices('192.0.2.11'))?.services?.[0]?.name === 'newcomer', { timeoutMs: 5_000 });
    expect(await lbServices('192.0.2.10')).toMatchObject({ address: '192.0.2.10', pool: 'kept', services: [{ namespace: nsA, name: 'held' }], serviceNames: `${nsA}/held` });
    const held = await h.service(nsA, 'held');
    expect(ingressIPs(held)).toEqual(['192.0.2.10']);
    expect(condition(held, ASSIGNED)).toMatchObject({ status: 'False', reason: 'InvalidRequest' });
    expect(condition(held, ASSIGNED)?.message).toContain('keeping 192.0.2.10');
    // Exclusive: the pool has no third address, and nobody is handed the held one.
    await create(nsA, 'third');
    await h.waitForService(nsA, 'third', 'PoolExhausted', (s) => condition(s, ASSIGNED)?.reason === 'PoolExhausted');
    // Fixing the annotation keeps the same address.
    await annotate(nsA, 'held', { 'herald.dev/address-pool': null });
    await h.waitForService(nsA, 'held', 'Assigned again', (s) => condition(s, ASSIGNED)?.reason === 'Assigned');
    expect(ingressIPs(await h.service(nsA, 'held'))).toEqual(['192.0.2.10']);
  });

  it('tenant A cannot join, learn or black out tenant B\'s address with any annotation; with both opt-ins sharing works', async () => {
    if (!leader) leader = await start('replica-solo');
    await h.createPool('tenancy', { addresses: ['198.51.100.1-198.51.100.4'] });
    // Tenant B: a Cluster-policy database under a sharing key, and a Local-policy cache.
    await create(nsB, 'db', { annotations: { [SHARE]: 'secret-key', [IPS]: '198.51.100.1' }, ports: [{ name: 'pg', port: 5432 }] });
    await create(nsB, 'cache', { annotations: { [SHARE]: 'hot-key', [IPS]: '198.51.100.2' }, local: true, ports: [{ name: 'redis', port: 6379 }] });
    await h.waitForService(nsB, 'db', 'its address', (s) => ingressIPs(s)[0] === '198.51.100.1');
    await h.waitForService(nsB, 'cache', 'its address', (s) => ingressIPs(s)[0] === '198.51.100.2');

    // Tenant A tries every way in. The cache's selector is {app: cache}: A's Local twin has the same one.
    const twin: k8s.V1Service = lbService('black-out', { lbClass, annotations: { [SHARE]: 'hot-key', [IPS]: '198.51.100.2' }, local: true, ports: [{ name: 'http', port: 80 }] });
    twin.spec!.selector = { app: 'cache' };
    await core.createNamespacedService({ namespace: nsA, body: twin });
    await create(nsA, 'one-sided', { annotations: { [SHARE]: 'secret-key', [SHARE_NS]: nsB, [IPS]: '198.51.100.1' }, ports: [{ name: 'https', port: 443 }] });
    await create(nsA, 'no-key', { annotations: { [IPS]: '198.51.100.1' }, ports: [{ name: 'http', port: 80 }] });
    await create(nsA, 'auto', { annotations: { [SHARE]: 'secret-key', 'herald.dev/address-pool': 'tenancy' }, ports: [{ name: 'alt', port: 8080 }] });

    for (const name of ['black-out', 'one-sided', 'no-key']) {
      const s = await h.waitForService(nsA, name, 'SharingConflict', (x) => condition(x, ASSIGNED)?.reason === 'SharingConflict');
      expect(ingressIPs(s)).toEqual([]);
      expect(condition(s, ASSIGNED)?.message).toMatch(/^198\.51\.100\.[12] is in use by a Service in another namespace$/);
    }
    const auto = await h.waitForService(nsA, 'auto', 'an address of its own', (s) => ingressIPs(s).length === 1);
    expect(ingressIPs(auto)).toEqual(['198.51.100.3']);
    await waitFor('SharingConflict events in tenant A', async () => (await h.events(nsA, 'no-key')).some((e) => e.reason === 'SharingConflict'), { timeoutMs: 5_000 });
    // Nothing tenant A can read names tenant B's namespace, Services or keys.
    const seenByA = JSON.stringify([
      ...(await core.listNamespacedService({ namespace: nsA })).items.map((s) => s.status),
      ...(await core.listNamespacedEvent({ namespace: nsA })).items.map((e) => e.message),
    ]);
    expect(seenByA).not.toContain(nsB);
    expect(seenByA).not.toMatch(/secret-key|hot-key|\bdb\b|\bcache\b/);
    // B's addresses still have B's Services alone, so B's Local address keeps its eligible nodes.
    expect((await lbServices('198.51.100.1'))?.services).toEqual([{ namespace: nsB, name: 'db' }]);
    expect((await lbServices('198.51.100.2'))?.services).toEqual([{ namespace: nsB, name: 'cache' }]);
    expect(condition(await h.service(nsB, 'db'), ASSIGNED)?.reason).toBe('Assigned');

    // Tenant B names tenant A as well: now (and only now) the one-sided request shares.
    await annotate(nsB, 'db', { [SHARE_NS]: nsA });
    await h.waitForService(nsA, 'one-sided', 'the shared address', (s) => ingressIPs(s)[0] === '198.51.100.1' && condition(s, ASSIGNED)?.reason === 'Assigned', 5_000);
    await waitFor('the LBAddress listing both tenants', async () => (await lbServices('198.51.100.1'))?.services?.length === 2, { timeoutMs: 5_000 });
    expect(await lbServices('198.51.100.1')).toMatchObject({ serviceNames: `${nsA}/one-sided, ${nsB}/db` });
    expect((await kubectl(['get', 'lbaddresses', '198.51.100.1', '--no-headers'])).stdout).toContain(`${nsA}/one-sided, ${nsB}/db`);
  });

  it('deleting one of two Services sharing an address re-plans the third waiting on it at once', async () => {
    if (!leader) leader = await start('replica-solo');
    await h.createPool('dns', { addresses: ['203.0.113.10/32'] });
    const dns = (protocol: string) => ({ annotations: { [SHARE]: 'dns' }, ports: [{ name: 'dns', port: 53, protocol }] });
    await create(nsDns, 'dns-tcp', dns('TCP'));
    await h.waitForService(nsDns, 'dns-tcp', 'an address', (s) => ingressIPs(s)[0] === '203.0.113.10');
    await create(nsDns, 'dns-udp', dns('UDP'));
    await h.waitForService(nsDns, 'dns-udp', 'the shared address', (s) => ingressIPs(s)[0] === '203.0.113.10');
    await create(nsDns, 'third', { ...dns('TCP'), annotations: { [SHARE]: 'dns', [IPS]: '203.0.113.10' } });
    const waiting = await h.waitForService(nsDns, 'third', 'SharingConflict', (s) => condition(s, ASSIGNED)?.reason === 'SharingConflict');
    expect(condition(waiting, ASSIGNED)?.message).toContain(`${nsDns}/dns-tcp`);

    await core.deleteNamespacedService({ namespace: nsDns, name: 'dns-tcp' });
    const deletedAt = Date.now();
    const third = await h.waitForService(nsDns, 'third', 'the shared address within 1 s', (s) => ingressIPs(s)[0] === '203.0.113.10', 1_000);
    console.log(JSON.stringify({ waitingServiceAssignedAfterDeleteMs: Date.now() - deletedAt }));
    expect(condition(third, ASSIGNED)).toMatchObject({ status: 'True', reason: 'Assigned' });
    expect(condition(third, ASSIGNED)?.message).not.toContain('dns-tcp');
    await waitFor('the LBAddress to list dns-udp and third', async () => (await lbServices('203.0.113.10'))?.services?.length === 2 && (await lbServices('203.0.113.10'))?.services?.some((s) => s.name === 'third') === true, { timeoutMs: 2_000 });
    expect(await lbServices('203.0.113.10')).toMatchObject({ services: [{ namespace: nsDns, name: 'dns-udp' }, { namespace: nsDns, name: 'third' }], serviceNames: `${nsDns}/dns-udp, ${nsDns}/third` });
    expect(JSON.stringify(await lbServices('203.0.113.10'))).not.toContain('dns-tcp');
  });

  it('leaves nothing behind: a deleted pool stops exporting its series, an invalid pool has AVAILABLE 0, no listener leak', async () => {
    const c = leader ?? (leader = await start('replica-solo'));
    await h.createPool('doomed', { addresses: ['192.0.2.200/30'] });
    await waitFor('herald_pool_valid for the new pool', async () => metricValue(await c.metrics(), 'herald_pool_valid', { pool: 'doomed' }) === 1, { timeoutMs: 5_000 });
    // creationTimestamp has one-second resolution (ties go by name), so make the overlap really newer.
    await new Promise((r) => setTimeout(r, 1_100));
    await h.createPool('overlap', { addresses: ['192.0.2.202/31'] });
    await waitFor('Valid=False on the overlapping pool', async () => (await h.pool('overlap')).status?.conditions?.some((x) => x.type === 'Valid' && x.status === 'False') === true, { timeoutMs: 5_000 });
    expect((await h.pool('overlap')).status).toMatchObject({ available: '0', availableIPv4: 0 });
    expect((await kubectl(['get', 'ipaddresspools', 'overlap', '--no-headers'])).stdout).toMatch(/^overlap\s+\S+\s+0\s+0\s+False/);
    expect(metricValue(await c.metrics(), 'herald_pool_valid', { pool: 'overlap' })).toBe(0);

    await h.deletePool('overlap');
    await h.deletePool('doomed');
    // Positive marker: a pool created after the deletions is exported, so the deletions have been handled.
    await h.createPool('marker', { addresses: ['192.0.2.224/28'] });
    await waitFor('herald_pool_valid for the marker pool', async () => metricValue(await c.metrics(), 'herald_pool_valid', { pool: 'marker' }) === 1, { timeoutMs: 5_000 });
    const m = await c.metrics();
    for (const pool of ['overlap', 'doomed']) {
      expect(metricValue(m, 'herald_pool_valid', { pool })).toBeUndefined();
      expect(metricValue(m, 'herald_pool_addresses_total', { pool, family: 'IPv4' })).toBeUndefined();
    }
    // Each idle wait used to leave an abort listener behind; Node warns at 11. Every Service below wakes
    // the idle loop several times (its creation, our writes coming back, its LBAddress).
    for (let i = 0; i < 12; i++) {
      await create(nsA, `wake-${i}`, { annotations: { 'herald.dev/address-pool': 'marker' }, ports: [{ name: 'http', port: 80 + i }] });
      await h.waitForService(nsA, `wake-${i}`, 'an address', (s) => ingressIPs(s).length === 1);
    }
    expect(c.logLines().some((l) => l.event === 'addressAssigned' && l.service === `${nsA}/wake-11`)).toBe(true);
    expect(readFileSync(c.proc.logFile, 'utf8')).not.toContain('MaxListenersExceededWarning');
  });
});
