import * as k8s from '@kubernetes/client-node';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { deleteClusterRbac, serviceAccountKubeconfig } from '../cluster/serviceAccount.js';
import { waitFor } from '../processes.js';
import { metricValue, startController, type ControllerProcess } from './controllerProcess.js';
import { HeraldObjects, ingressIPs, lbService } from './heraldObjects.js';

const RBAC = resolve(import.meta.dirname, '../../charts/herald/rbac/controller.yaml');

describe('restart safety and high availability', () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const h = new HeraldObjects(kc);
  const tag = Math.random().toString(36).slice(2, 7);
  const releaseNs = `herald-${tag}`;
  const nsA = `ra-${tag}`;
  const nsB = `rb-${tag}`;
  const lbClass = `herald.dev/restart-${tag}`;
  let kubeconfig = '';
  const running: ControllerProcess[] = [];
  const start = async (identity: string, extraArgs: string[] = [], waitReady = true) => {
    const c = await startController({ kubeconfig, namespace: releaseNs, lbClass, identity, extraArgs, waitReady });
    running.push(c);
    return c;
  };

  beforeAll(async () => {
    await applyCrds();
    await h.deleteAll();
    for (const name of [releaseNs, nsA, nsB]) await core.createNamespace({ body: { metadata: { name } } });
    kubeconfig = await serviceAccountKubeconfig({ kc, cluster: cluster(), namespace: releaseNs, name: 'herald-controller', rbacFile: RBAC });
  });

  afterAll(async () => {
    for (const c of running) await c.stop();
    await h.deleteAll();
    await deleteClusterRbac(kc, RBAC, releaseNs);
    for (const name of [releaseNs, nsA, nsB]) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  async function snapshot(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const ns of [nsA, nsB]) {
      for (const s of (await core.listNamespacedService({ namespace: ns })).items) out.set(`${ns}/${s.metadata?.name}`, ingressIPs(s));
    }
    return out;
  }

  // ClusterIPs come from a /24 (documentation range), so most of these Services are IPv6 single-stack.
  const spec = (i: number) => {
    const ns = i % 3 === 0 ? nsB : nsA;
    const v6 = i % 4 !== 0;
    return { ns, body: lbService(`svc-${String(i).padStart(3, '0')}`, { lbClass, ...(v6 ? { families: ['IPv6'], policy: 'SingleStack' } : {}) }) };
  };
  const createRange = async (from: number, to: number, concurrency = 8) => {
    let next = from;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < to) {
          const { ns, body } = spec(next++);
          await core.createNamespacedService({ namespace: ns, body });
        }
      }),
    );
  };

  it('kill -9 while 200 Services are being created: after a restart no address changed, none is duplicated, all are assigned', async () => {
    await h.createPool('v4', { addresses: ['192.0.2.0/25'] });
    await h.createPool('v6-open', { addresses: ['2001:db8:10::/120'] });
    await h.createPool('v6-team-b', { addresses: ['2001:db8:11::/64'], serviceAllocation: { priority: 1, namespaces: [nsB] } });
    let controller = await start('controller-0');
    await createRange(0, 120);
    await waitFor('120 Services assigned', async () => [...(await snapshot()).values()].filter((a) => a.length > 0).length === 120, { timeoutMs: 60_000, intervalMs: 250 });

    const creating = createRange(120, 200, 4);
    await waitFor('more Services being created', async () => (await snapshot()).size >= 140, { timeoutMs: 30_000, intervalMs: 50 });
    controller.proc.kill('SIGKILL');
    await controller.proc.exited;
    const atKill = await snapshot();
    await creating;
    controller = await start('controller-0');

    await waitFor('all 200 Services assigned', async () => {
      const s = await snapshot();
      return s.size === 200 && [...s.values()].every((a) => a.length === 1);
    }, { timeoutMs: 90_000, intervalMs: 250 });
    const after = await snapshot();
    const changed = [...atKill].filter(([k, before]) => before.length > 0 && JSON.stringify(after.get(k)) !== JSON.stringify(before));
    expect(changed).toEqual([]);
    const all = [...after.values()].flat();
    expect(new Set(all).size).toBe(200);
    for (const [key, [ip]] of after) {
      if (key.startsWith(`${nsB}/`) && ip!.includes(':')) expect(ip).toMatch(/^2001:db8:11::/);
      else if (ip!.includes(':')) expect(ip).toMatch(/^2001:db8:10::/);
      else expect(ip).toMatch(/^192\.0\.2\./);
    }
    expect(controller.logLines().filter((l) => l.event === 'addressReleased')).toEqual([]);
    await controller.stop();
    running.splice(running.indexOf(controller), 1);
  });

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
    await waitFor('replica-b to lead', async () => metricValue(await b.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 15_000, intervalMs: 100 });
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
