import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../processes.js';
import { metricValue } from './controllerProcess.js';
import { controllerRelease } from './controllerRelease.js';
import { ingressIPs, lbService } from './heraldObjects.js';

describe('restart safety and high availability', () => {
  const { core, h, lbClass, namespaces, running, start: startRelease } = controllerRelease({ classPrefix: 'restart', tenants: ['ra', 'rb'] });
  const [nsA, nsB] = namespaces as [string, string];
  const start = (identity: string, extraArgs: string[] = [], waitReady = true) => startRelease({ identity, extraArgs, waitReady });

  // Every test starts with no controller running (a stopped leader gives the Lease up).
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
  });

  /** Addresses of the test's Services, from one list (one resourceVersion: a consistent cut across namespaces). */
  async function snapshot(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const s of (await core.listServiceForAllNamespaces()).items) {
      const ns = s.metadata?.namespace;
      if (ns === nsA || ns === nsB) out.set(`${ns}/${s.metadata?.name}`, ingressIPs(s));
    }
    return out;
  }

  // ClusterIPs come from a /24 (documentation range), so most of these Services are IPv6 single-stack.
  const spec = (i: number) => {
    const ns = i % 3 === 0 ? nsB : nsA;
    const v6 = i % 4 !== 0;
    return { ns, body: lbService(`svc-${String(i).padStart(3, '0')}`, { lbClass, ...(v6 ? { families: ['IPv6'], policy: 'SingleStack' } : {}) }) };
  };

  it('200 Services created (and some deleted) while the controller is killed -9 every few seconds, 20 times, then two replicas race: no survivor\'s address changed, none is duplicated, all are assigned', async () => {
    await h.createPool('v4', { addresses: ['192.0.2.0/25'] });
    await h.createPool('v6-open', { addresses: ['2001:db8:10::/120'] });
    await h.createPool('v6-team-b', { addresses: ['2001:db8:11::/64'], serviceAllocation: { priority: 1, namespaces: [nsB] } });
    // 5 s Lease: renew deadline 3.3 s, enough for a leader's first pass on a busy two-core machine.
    const lease = ['--lease-duration', '5000'];

    // Every observation of every Service: the first address it got, and any address that differs later.
    const first = new Map<string, string>();
    const changed = new Set<string>();
    const duplicates = new Set<string>();
    let observations = 0;
    const observe = async () => {
      const s = await snapshot();
      const owners = new Map<string, string>();
      for (const [key, ips] of s) {
        if (ips.length === 0) continue;
        const text = ips.join(',');
        const was = first.get(key);
        if (was === undefined) first.set(key, text);
        else if (was !== text) changed.add(`${key}: ${was} -> ${text}`);
        for (const ip of ips) {
          const other = owners.get(ip);
          if (other) duplicates.add(`${ip}: ${other} and ${key}`);
          owners.set(ip, key);
        }
      }
      observations++;
    };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await observe().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // Twenty lives of the same Pod (same identity: it re-acquires its Lease at once). Each life leads, gets
    // ten new Services (and one deletion) while it works, and is killed -9 at a varying moment; creation
    // goes on while it dies. Kill times count from leaderElected, so a slow start on a busy machine still
    // leaves every life time to write.
    const deleted = new Set<string>();
    const createBatch = async (from: number) => {
      for (let i = from; i < from + 10; i++) {
        const { ns, body } = spec(i);
        await core.createNamespacedService({ namespace: ns, body });
        await new Promise((r) => setTimeout(r, 40));
      }
      const victim = spec(from + 5);
      const key = `${victim.ns}/${victim.body.metadata!.name}`;
      deleted.add(key);
      await core.deleteNamespacedService({ namespace: victim.ns, name: victim.body.metadata!.name! });
      first.delete(key);
    };
    const lives: number[] = [];
    for (let k = 0; k < 20; k++) {
      const c = await start('controller-0', lease, false);
      await waitFor(`life ${k} of controller-0 to lead`, () => c.logLines().some((l) => l.event === 'leaderElected'), { timeoutMs: 30_000, intervalMs: 25 });
      const batch = createBatch(k * 10);
      const lifetime = 200 + ((k * 397) % 1_500);
      await new Promise((r) => setTimeout(r, lifetime));
      c.proc.kill('SIGKILL');
      await c.proc.exited;
      await batch;
      lives.push(lifetime);
    }

    // Two fresh replicas race for the dead leader's Lease.
    const [r1, r2] = await Promise.all([start('racer-1', lease), start('racer-2', lease)]);
    const survivors = 200 - deleted.size;
    await waitFor(`all ${survivors} surviving Services assigned`, async () => {
      const s = await snapshot();
      return s.size === survivors && [...s.values()].every((a) => a.length === 1);
    }, { timeoutMs: 90_000, intervalMs: 250 });
    // One racer leads. A racer that could not renew in time on a starved machine steps down and exits
    // (that is the fence working), and then the other leads.
    const leaders = [];
    for (const r of [r1, r2]) {
      const exited = await Promise.race([r.proc.exited, Promise.resolve(undefined)]);
      if (exited !== undefined) expect(r.logLines().some((l) => l.event === 'leaderLost')).toBe(true);
      else if (metricValue(await r.metrics(), 'herald_controller_leader') === 1) leaders.push(r.identity);
    }
    expect(leaders).toHaveLength(1);
    await observe();
    watching = false;
    await watcher;

    expect([...changed]).toEqual([]);
    expect([...duplicates]).toEqual([]);
    const after = await snapshot();
    const all = [...after.values()].flat();
    expect(new Set(all).size).toBe(survivors);
    for (const [key, [ip]] of after) {
      if (key.startsWith(`${nsB}/`) && ip!.includes(':')) expect(ip).toMatch(/^2001:db8:11::/);
      else if (ip!.includes(':')) expect(ip).toMatch(/^2001:db8:10::/);
      else expect(ip).toMatch(/^192\.0\.2\./);
    }
    for (const c of running) expect(c.logLines().filter((l) => l.event === 'addressReleased' && l.reason !== 'NotLoadBalancer')).toEqual([]);
    console.log(JSON.stringify({ kills: lives.length, survivors, observations, addressesSeen: first.size }));
  }, 240_000);

  it('a standby replica takes over when the leader is killed, and at once when it stops gracefully', async () => {
    const lease = ['--lease-duration', '3000'];
    const a = await start('replica-a', lease);
    await waitFor('replica-a to lead', async () => metricValue(await a.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 10_000 });
    // b holds the lease for 60 s once it leads, so c can only lead quickly if b gives the lease up.
    const b = await start('replica-b', ['--lease-duration', '60000']);
    expect(await b.probe('/readyz')).toBe(200);
    expect(metricValue(await b.metrics(), 'herald_controller_leader')).toBe(0);

    a.proc.kill('SIGKILL');
    const killedAt = Date.now();
    // b polls every 8 s (its own 60 s lease): it sees a's last renewal up to 8 s after the kill, then waits
    // a's 3 s lease duration from that observation, as client-go does.
    await waitFor('replica-b to lead', async () => metricValue(await b.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 20_000, intervalMs: 100 });
    const takeoverMs = Date.now() - killedAt;
    await core.createNamespacedService({ namespace: nsA, body: lbService('after-failover', { lbClass }) });
    await h.waitForService(nsA, 'after-failover', 'an address from the new leader', (s) => ingressIPs(s).length === 1);

    const c = await start('replica-c', lease);
    await b.proc.stop();
    const stoppedAt = Date.now();
    await waitFor('replica-c to lead long before b\'s 60 s lease would expire', async () => metricValue(await c.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 15_000, intervalMs: 50 });
    console.log(JSON.stringify({ takeoverAfterKillMs: takeoverMs, takeoverAfterSigtermMs: Date.now() - stoppedAt }));
  });
});
