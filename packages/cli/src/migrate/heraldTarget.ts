import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type IPAddressPool, type L2Advertisement } from '@herald/core';
import { stringify } from 'yaml';
import { CliError } from '../cliError.js';
import type { ClusterConnection } from '../kube/clusterConnection.js';
import { lineDiff } from './lineDiff.js';

export type HeraldObject = IPAddressPool | L2Advertisement;
export type ObjectAction = 'create' | 'update' | 'unchanged';

export interface PlannedObject {
  readonly kind: 'IPAddressPool' | 'L2Advertisement';
  readonly name: string;
  /** `create` when nothing is known about the cluster (files only, dry run). */
  readonly action: ObjectAction;
  /** For `update`: the spec and labels as they are, against what migrate writes. */
  readonly diff?: string[];
  readonly object: HeraldObject;
  /** For `update`: the object in the cluster, whose resourceVersion guards a replace. */
  readonly existing?: HeraldObject;
}

export const FIELD_MANAGER = 'kubectl-herald';
const plural = (kind: PlannedObject['kind']) => (kind === 'IPAddressPool' ? 'ipaddresspools' : 'l2advertisements');
const comparable = (o: { metadata?: { labels?: Record<string, string> }; spec?: unknown }) => ({ labels: o.metadata?.labels ?? {}, spec: o.spec ?? {} });
const text = (v: unknown) => stringify(v, { sortMapEntries: true });

/**
 * What the object would be after server-side apply sets `desired` on `existing`: fields migrate sets win
 * (lists are replaced whole), fields it does not set stay (defaults such as autoAssign: true, or a field
 * someone else owns). Equal to `existing` means --apply changes nothing.
 */
function overlay(existing: unknown, desired: unknown): unknown {
  if (desired === null || typeof desired !== 'object' || Array.isArray(desired) || existing === null || typeof existing !== 'object' || Array.isArray(existing)) return desired;
  const out: Record<string, unknown> = { ...(existing as Record<string, unknown>) };
  for (const [k, v] of Object.entries(desired as Record<string, unknown>)) out[k] = overlay(out[k], v);
  return out;
}

/** Compares each migrated object with the herald object of the same name, if `existing` knows of one. */
export function planObjects(objects: readonly HeraldObject[], existing: ReadonlyMap<string, HeraldObject> | undefined): PlannedObject[] {
  return objects.map((object) => {
    const kind: PlannedObject['kind'] = object.kind === 'L2Advertisement' ? 'L2Advertisement' : 'IPAddressPool';
    const before = existing?.get(`${kind}/${object.metadata.name}`);
    if (!before) return { kind, name: object.metadata.name, action: 'create', object };
    const now = comparable(before);
    const [a, b] = [text(now), text(overlay(now, comparable(object)))];
    return a === b ? { kind, name: object.metadata.name, action: 'unchanged', object } : { kind, name: object.metadata.name, action: 'update', diff: lineDiff(a, b), object, existing: before };
  });
}

/** herald's pools and advertisements in the cluster; undefined when herald's CRDs are not installed yet. */
export async function readHeraldObjects(conn: ClusterConnection): Promise<Map<string, HeraldObject> | undefined> {
  const custom = conn.kc.makeApiClient(k8s.CustomObjectsApi);
  const out = new Map<string, HeraldObject>();
  for (const kind of ['IPAddressPool', 'L2Advertisement'] as const) {
    const list = await conn.call(`list ${plural(kind)}.${GROUP}`, () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(kind) }) as Promise<{ items: HeraldObject[] }>, { notFoundOk: true });
    if (!list) return undefined;
    for (const o of list.items) out.set(`${kind}/${o.metadata.name}`, o);
  }
  return out;
}

/**
 * Creates the missing objects with server-side apply (field manager `kubectl-herald`). An object that
 * exists with another spec is someone's decision: it is left alone unless `overwrite`, which replaces its
 * labels and spec guarded by the resourceVersion that was diffed (a change since then fails, not lost).
 */
export async function applyObjects(conn: ClusterConnection, planned: readonly PlannedObject[], o: { overwrite: boolean }): Promise<void> {
  const custom = conn.kc.makeApiClient(k8s.CustomObjectsApi);
  const ssa = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
  for (const p of planned) {
    if (p.action === 'unchanged' || (p.action === 'update' && !o.overwrite)) continue;
    const meta = { ...(p.object.metadata.labels ? { labels: p.object.metadata.labels } : {}), annotations: p.object.metadata.annotations };
    try {
      if (p.action === 'create') {
        const body = { apiVersion: API_VERSION, kind: p.kind, metadata: { name: p.name, ...meta }, spec: p.object.spec };
        await conn.call(`patch ${plural(p.kind)}.${GROUP} ${p.name} (server-side apply)`, () => custom.patchClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(p.kind), name: p.name, body, fieldManager: FIELD_MANAGER }, ssa));
      } else {
        const e = p.existing!;
        const body = { ...e, metadata: { ...e.metadata, labels: p.object.metadata.labels ?? {}, annotations: { ...(e.metadata.annotations ?? {}), ...p.object.metadata.annotations } }, spec: p.object.spec };
        await conn.call(`update ${plural(p.kind)}.${GROUP} ${p.name}`, () => custom.replaceClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(p.kind), name: p.name, body, fieldManager: FIELD_MANAGER }));
      }
    } catch (e) {
      throw new CliError(`${(e as Error).message}\n(${p.kind} ${p.name}: objects written before it are kept; fix the cause and run migrate --apply again, it is idempotent)`);
    }
  }
}

/** Adds herald's Service annotations next to MetalLB's (which stay, so going back to MetalLB keeps working). */
export async function annotateServices(conn: ClusterConnection, patches: readonly { namespace: string; name: string; add: Record<string, string> }[]): Promise<void> {
  const core = conn.kc.makeApiClient(k8s.CoreV1Api);
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  for (const p of patches) {
    await conn.call(`patch services in namespace ${p.namespace} (${p.name})`, () => core.patchNamespacedService({ namespace: p.namespace, name: p.name, body: { metadata: { annotations: p.add } } }, merge));
  }
}
