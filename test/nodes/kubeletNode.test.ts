// Real nodes, first steps (issue 10): one LAN node namespace becomes a Kubernetes node with kubelet v1.36.4
// (built like the apiserver), Debian's containerd 1.6 and the CNI bridge plugin, registers Ready, runs a Pod
// from an image imported into its containerd (also the herald image), and kube-proxy (nftables) takes Services
// to endpoints. Not part of npm test yet: HERALD_REAL_NODES=1 node test/run.mjs --project nodes (root; about
// 90 s once the binaries and images are built).
import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
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
// Pod CIDRs are /29s from 203.0.113.96/27 (podNetwork.test.ts gives node i the i-th).
const POD_CIDR = '203.0.113.96/29';
const BACKEND = `require('node:http').createServer((q, r) => r.end('backend on ' + process.argv[1])).listen(8080, process.argv[2])`;

describe('a LAN node namespace as a Kubernetes node', () => {
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const discovery = adminKubeConfig().makeApiClient(k8s.DiscoveryV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  let lan: Lan | undefined;
  let node: KubeletNode | undefined;
  let images = '';

  beforeAll(async () => {
    const binDir = (await mustRun('bash', [join(root, 'test/cluster/build-node.sh')], { timeoutMs: 1_800_000 })).trim();
    lan = await Lan.create({ nodes: 1, apiserver: { port: cluster().apiPort } });
    images = (await mustRun('bash', [join(root, 'test/nodes/node-images.sh')], { timeoutMs: 300_000 })).trim();
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
    await waitFor('containerd socket', () => existsSync(join(node!.dir, 'containerd.sock')), { timeoutMs: 20_000 });
    await node!.importImages([join(images, 'hrl-pause-1.tar'), join(images, 'hrl-busybox-1.tar')]);
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
  }, 120_000);

  it('runs a Pod (busybox httpd from an image imported into containerd) on the CNI bridge; a Service with a selector reaches it through kube-proxy', async () => {
    const n = lan!.nodes[0]!;
    const ns = `pod-${tag}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      await core.createNamespacedPod({ namespace: ns, body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          nodeName: node!.name, automountServiceAccountToken: false, terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd', image: 'localhost/hrl-busybox:1', imagePullPolicy: 'Never',
            args: ['sh', '-c', 'mkdir -p /tmp/www && echo "pod on $NODE" > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'],
            env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          }],
        },
      } });
      let pod: k8s.V1Pod | undefined;
      await waitFor('Pod web Ready', async () => {
        pod = await core.readNamespacedPod({ namespace: ns, name: 'web' });
        const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
        if (ready?.status !== 'True') throw new Error(`phase ${pod.status?.phase}: ${JSON.stringify(pod.status?.containerStatuses?.[0]?.state ?? pod.status?.conditions)}`);
        return true;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      const podIP = pod!.status!.podIP!;
      expect(podIP).toMatch(/^203\.0\.113\.(9[7-9]|10[0-2])$/);
      expect(await lan!.exec(n.netns, ['curl', '-sS', '--max-time', '2', `http://${podIP}:8080/`])).toBe(`pod on ${node!.name}\n`);

      const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
      let page = '';
      await waitFor('curl to the Service through kube-proxy', async () => {
        page = await lan!.exec(n.netns, ['curl', '-sS', '--max-time', '2', `http://${svc.spec!.clusterIP}/`]);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      expect(page).toBe(`pod on ${node!.name}\n`);
    } finally {
      await core.deleteNamespace({ name: ns });
    }
  }, 120_000);

  it('runs the herald image (built from the Dockerfile, imported into containerd) as a Pod with the chart\'s controller securityContext', async () => {
    const archive = join(node!.dir, 'herald.tar');
    await mustRun('bash', [join(root, 'test/docker/build-image.sh'), '--archive', archive, '--tag', 'localhost/herald:nodes'], { timeoutMs: 1_800_000 });
    await node!.importImages([archive]);
    const ns = `img-${tag}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      await core.createNamespacedPod({ namespace: ns, body: {
        metadata: { name: 'controller-help' },
        spec: {
          nodeName: node!.name, automountServiceAccountToken: false, restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 },
          containers: [{
            name: 'controller', image: 'localhost/herald:nodes', imagePullPolicy: 'Never', command: ['herald-controller'], args: ['--help'],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      } });
      let pod: k8s.V1Pod | undefined;
      await waitFor('Pod controller-help Succeeded', async () => {
        pod = await core.readNamespacedPod({ namespace: ns, name: 'controller-help' });
        if (pod.status?.phase !== 'Succeeded') throw new Error(`phase ${pod.status?.phase}: ${JSON.stringify(pod.status?.containerStatuses?.[0]?.state)}`);
        return true;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      expect(pod!.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
      // The apiserver cannot reach the kubelet inside the LAN, so the log is read where the kubelet wrote it.
      const log = await mustRun('sh', ['-c', `cat ${node!.dir}/pod-logs/${ns}_controller-help_*/controller/0.log`]);
      expect(log).toContain('herald-controller: assigns addresses');
    } finally {
      await core.deleteNamespace({ name: ns });
    }
    passed = true;
  }, 1_900_000);
});
