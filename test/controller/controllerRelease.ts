import * as k8s from '@kubernetes/client-node';
import { resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { deleteClusterRbac, serviceAccountKubeconfig } from '../cluster/serviceAccount.js';
import { startController, type ControllerProcess } from './controllerProcess.js';
import { HeraldObjects } from './heraldObjects.js';

const RBAC = resolve(import.meta.dirname, '../../charts/herald/rbac/controller.yaml');

type StartOptions = Omit<Parameters<typeof startController>[0], 'kubeconfig' | 'namespace' | 'lbClass'>;

export interface ControllerRelease {
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly h: HeraldObjects;
  /** Random per suite: namespaces, the class and the ClusterRole names carry it, so suites never meet. */
  readonly tag: string;
  /** Where the controller runs, with the chart's controller ServiceAccount and RBAC. */
  readonly releaseNs: string;
  /** The suite's own LoadBalancer class: other suites' controllers leave its Services alone. */
  readonly lbClass: string;
  /** The tenant namespaces asked for, in order, each `<name>-<tag>`. */
  readonly namespaces: readonly string[];
  /** Every controller started through `start` and not yet stopped by the suite. */
  readonly running: ControllerProcess[];
  /** The ServiceAccount's kubeconfig (set once the suite's beforeAll ran). */
  kubeconfig(): string;
  start(o?: StartOptions): Promise<ControllerProcess>;
}

/**
 * One herald release for a controller suite, as the chart installs it: CRDs, a release namespace with
 * the controller's own ServiceAccount and RBAC (least privilege is part of what the suites prove), a
 * class of its own, and the tenant namespaces the suite names. Registers the suite's beforeAll and
 * afterAll, which removes the controllers, Services, herald objects, RBAC and namespaces again.
 */
export function controllerRelease(o: { classPrefix: string; releasePrefix?: string; tenants?: readonly string[] }): ControllerRelease {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const h = new HeraldObjects(kc);
  const tag = Math.random().toString(36).slice(2, 7);
  const releaseNs = `${o.releasePrefix ?? 'herald'}-${tag}`;
  const lbClass = `herald.dev/${o.classPrefix}-${tag}`;
  const namespaces = (o.tenants ?? []).map((t) => `${t}-${tag}`);
  const running: ControllerProcess[] = [];
  let kubeconfig = '';

  beforeAll(async () => {
    await applyCrds();
    await h.deleteAll();
    for (const name of [releaseNs, ...namespaces]) await core.createNamespace({ body: { metadata: { name } } });
    kubeconfig = await serviceAccountKubeconfig({ kc, cluster: cluster(), namespace: releaseNs, name: 'herald-controller', rbacFile: RBAC });
  });

  afterAll(async () => {
    for (const c of running.splice(0)) {
      c.proc.kill('SIGCONT'); // a suite may have frozen one
      await c.stop();
    }
    await h.deleteServicesOfClass(lbClass).catch(() => undefined);
    await h.deleteAll();
    await deleteClusterRbac(kc, RBAC, releaseNs);
    for (const name of [releaseNs, ...namespaces]) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  return {
    kc,
    core,
    h,
    tag,
    releaseNs,
    lbClass,
    namespaces,
    running,
    kubeconfig: () => kubeconfig,
    async start(s: StartOptions = {}) {
      const c = await startController({ ...s, kubeconfig, namespace: releaseNs, lbClass });
      running.push(c);
      return c;
    },
  };
}
