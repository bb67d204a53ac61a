import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClusterInfo } from './clusterInfo.js';
import { isAlive } from '../processes.js';

export const PERSISTENT_DIR = resolve(import.meta.dirname, '../../.cache/cluster');
export const PERSISTENT_STATE = join(PERSISTENT_DIR, 'state.json');

export interface PersistentState {
  info: ClusterInfo;
  pids: number[];
}


/** The cluster left running by `npm run cluster:up`, if its processes are all still alive. */
export function runningPersistentCluster(): PersistentState | undefined {
  if (!existsSync(PERSISTENT_STATE)) return undefined;
  const state = JSON.parse(readFileSync(PERSISTENT_STATE, 'utf8')) as PersistentState;
  return state.pids.every(isAlive) ? state : undefined;
}
