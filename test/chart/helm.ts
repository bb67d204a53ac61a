// Renders charts/herald with the pinned helm binaries (test/cluster/build-helm.sh) — no cluster involved.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { mustRun, run } from '../run.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'charts/herald');
export const NAMESPACE = 'herald-system';
/**
 * The Kubernetes version helm renders for. Without a cluster helm assumes the one it was built against, and
 * build-helm.sh's `go install` leaves helm 3 at its fallback v1.20.0, which the chart's kubeVersion refuses.
 * The test control plane's version (test/cluster/build.sh).
 */
export const KUBE_VERSION = 'v1.36.4';

export interface Helm {
  /** "helm4" or "helm3", for test names. */
  name: string;
  path: string;
}

/** Builds (first time: minutes) or finds both helm binaries. */
export async function helmBinaries(): Promise<Helm[]> {
  const dir = (await mustRun('bash', [join(ROOT, 'test/cluster/build-helm.sh')], { timeoutMs: 900_000 })).trim();
  return [
    { name: 'helm4', path: join(dir, 'helm') },
    { name: 'helm3', path: join(dir, 'helm3') },
  ];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type Rendered = { ok: true; objects: KubeObject[]; text: string } | { ok: false; error: string };

// Made on first use: many test files import this module for its other exports and never render, and a
// directory made at import time outlived each of them in /tmp. Whoever renders calls removeScratch.
let scratch: string | undefined;
let files = 0;
export const removeScratch = () => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
};

/** A fresh path in the scratch directory (removed after the file's tests). */
export const scratchPath = (name: string) => join((scratch ??= mkdtempSync(join(tmpdir(), 'herald-chart-'))), `${++files}-${name}`);

/** A values file (JSON is YAML) in a scratch directory. */
export function valuesFile(values: unknown): string {
  const file = scratchPath('values.yaml');
  writeFileSync(file, typeof values === 'string' ? values : JSON.stringify(values));
  return file;
}

/** Every non-empty YAML document of a multi-document stream, as plain objects. */
export function parseObjects(text: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  for (const d of docs) if (d.errors.length) throw new Error(`helm rendered invalid YAML: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null);
}

/** `helm template herald charts/herald -n herald-system` with the given values (object, or raw YAML text). */
export async function template(helm: Helm, values: unknown = {}, extraArgs: string[] = []): Promise<Rendered> {
  const r = await run(helm.path, ['template', 'herald', CHART, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, '-f', valuesFile(values), ...extraArgs]);
  if (r.code !== 0) return { ok: false, error: r.stderr };
  return { ok: true, objects: parseObjects(r.stdout), text: r.stdout };
}

/** Renders and fails the test, with helm's message, if helm refused. */
export async function mustTemplate(helm: Helm, values: unknown = {}, extraArgs: string[] = []): Promise<KubeObject[]> {
  const r = await template(helm, values, extraArgs);
  if (!r.ok) throw new Error(`helm template failed: ${r.error}`);
  return r.objects;
}

/** The one object of this kind and name; throws with what there is if it is not there exactly once. */
export function find<T = KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${name}, found ${found.length} among: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  }
  return found[0] as T;
}

export const kindsAndNames = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
