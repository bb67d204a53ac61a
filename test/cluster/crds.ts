import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectl } from './kube.js';

/** The chart's CRDs: the single source, applied unchanged (a Helm chart installs them from crds/ as they are). */
export const CRD_DIR = resolve(import.meta.dirname, '../../charts/herald/crds');

export const crdFiles = (): string[] =>
  readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(CRD_DIR, f));

export const HERALD_CRDS = ['ipaddresspools.herald.dev', 'l2advertisements.herald.dev', 'lbaddresses.herald.dev'] as const;

async function generations(): Promise<Map<string, number>> {
  const r = await kubectl(['get', 'crd', ...HERALD_CRDS, '--ignore-not-found', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.generation}{"\\n"}{end}']);
  if (r.code !== 0) throw new Error(`kubectl get crd failed: ${r.stderr.trim()}`);
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]).map(([n, g]) => [n, Number(g)]));
}

/**
 * Server-side applies herald's CRDs from charts/herald/crds and waits until they are Established and served.
 * Idempotent: a second call changes nothing. When an existing CRD's schema changed (a cluster left up by
 * `npm run cluster:up` across edits), it waits a moment more, because the apiserver swaps in new validation
 * asynchronously after the update and no status field reports when that happened.
 */
export async function applyCrds(): Promise<void> {
  const before = await generations();
  const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=herald-tests', ...crdFiles().flatMap((f) => ['-f', f])]);
  if (applied.code !== 0) throw new Error(`applying ${CRD_DIR} failed:\n${applied.stderr.trim()}`);
  const waited = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...HERALD_CRDS.map((n) => `crd/${n}`)]);
  if (waited.code !== 0) throw new Error(`herald CRDs did not become Established: ${waited.stderr.trim()}`);
  const after = await generations();
  if ([...before].some(([name, g]) => after.get(name) !== g)) await sleep(1_000);
  // Established means the resource is served; make sure discovery lists it too, so kubectl can use the names.
  for (let i = 0; ; i++) {
    const r = await kubectl(['get', 'ipaddresspools,l2advertisements,lbaddresses', '-o', 'name']);
    if (r.code === 0) return;
    if (i >= 50) throw new Error(`herald resources not served after Established: ${r.stderr.trim()}`);
    await sleep(100);
  }
}
