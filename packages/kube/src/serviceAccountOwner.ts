import * as k8s from '@kubernetes/client-node';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/**
 * An ownerReference to this component's ServiceAccount (which the chart owns), for objects the process
 * creates at run time (its Leases): when the release is uninstalled the garbage collector removes them
 * with the ServiceAccount, even though the process itself can no longer act. Undefined if unreadable.
 */
export async function serviceAccountOwner(kc: k8s.KubeConfig, namespace: string, name: string): Promise<OwnerReference | undefined> {
  try {
    const sa = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedServiceAccount({ name, namespace });
    const uid = sa.metadata?.uid;
    return uid ? { apiVersion: 'v1', kind: 'ServiceAccount', name, uid } : undefined;
  } catch {
    return undefined;
  }
}
