import type * as k8s from '@kubernetes/client-node';
import { withoutManagedFields } from '@herald/kube';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the controller keeps of a Service: everything but managedFields and kubectl's copy of the last
 * applied object (together often more than half of a Service's JSON). With 10,000 Services the Service
 * cache is most of the controller's memory.
 */
export function projectService<T extends k8s.V1Service>(svc: T): T {
  const lean = withoutManagedFields(svc as T & { metadata?: { name?: string } });
  const annotations = lean.metadata?.annotations;
  if (!annotations || !(LAST_APPLIED in annotations)) return lean;
  const { [LAST_APPLIED]: _dropped, ...rest } = annotations;
  return { ...lean, metadata: { ...lean.metadata, annotations: rest } };
}

/** A Namespace is read for its name and labels (pool namespaceSelectors) only. */
export function projectNamespace<T extends k8s.V1Namespace>(ns: T): T {
  const m = ns.metadata;
  return { metadata: { name: m?.name, uid: m?.uid, resourceVersion: m?.resourceVersion, ...(m?.labels ? { labels: m.labels } : {}) } } as T;
}
