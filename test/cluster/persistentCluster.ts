import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClusterInfo } from './clusterInfo.js';

export const PERSISTENT_DIR = resolve(import.meta.dirname, '../../.cache/cluster');
export const PERSISTENT_STATE = join(PERSISTENT_DIR, 'state.json');

export interface PersistentState {
  info: ClusterInfo;
  pids: number[];
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

/** The cluster left running by `npm run cluster:up`, if its processes are all still alive. */
export function runningPersistentCluster(): PersistentState | undefined {
  if (!existsSync(PERSISTENT_STATE)) return undefined;
  const state = JSON.parse(readFileSync(PERSISTENT_STATE, 'utf8')) as PersistentState;
  return state.pids.every(alive) ? state : undefined;
}
