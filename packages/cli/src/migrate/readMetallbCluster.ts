import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { LegacyConfig, MetalLBObject } from '@herald/core';
import { CliError } from '../cliError.js';
import type { ClusterConnection } from '../kube/clusterConnection.js';
import { serviceFacts, type MetalLBSource } from './metallbSource.js';

/** MetalLB's kinds migrate reads; BGP ones only to report them. BGPPeer is served as v1beta2 since 0.14. */
const RESOURCES = [
  { plural: 'ipaddresspools', versions: ['v1beta1'] },
  { plural: 'l2advertisements', versions: ['v1beta1'] },
  { plural: 'bgpadvertisements', versions: ['v1beta1'] },
  { plural: 'bgppeers', versions: ['v1beta2', 'v1beta1'] },
  { plural: 'bfdprofiles', versions: ['v1beta1'] },
  { plural: 'communities', versions: ['v1beta1'] },
] as const;

/**
 * MetalLB configuration from the live cluster: its CRs in its namespace (a kind whose CRD is not installed
 * is simply absent), the legacy ConfigMap `config` if there is one, and every LoadBalancer Service.
 */
export async function readMetallbCluster(conn: ClusterConnection, namespace: string): Promise<MetalLBSource> {
  const custom = conn.kc.makeApiClient(k8s.CustomObjectsApi);
  const core = conn.kc.makeApiClient(k8s.CoreV1Api);
  const objects: MetalLBObject[] = [];
  for (const r of RESOURCES) {
    for (const version of r.versions) {
      const list = await conn.call(`list ${r.plural}.metallb.io in namespace ${namespace}`, () => custom.listNamespacedCustomObject({ group: 'metallb.io', version, namespace, plural: r.plural }) as Promise<{ items: MetalLBObject[] }>, { notFoundOk: true });
      if (!list) continue;
      objects.push(...list.items);
      break;
    }
  }
  let legacy: MetalLBSource['legacy'];
  const cm = await conn.call(`get configmaps in namespace ${namespace} (MetalLB's legacy ConfigMap "config")`, () => core.readNamespacedConfigMap({ name: 'config', namespace }), { notFoundOk: true });
  if (cm?.data?.config !== undefined) {
    const doc = parseAllDocuments(cm.data.config)[0];
    if (!doc || doc.errors.length) throw new CliError(`ConfigMap ${namespace}/config: the config key is not YAML: ${doc?.errors[0]?.message ?? 'empty'}`);
    legacy = { config: (doc.toJS() ?? {}) as LegacyConfig, source: `${namespace}/config` };
  }
  const services = await conn.call('list services in all namespaces', () => core.listServiceForAllNamespaces());
  return { description: `cluster ${conn.server}, namespace ${namespace}`, objects, ...(legacy ? { legacy } : {}), services: serviceFacts(services?.items ?? []) };
}
