import type { TestProject } from 'vitest/node';
import type { ClusterInfo } from './clusterInfo.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { runningPersistentCluster } from './persistentCluster.js';

let plane: ControlPlane | undefined;

/** One real control plane per test run; a cluster left up by `npm run cluster:up` is reused as is. */
export async function setup(project: TestProject): Promise<void> {
  const reused = runningPersistentCluster();
  if (reused) {
    process.stderr.write(`[cluster] reusing the control plane from npm run cluster:up (${reused.info.server})\n`);
    project.provide('cluster', reused.info);
    return;
  }
  plane = await startControlPlane();
  const info: ClusterInfo = {
    server: plane.server,
    apiPort: plane.apiPort,
    kubeconfigPath: plane.kubeconfigPath,
    binDir: plane.binDir,
    dir: plane.dir,
    caCert: plane.certs.caCert,
    adminCert: plane.certs.adminCert,
    adminKey: plane.certs.adminKey,
    startMs: plane.startMs,
  };
  project.provide('cluster', info);
}

export async function teardown(): Promise<void> {
  await plane?.stop();
}
