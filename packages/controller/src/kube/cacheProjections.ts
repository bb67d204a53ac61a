import type * as k8s from '@kubernetes/client-node';
import type { LBAddress } from '@herald/core';
import { InternedStrings } from '@herald/kube';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const interned = new InternedStrings();

// Projections are object literals with every key present (undefined when absent): one hidden class per
// kind of object. Deleting the absent keys instead would turn each object into a (larger) dictionary.

type AnyCondition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string | Date; observedGeneration?: number };
function projectConditions<C extends AnyCondition>(conditions: readonly C[] | undefined): C[] | undefined {
  return conditions?.map(
    (c) =>
      ({
        type: interned.of(c.type),
        status: interned.of(c.status),
        reason: interned.of(c.reason),
        message: c.message,
        lastTransitionTime: typeof c.lastTransitionTime === 'string' ? interned.of(c.lastTransitionTime) : c.lastTransitionTime,
        observedGeneration: c.observedGeneration,
      }) as C,
  );
}

/**
 * What the controller keeps of a Service: the fields core's planService and the status writer read
 * (ServiceObject, herald's and others' conditions, the ingress IPs), nothing else — no managedFields, no
 * kubectl last-applied copy, no ClusterIPs, NodePorts or port names. With 10,000 Services the Service
 * cache is the largest part of the controller's heap.
 */
export function projectService<T extends k8s.V1Service>(svc: T): T {
  const m = svc.metadata ?? {};
  const spec = svc.spec ?? {};
  let annotations = m.annotations;
  if (annotations && LAST_APPLIED in annotations) {
    const { [LAST_APPLIED]: _dropped, ...rest } = annotations;
    annotations = rest;
  }
  const ingress = svc.status?.loadBalancer?.ingress;
  return {
    metadata: { name: m.name, namespace: interned.of(m.namespace), uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels, annotations },
    spec: {
      type: interned.of(spec.type),
      loadBalancerClass: interned.of(spec.loadBalancerClass),
      loadBalancerIP: spec.loadBalancerIP,
      ipFamilies: spec.ipFamilies?.map((f) => interned.of(f)),
      ipFamilyPolicy: interned.of(spec.ipFamilyPolicy),
      externalTrafficPolicy: interned.of(spec.externalTrafficPolicy),
      selector: spec.selector,
      ports: spec.ports?.map((p) => ({ protocol: interned.of(p.protocol), port: p.port })),
    },
    status: svc.status && {
      loadBalancer: ingress && { ingress: ingress.map((i) => ({ ip: i.ip, hostname: i.hostname })) },
      conditions: projectConditions(svc.status.conditions as AnyCondition[] | undefined),
    },
  } as T;
}

/** A Namespace is read for its name and labels (pool namespaceSelectors) only. */
export function projectNamespace<T extends k8s.V1Namespace>(ns: T): T {
  const m = ns.metadata;
  return { metadata: { name: m?.name, uid: m?.uid, resourceVersion: m?.resourceVersion, ...(m?.labels ? { labels: m.labels } : {}) } } as T;
}

/**
 * What the controller keeps of an LBAddress: name and resourceVersion, the spec it plans against, and the
 * speaker's status (the Services' Announced condition follows it). Not apiVersion, kind, ownerReferences
 * (written with every create and patch, never read back) or managedFields.
 */
export function projectLBAddress<T extends LBAddress>(a: T): T {
  const m = a.metadata ?? {};
  const spec = a.spec;
  const status = a.status;
  return {
    metadata: { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
    spec: spec && {
      ...spec,
      pool: interned.of(spec.pool),
      services: spec.services?.map((s) => ({ ...s, namespace: interned.of(s.namespace) })),
    },
    status: status && { ...status, conditions: projectConditions(status.conditions) },
  } as T;
}
