import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../processes.js';
import { adminKubeConfig, cluster, kubectl, mergePatch, testNamespace } from './kube.js';

describe('the real control plane', () => {
  it('reports the pinned Kubernetes version', async () => {
    const r = await kubectl(['version', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.serverVersion.gitVersion).toBe('v1.36.4');
    expect(v.clientVersion.gitVersion).toBe('v1.36.4');
  });

  it('refuses an anonymous request and a wrong client (TLS + RBAC are on)', async () => {
    const res = await fetch(`${cluster().server}/api/v1/namespaces`, { signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e);
    // Node's fetch does not trust our CA, so the TLS handshake itself fails: the server is not plain HTTP.
    expect(res).toBeInstanceOf(Error);
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: cluster().server, skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'not-a-token' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'nobody' }],
      currentContext: 'c',
    });
    const err = await kc.makeApiClient(k8s.CoreV1Api).listNamespace().catch((e: k8s.ApiException<unknown>) => e);
    expect((err as k8s.ApiException<unknown>).code).toBe(401);
  });

  it('gives a LoadBalancer Service a ClusterIP and NodePorts, and reads back a merge-patched status', async () => {
    const namespace = await testNamespace();
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    const svc = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }] },
      },
    });
    expect(svc.spec?.clusterIP).toMatch(/^198\.51\.100\.\d+$/);
    for (const p of svc.spec?.ports ?? []) {
      expect(p.nodePort).toBeGreaterThanOrEqual(30000);
      expect(p.nodePort).toBeLessThanOrEqual(32767);
    }
    expect(svc.status?.loadBalancer?.ingress ?? []).toEqual([]);

    await core.patchNamespacedServiceStatus(
      { name: 'web', namespace, body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.200', ipMode: 'VIP' }] } } } },
      mergePatch,
    );
    const back = await core.readNamespacedService({ name: 'web', namespace });
    expect(back.status?.loadBalancer?.ingress).toEqual([{ ip: '192.0.2.200', ipMode: 'VIP' }]);
    const shown = await kubectl(['get', 'svc', 'web', '-n', namespace]);
    expect(shown.stdout).toMatch(/web\s+LoadBalancer\s+198\.51\.100\.\d+\s+192\.0\.2\.200\s+80:\d+\/TCP,443:\d+\/TCP/);
  });

  it('allocates dual-stack ClusterIPs from the documentation ranges', async () => {
    const namespace = await testNamespace();
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    const svc = await core.createNamespacedService({
      namespace,
      body: { metadata: { name: 'ds' }, spec: { type: 'LoadBalancer', ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 53, protocol: 'UDP' }] } },
    });
    expect(svc.spec?.ipFamilies).toEqual(['IPv4', 'IPv6']);
    expect(svc.spec?.clusterIPs?.[1]).toMatch(/^2001:db8:96::/);
  });

  it('kube-controller-manager builds the EndpointSlice of a Service from a Ready Pod on a Node', async () => {
    const namespace = await testNamespace();
    const kc = adminKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const nodeName = `node-${namespace}`;
    await core.createNode({ body: { metadata: { name: nodeName, labels: { 'kubernetes.io/os': 'linux' } } } });
    try {
      await core.createNamespacedService({
        namespace,
        body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
      });
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'web-0', labels: { app: 'web' } },
          spec: { nodeName, containers: [{ name: 'web', image: 'example.invalid/web', ports: [{ containerPort: 8080 }] }] },
        },
      });
      const now = new Date();
      await core.patchNamespacedPodStatus(
        {
          name: 'web-0',
          namespace,
          body: {
            status: {
              phase: 'Running',
              podIP: '192.0.2.150',
              podIPs: [{ ip: '192.0.2.150' }],
              conditions: [
                { type: 'Ready', status: 'True', lastTransitionTime: now },
                { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
              ],
            },
          },
        },
        mergePatch,
      );
      let slice: k8s.V1EndpointSlice | undefined;
      await waitFor('an EndpointSlice with the ready pod', async () => {
        const list = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=web' });
        slice = list.items.find((s) => s.endpoints?.some((e) => e.addresses.includes('192.0.2.150')));
        return slice !== undefined;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      const ep = slice!.endpoints!.find((e) => e.addresses.includes('192.0.2.150'))!;
      expect(ep.nodeName).toBe(nodeName);
      expect(ep.conditions?.ready).toBe(true);
      expect(slice!.ports?.[0]?.port).toBe(8080);
      expect(slice!.metadata?.labels?.['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    } finally {
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
    }
  });
});
