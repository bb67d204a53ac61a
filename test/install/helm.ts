import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { run, type RunResult } from '../run.js';

const root = resolve(import.meta.dirname, '../..');
export const CHART = join(root, 'charts/herald');

/** The pinned helm binaries (built from the Go module proxy into the cache on first use). */
export function helmDir(): string {
  const out = execFileSync('bash', [join(root, 'test/cluster/build-helm.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  return out.trim().split('\n').pop() as string;
}

export function helm(args: string[], o: { kubeconfig: string; version?: 3 | 4 }): Promise<RunResult> {
  const bin = join(helmDir(), o.version === 3 ? 'helm3' : 'helm');
  return run(bin, ['--kubeconfig', o.kubeconfig, ...args], { timeoutMs: 120_000 });
}
