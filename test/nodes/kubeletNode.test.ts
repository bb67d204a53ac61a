// Real nodes, first step (issue 10): one LAN node namespace becomes a Kubernetes node with kubelet v1.36.4
// (built like the apiserver), Debian's containerd and the CNI bridge plugin, and registers Ready. Not part of
// npm test yet: run it with HERALD_REAL_NODES=1 npx vitest run --project nodes.
import * as k8s from '@kubernetes/client-node';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_CIDRS } from '../cluster/controlPlane.js';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { Lan } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { mustRun } from '../run.js';
import { KubeletNode } from './kubeletNode.js';

const root = resolve(import.meta.dirname, '../..');
// Documentation space left free by the test world: 192.0.2.0/24 is the LAN, 198.51.100.0/24 the Services,
// 203.0.113.128/25 the management network, the low part of 203.0.113.0/25 the VIP ranges of other suites.
const POD_CIDR = '203.0.113.96/29';
const BACKEND = `require('node:http').createServer((q, r) => r.end('backend on ' + process.argv[1])).listen(8080, process.argv[2])`;

describe('a LAN node namespace as a Kubernetes node', () => {
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const discovery = adminKubeConfig().makeApiClient(k8s.DiscoveryV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  let lan: Lan | undefined;
  let node: KubeletNode | undefined;

  beforeAll(async () => {
    const binDir = (await mustRun('bash', [join(root, 'test/cluster/build-node.sh')], { timeoutMs: 1_800_000 })).trim();
    lan = await Lan.create({ nodes: 1, apiserver: { port: cluster().apiPort } });
    node = new KubeletNode({ lan, node: lan.nodes[0]!, cluster: cluster(), binDir, nodeName: `n1-${tag}`, podCidr: POD_CIDR });
  }, 1_900_000);

  let passed = false;

  afterAll(async () => {
    // On failure the kubelet's and containerd's logs stay in node.dir.
    await node?.stop({ keepFiles: !passed });
    await lan?.destroy();
    await core.deleteNode({ name: `n1-${tag}` }).catch(() => undefined);
  });

  it('kubelet registers the node and it becomes Ready (runtime and CNI network ready)', async () => {
    node!.start();
    let ready: k8s.V1Node | undefined;
    await waitFor('node Ready', async () => {
      ready = await core.readNode({ name: node!.name });
      const c = ready.status?.conditions?.find((x) => x.type === 'Ready');
      if (c?.status !== 'True') throw new Error(`Ready=${c?.status}: ${c?.reason} ${c?.message}`);
      return true;
    }, { timeoutMs: 90_000, intervalMs: 1000, abortIf: () => (node!.exitedWith === undefined ? undefined : `kubelet exited (${node!.exitedWith}); see ${node!.dir}`) });
    expect(ready!.status?.addresses).toContainEqual({ type: 'InternalIP', address: lan!.nodes[0]!.ipv4 });
    expect(ready!.status?.nodeInfo?.kubeletVersion).toBe('v1.36.4');
    expect(ready!.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
  }, 120_000);

  it('kube-proxy (nftables) takes a ClusterIP Service to its endpoint: curl from the node reaches the backend', async () => {
    const n = lan!.nodes[0]!;
    await node!.startKubeProxy({ clusterCidr: POD_CIDR, serviceCidr: SERVICE_CIDRS.split(',')[0]! });
    lan!.spawn(n, [process.execPath, '-e', BACKEND, n.name, n.ipv4], { logName: 'backend' });
    const ns = `kp-${tag}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
      const clusterIP = svc.spec!.clusterIP!;
      await discovery.createNamespacedEndpointSlice({ namespace: ns, body: {
        metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4',
        endpoints: [{ addresses: [n.ipv4], conditions: { ready: true }, nodeName: node!.name }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      } });
      let page = '';
      await waitFor(`curl http://${clusterIP}/ from the node`, async () => {
        page = await lan!.exec(n.netns, ['curl', '-sS', '--max-time', '2', `http://${clusterIP}/`]);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 500, abortIf: () => (node!.proxyExitedWith === undefined ? undefined : `kube-proxy exited; see ${node!.dir}`) });
      expect(page).toBe(`backend on ${n.name}`);
      // It is kube-proxy's nftables table that holds the Service, nothing else in the namespace.
      const table = await lan!.exec(n.netns, ['nft', 'list', 'table', 'ip', 'kube-proxy']);
      expect(table).toContain(clusterIP);
      expect(table).toContain(n.ipv4);
    } finally {
      await core.deleteNamespace({ name: ns });
    }
    passed = true;
  }, 120_000);
});
