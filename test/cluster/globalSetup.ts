import type { TestProject } from 'vitest/node';
import { clusterInfoOf, startControlPlane, type ControlPlane } from './controlPlane.js';
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
  project.provide('cluster', clusterInfoOf(plane));
}

export async function teardown(): Promise<void> {
  await plane?.stop();
}
