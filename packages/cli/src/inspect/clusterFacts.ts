import * as k8s from '@kubernetes/client-node';
import { GROUP, SPEAKER_LEASE_SELECTOR, VERSION, type IPAddressPool, type L2Advertisement, type LBAddress } from '@herald/core';
import { CliError } from '../cliError.js';
import type { ClusterConnection } from '../kube/clusterConnection.js';

/** Everything status and explain compute from: one list per resource, read once, then only pure code runs. */
export interface ClusterFacts {
  readonly services: readonly k8s.V1Service[];
  readonly slices: readonly k8s.V1EndpointSlice[];
  readonly nodes: readonly k8s.V1Node[];
  readonly namespaces: readonly k8s.V1Namespace[];
  readonly pools: readonly IPAddressPool[];
  readonly advertisements: readonly L2Advertisement[];
  readonly addresses: readonly LBAddress[];
  /** herald-speaker-<node> Leases in the release namespace. */
  readonly leases: readonly k8s.V1Lease[];
}

/** Lists each resource herald's binaries watch, bounded by the connection's timeout; RBAC errors name the verb. */
export async function readClusterFacts(conn: ClusterConnection, o: { releaseNamespace: string }): Promise<ClusterFacts> {
  const core = conn.kc.makeApiClient(k8s.CoreV1Api);
  const discovery = conn.kc.makeApiClient(k8s.DiscoveryV1Api);
  const coordination = conn.kc.makeApiClient(k8s.CoordinationV1Api);
  const custom = conn.kc.makeApiClient(k8s.CustomObjectsApi);
  const heraldList = async <T>(plural: string): Promise<T[]> => {
    const list = await conn.call(`list ${plural}.${GROUP} (cluster-wide)`, () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as Promise<{ items: T[] }>, { notFoundOk: true });
    if (!list) throw new CliNotInstalled(conn.server);
    return list.items;
  };
  const [services, slices, nodes, namespaces, pools, advertisements, addresses, leases] = await Promise.all([
    conn.call('list services (cluster-wide)', () => core.listServiceForAllNamespaces()),
    conn.call('list endpointslices.discovery.k8s.io (cluster-wide)', () => discovery.listEndpointSliceForAllNamespaces()),
    conn.call('list nodes', () => core.listNode()),
    conn.call('list namespaces', () => core.listNamespace()),
    heraldList<IPAddressPool>('ipaddresspools'),
    heraldList<L2Advertisement>('l2advertisements'),
    heraldList<LBAddress>('lbaddresses'),
    conn.call(`list leases.coordination.k8s.io in namespace ${o.releaseNamespace}`, () => coordination.listNamespacedLease({ namespace: o.releaseNamespace, labelSelector: SPEAKER_LEASE_SELECTOR })),
  ]);
  return {
    services: services?.items ?? [],
    slices: slices?.items ?? [],
    nodes: nodes?.items ?? [],
    namespaces: namespaces?.items ?? [],
    pools,
    advertisements,
    addresses,
    leases: leases?.items ?? [],
  };
}

/** Events about one object, newest last: the Service's transitions as the controller recorded them. */
export async function readEvents(conn: ClusterConnection, o: { namespace: string; kind: string; name: string }): Promise<k8s.CoreV1Event[]> {
  const core = conn.kc.makeApiClient(k8s.CoreV1Api);
  const list = await conn.call(`list events in namespace ${o.namespace}`, () =>
    core.listNamespacedEvent({ namespace: o.namespace, fieldSelector: `involvedObject.kind=${o.kind},involvedObject.name=${o.name}` }),
  );
  return list?.items ?? [];
}

class CliNotInstalled extends CliError {
  constructor(server: string) {
    super(`herald's CRDs (${GROUP}) are not installed on ${server}: is herald installed in this cluster?`);
  }
}
