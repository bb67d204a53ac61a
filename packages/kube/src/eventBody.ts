import type * as k8s from '@kubernetes/client-node';

export interface EventSubject {
  kind: string;
  apiVersion: string;
  name: string;
  /** Cluster-scoped objects have none; their Events go to "default", as Kubernetes does. */
  namespace?: string;
  uid?: string;
}

/** A core/v1 Event about `subject`, reported by `component` (and the instance: pod or node). */
export function eventBody(
  subject: EventSubject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  reporter: { component: string; instance: string; host?: string },
): { namespace: string; body: k8s.CoreV1Event } {
  const now = new Date();
  return {
    namespace: subject.namespace ?? 'default',
    body: {
      metadata: { generateName: `${subject.name}.` },
      involvedObject: { kind: subject.kind, name: subject.name, namespace: subject.namespace, uid: subject.uid, apiVersion: subject.apiVersion },
      reason,
      message,
      type,
      source: { component: reporter.component, ...(reporter.host ? { host: reporter.host } : {}) },
      reportingComponent: reporter.component,
      reportingInstance: reporter.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  };
}
