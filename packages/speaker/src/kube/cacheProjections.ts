import type * as k8s from '@kubernetes/client-node';
import type { LBAddress } from '@herald/core';
import { InternedStrings } from '@herald/kube';

/** The label that ties an EndpointSlice to its Service (endpointSliceIndex.ts). */
const SERVICE_LABEL = 'kubernetes.io/service-name';
const interned = new InternedStrings();

// Projections are object literals with every key present (undefined when absent): one hidden class per kind
// of object. The speaker keeps a Service, an EndpointSlice and an LBAddress per address it may announce, so
// what the API server sends (managedFields, ClusterIPs, ports, endpoint addresses and targetRefs, the
// controller's serviceNames, apiVersion, ownerReferences) is most of its memory when kept as is
// (bench/speaker/heapBreakdown.ts: 10 KiB of 16 KiB per address, docs/install.md "Speaker memory by addresses").

/** What the speaker reads of a Service: the election's type/class/policy (core serviceFacts) and the uid for Events. */
export function projectService<T extends k8s.V1Service>(svc: T): T {
  const m = svc.metadata ?? {};
  const spec = svc.spec ?? {};
  return {
    metadata: { name: m.name, namespace: interned.of(m.namespace), uid: m.uid, resourceVersion: m.resourceVersion },
    spec: { type: interned.of(spec.type), loadBalancerClass: interned.of(spec.loadBalancerClass), externalTrafficPolicy: interned.of(spec.externalTrafficPolicy) },
  } as T;
}

/** What the speaker reads of an EndpointSlice: its Service, and each endpoint's node and readiness. */
export function projectEndpointSlice<T extends k8s.V1EndpointSlice>(slice: T): T {
  const m = slice.metadata ?? {};
  const service = m.labels?.[SERVICE_LABEL];
  return {
    metadata: { name: m.name, namespace: interned.of(m.namespace), resourceVersion: m.resourceVersion, labels: service === undefined ? undefined : { [SERVICE_LABEL]: service } },
    endpoints: (slice.endpoints ?? []).map((e) => ({
      nodeName: interned.of(e.nodeName),
      conditions: e.conditions && { ready: e.conditions.ready, serving: e.conditions.serving },
    })),
  } as T;
}

/**
 * What the speaker reads of a Node: its name and labels (exclusion, os) and whether the network is
 * unavailable. A Node's status (images, addresses, capacity) is tens of kilobytes in a real cluster.
 */
export function projectNode<T extends k8s.V1Node>(node: T): T {
  const m = node.metadata ?? {};
  const unavailable = node.status?.conditions?.filter((c) => c.type === 'NetworkUnavailable');
  return {
    metadata: { name: m.name, resourceVersion: m.resourceVersion, labels: m.labels },
    status: { conditions: unavailable?.map((c) => ({ type: interned.of(c.type), status: interned.of(c.status) })) },
  } as T;
}

/**
 * What the speaker keeps of an LBAddress: name, uid and resourceVersion, the address, pool and Services it
 * elects for, and the status it reports on. Not apiVersion, kind, ownerReferences, managedFields or the
 * controller's serviceNames column.
 */
export function projectLBAddress<T extends LBAddress>(a: T): T {
  const m = a.metadata ?? {};
  const spec = a.spec;
  const status = a.status;
  return {
    metadata: { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
    spec: spec && {
      address: spec.address,
      pool: interned.of(spec.pool),
      services: spec.services?.map((s) => ({ namespace: interned.of(s.namespace), name: s.name })),
    },
    status: status && {
      ...status,
      node: interned.of(status.node),
      interface: interned.of(status.interface),
      mac: interned.of(status.mac),
      conditions: status.conditions?.map((c) => ({ ...c, type: interned.of(c.type), status: interned.of(c.status), reason: interned.of(c.reason) })),
    },
  } as T;
}
