import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { renderKubeconfig } from './kubeconfig.js';
import type { ClusterInfo } from './clusterInfo.js';

interface RbacDoc {
  kind: 'ClusterRole' | 'Role';
  metadata: { name: string };
  rules: k8s.V1PolicyRule[];
}

/**
 * Creates a ServiceAccount bound to exactly the rules of an RBAC file from the chart (ClusterRole cluster
 * wide, Role in `namespace`) and returns a kubeconfig holding a token for it — never the admin's rights.
 */
export async function serviceAccountKubeconfig(o: {
  kc: k8s.KubeConfig;
  cluster: ClusterInfo;
  namespace: string;
  name: string;
  rbacFile: string;
  server?: string;
  tlsServerName?: string;
}): Promise<string> {
  const core = o.kc.makeApiClient(k8s.CoreV1Api);
  const rbac = o.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const docs = parseAllDocuments(readFileSync(o.rbacFile, 'utf8')).map((d) => d.toJS() as RbacDoc);
  await core.createNamespacedServiceAccount({ namespace: o.namespace, body: { metadata: { name: o.name } } });
  const subject = [{ kind: 'ServiceAccount', name: o.name, namespace: o.namespace }];
  for (const doc of docs) {
    // Suffix cluster-wide names so tests in parallel namespaces do not collide.
    const name = `${doc.metadata.name}-${o.namespace}`;
    if (doc.kind === 'ClusterRole') {
      await rbac.createClusterRole({ body: { metadata: { name }, rules: doc.rules } });
      await rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: subject } });
    } else {
      await rbac.createNamespacedRole({ namespace: o.namespace, body: { metadata: { name }, rules: doc.rules } });
      await rbac.createNamespacedRoleBinding({ namespace: o.namespace, body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: subject } });
    }
  }
  return tokenKubeconfig(o);
}

/** A kubeconfig holding a fresh token (TokenRequest) of an existing ServiceAccount, e.g. one a chart made. */
export async function tokenKubeconfig(o: { kc: k8s.KubeConfig; cluster: ClusterInfo; namespace: string; name: string; server?: string; tlsServerName?: string }): Promise<string> {
  const core = o.kc.makeApiClient(k8s.CoreV1Api);
  const token = await core.createNamespacedServiceAccountToken({ name: o.name, namespace: o.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 * 6 } } });
  return renderKubeconfig({
    server: o.server ?? o.cluster.server,
    caFile: o.cluster.caCert,
    user: { token: token.status?.token as string },
    ...(o.tlsServerName ? { tlsServerName: o.tlsServerName } : {}),
  });
}

/** Removes the cluster-scoped roles made by serviceAccountKubeconfig (namespaced ones go with the namespace). */
export async function deleteClusterRbac(kc: k8s.KubeConfig, rbacFile: string, namespace: string): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  for (const doc of parseAllDocuments(readFileSync(rbacFile, 'utf8')).map((d) => d.toJS() as RbacDoc)) {
    if (doc.kind !== 'ClusterRole') continue;
    const name = `${doc.metadata.name}-${namespace}`;
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  }
}

/**
 * A kubeconfig holding a token of ServiceAccount `name` bound to a Pod scheduled on `node`, as the kubelet
 * mounts it into a DaemonSet's pod: the apiserver then reports the node to admission
 * (userInfo.extra["authentication.kubernetes.io/node-name"]), which herald's speaker node restriction reads.
 * The Pod (`<name>-<node>`, never run: there is no kubelet) is created if missing; the token is valid while it
 * exists. Remove it with deleteTokenPods.
 */
export async function nodeBoundTokenKubeconfig(o: { kc: k8s.KubeConfig; cluster: ClusterInfo; namespace: string; name: string; node: string; server?: string; tlsServerName?: string }): Promise<string> {
  const core = o.kc.makeApiClient(k8s.CoreV1Api);
  const podName = `${o.name}-${o.node}`.slice(0, 253);
  const pod = await core.readNamespacedPod({ namespace: o.namespace, name: podName }).catch(() =>
    core.createNamespacedPod({
      namespace: o.namespace,
      body: {
        metadata: { name: podName, labels: { 'herald.dev/test-token-pod': o.name } },
        spec: { nodeName: o.node, serviceAccountName: o.name, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'example.invalid/token-holder' }] },
      },
    }));
  const token = await core.createNamespacedServiceAccountToken({
    name: o.name,
    namespace: o.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 * 6, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName, uid: pod.metadata?.uid } } },
  });
  return renderKubeconfig({
    server: o.server ?? o.cluster.server,
    caFile: o.cluster.caCert,
    user: { token: token.status?.token as string },
    ...(o.tlsServerName ? { tlsServerName: o.tlsServerName } : {}),
  });
}

/**
 * Deletes the Pods nodeBoundTokenKubeconfig made for ServiceAccount `name`, at once: Pods bound to a node
 * wait for a kubelet to confirm a graceful deletion, and there is none (it would hold up namespace deletion).
 */
export async function deleteTokenPods(kc: k8s.KubeConfig, namespace: string, name: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.deleteCollectionNamespacedPod({ namespace, labelSelector: `herald.dev/test-token-pod=${name}`, gracePeriodSeconds: 0 }).catch(() => undefined);
}
