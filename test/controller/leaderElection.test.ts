import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../processes.js';
import { metricValue, type ControllerProcess } from './controllerProcess.js';
import { controllerRelease } from './controllerRelease.js';
import { ingressIPs, lbService } from './heraldObjects.js';

const LEASE = 'herald-controller';
// 3 s Lease: renewDeadline 2 s, retry period 400 ms, every Lease call times out after 1 s.
const SHORT_LEASE = ['--lease-duration', '3000'];

describe('controller leader election against the real apiserver (chart RBAC, real processes)', () => {
  const { kc, core, h, releaseNs, lbClass, namespaces, running, start: startRelease } = controllerRelease({ classPrefix: 'election', releasePrefix: 'herald-le', tenants: ['le'] });
  const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const [ns] = namespaces as [string];
  const start = (identity: string, o: { clockOffsetMs?: number } = {}) => startRelease({ identity, extraArgs: SHORT_LEASE, clockOffsetMs: o.clockOffsetMs });
  const isLeader = async (c: ControllerProcess) => metricValue(await c.metrics(), 'herald_controller_leader') === 1;
  const lease = () => coordination.readNamespacedLease({ namespace: releaseNs, name: LEASE });

  // Every test starts with no controller running (a stopped leader gives the Lease up).
  afterEach(async () => {
    for (const c of running.splice(0)) {
      c.proc.kill('SIGCONT');
      await c.stop();
    }
  });

  /** Everything a controller writes, as resourceVersions, plus the Events each identity reported. */
  async function written(identity: string) {
    const services = Object.fromEntries((await core.listNamespacedService({ namespace: ns })).items.map((s) => [s.metadata!.name!, { rv: s.metadata!.resourceVersion, ips: ingressIPs(s) }]));
    const addresses = ((await custom.listClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses' })) as { items: { metadata: { name: string; resourceVersion: string } }[] }).items;
    const pools = ((await custom.listClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'ipaddresspools' })) as { items: { metadata: { name: string; resourceVersion: string }; status?: { assigned?: number } }[] }).items;
    let events = 0;
    for (const namespace of [ns, 'default']) events += (await core.listNamespacedEvent({ namespace })).items.filter((e) => e.reportingInstance === identity).length;
    return {
      services,
      lbAddresses: Object.fromEntries(addresses.map((a) => [a.metadata.name, a.metadata.resourceVersion])),
      pools: Object.fromEntries(pools.map((p) => [p.metadata.name, { rv: p.metadata.resourceVersion, assigned: p.status?.assigned }])),
      events,
    };
  }

  it('a leader frozen (SIGSTOP) past its renew deadline, then resumed, steps down without writing anything after the standby took over', async () => {
    await h.createPool('freeze', { addresses: ['192.0.2.64/28'] });
    const a = await start('freeze-a');
    await waitFor('freeze-a to lead', () => isLeader(a), { timeoutMs: 10_000 });
    const b = await start('freeze-b');
    expect(await isLeader(b)).toBe(false);

    const old = ['z-0', 'z-1', 'z-2', 'z-3', 'z-4'];
    for (const name of old) await core.createNamespacedService({ namespace: ns, body: lbService(name, { lbClass }) });
    await waitFor('freeze-a to assign and record the first Services', async () => {
      const w = await written('freeze-a');
      return old.every((n) => w.services[n]?.ips.length === 1) && Object.keys(w.lbAddresses).length === old.length;
    }, { timeoutMs: 15_000 });

    a.proc.kill('SIGSTOP');
    const frozenAt = Date.now();
    await waitFor('freeze-b to take over from the frozen leader', () => isLeader(b), { timeoutMs: 15_000, intervalMs: 100 });
    const takeoverMs = Date.now() - frozenAt;
    expect((await lease()).spec?.holderIdentity).toBe('freeze-b');

    // While freeze-a sleeps, the new leader hands the old Services' addresses to new ones. Names sort
    // before the old ones, so a stale leader would meet the new Services first, with their addresses still
    // held by the old Services in its allocator, and give them other addresses.
    for (const name of old) await core.deleteNamespacedService({ namespace: ns, name });
    const fresh = ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'];
    for (const name of fresh) await core.createNamespacedService({ namespace: ns, body: lbService(name, { lbClass }) });
    // Settled means the pool's status counts the new Services too: the leader writes counts at most once a
    // second, so a write still due can land well after the Services and LBAddresses look done.
    let settled = await written('freeze-b');
    await waitFor('freeze-b to assign the new Services and settle', async () => {
      const w = await written('freeze-b');
      const done = Object.keys(w.services).length === fresh.length && fresh.every((n) => w.services[n]?.ips.length === 1) && Object.keys(w.lbAddresses).length === fresh.length
        && w.pools.freeze?.assigned === fresh.length;
      const same = JSON.stringify(w) === JSON.stringify(settled);
      settled = w;
      return done && same;
    }, { timeoutMs: 20_000, intervalMs: 1_200 });
    const before = { ...settled, eventsByA: (await written('freeze-a')).events };

    a.proc.kill('SIGCONT');
    // Positive marker: freeze-a notices it lost the Lease, and exits (1) after draining its writer.
    const code = await Promise.race([a.proc.exited, new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000).unref())]);
    expect(code).toBe(1);
    expect(a.logLines().find((l) => l.event === 'leaderLost')).toBeDefined();

    const after = { ...(await written('freeze-b')), eventsByA: (await written('freeze-a')).events };
    expect(after).toEqual(before);
    expect(await isLeader(b)).toBe(true);
    expect((await lease()).spec?.holderIdentity).toBe('freeze-b');
    const fenced = a.logLines().filter((l) => l.event === 'writesFenced').length;
    console.log(JSON.stringify({ sigstopTakeoverMs: takeoverMs, oldLeaderFencedWrites: fenced > 0 }));
  });

  it('a standby whose wall clock runs 30 s ahead does not take over from a live leader', async () => {
    const a = await start('clock-a');
    await waitFor('clock-a to lead', () => isLeader(a), { timeoutMs: 15_000 });
    const transitions = (await lease()).spec?.leaseTransitions ?? 0;
    const b = await start('clock-b', { clockOffsetMs: 30_000 });
    const readyAt = Date.now();

    // Positive marker: clock-b has been polling (every 400 ms) while clock-a renewed the Lease again and
    // again for more than two lease durations: a skewed standby judging by renewTime would have taken over.
    const renewals = new Set<string>();
    await waitFor('clock-a to renew the Lease for more than two lease durations while clock-b watches', async () => {
      const l = await lease();
      if (l.spec?.holderIdentity === 'clock-a') renewals.add(l.metadata!.resourceVersion!);
      return renewals.size >= 12 && Date.now() - readyAt > 7_000;
    }, { timeoutMs: 30_000, intervalMs: 200, abortIf: () => ((b.logLines().some((l) => l.event === 'leaderElected')) ? 'clock-b took over' : undefined) });

    const l = await lease();
    expect(l.spec?.holderIdentity).toBe('clock-a');
    expect(l.spec?.leaseTransitions ?? 0).toBe(transitions);
    expect(await isLeader(b)).toBe(false);
    expect(await isLeader(a)).toBe(true);
    expect(b.logLines().filter((l) => l.event === 'leaderElected')).toEqual([]);
    expect(b.logLines().find((l) => l.event === 'leaderObserved')).toMatchObject({ holder: 'clock-a', reason: 'HeldByOther' });

    // The skewed standby is still a working standby: when the leader stops, it takes over at once.
    await a.stop();
    await waitFor('clock-b to lead after clock-a gave the Lease up', () => isLeader(b), { timeoutMs: 10_000, intervalMs: 100 });
  });
});
