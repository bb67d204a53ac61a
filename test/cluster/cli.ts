// npm run cluster:up | cluster:down — a control plane that outlives the command, for development.
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterInfoOf, startControlPlane } from './controlPlane.js';
import { PERSISTENT_DIR, PERSISTENT_STATE, runningPersistentCluster, type PersistentState } from './persistentCluster.js';

async function up(): Promise<void> {
  const running = runningPersistentCluster();
  if (running) {
    console.log(`already running: ${running.info.server}\nkubeconfig: ${join(PERSISTENT_DIR, 'kubeconfig')}`);
    return;
  }
  rmSync(PERSISTENT_DIR, { recursive: true, force: true });
  const plane = await startControlPlane({ dir: PERSISTENT_DIR, reaper: false });
  copyFileSync(plane.kubeconfigPath, join(PERSISTENT_DIR, 'kubeconfig'));
  const procs = [plane.processes.etcd, plane.processes.apiserver, plane.processes.controllerManager].filter((p) => p !== undefined);
  const state: PersistentState = { info: clusterInfoOf(plane, join(PERSISTENT_DIR, 'kubeconfig')), pids: procs.map((p) => p.pid) };
  writeFileSync(PERSISTENT_STATE, JSON.stringify(state, null, 2));
  for (const p of procs) p.child.unref();
  plane.detach();
  console.log(`control plane up in ${plane.startMs} ms: ${plane.server}`);
  console.log(`kubeconfig: ${state.info.kubeconfigPath}`);
  console.log(`try: ${join(plane.binDir, 'kubectl')} --kubeconfig ${state.info.kubeconfigPath} get --raw /version`);
  process.exit(0);
}

async function down(): Promise<void> {
  const state = runningPersistentCluster();
  if (!state) {
    console.log('no control plane from cluster:up is running');
    rmSync(PERSISTENT_DIR, { recursive: true, force: true });
    return;
  }
  for (const pid of [...state.pids].reverse()) {
    try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 200; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await sleep(100);
    }
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(PERSISTENT_DIR, { recursive: true, force: true });
  console.log('control plane stopped');
}

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else {
  console.error('usage: cli.ts up|down');
  process.exit(2);
}
