import * as k8s from '@kubernetes/client-node';
import { inject, onTestFinished } from 'vitest';
import { run } from '../run.js';
import type { ClusterInfo } from './clusterInfo.js';

let explicitCluster: ClusterInfo | undefined;
/** Outside vitest (benchmarks under plain node) there is nothing to inject: the caller names the cluster. */
export function useCluster(info: ClusterInfo): void {
  explicitCluster = info;
}

export const cluster = (): ClusterInfo => explicitCluster ?? inject('cluster');

export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster().kubeconfigPath);
  return kc;
}

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** A fresh namespace for one test, deleted when the test finishes (pass or fail). */
export async function testNamespace(prefix = 't'): Promise<string> {
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  onTestFinished(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  return name;
}

/** The kubectl built with the control plane, against the admin kubeconfig unless another is given. */
export async function kubectl(args: string[], options: { kubeconfig?: string; input?: string } = {}) {
  const c = cluster();
  return run(`${c.binDir}/kubectl`, ['--kubeconfig', options.kubeconfig ?? c.kubeconfigPath, ...args], { input: options.input });
}
