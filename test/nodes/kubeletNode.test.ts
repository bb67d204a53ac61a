// Real nodes, first steps (issue 10): three LAN node namespaces become Kubernetes nodes with kubelet v1.36.4
// (built like the apiserver), Debian's containerd 1.6 and the CNI bridge plugin, each with its own pod CIDR and
// routes to the others' through their LAN addresses. They register Ready, run a Pod from an image imported into
// containerd that the other nodes reach at its pod address, and kube-proxy (nftables) takes a Service to it.
//
// test/install/pods.e2e.test.ts builds on exactly these pieces (plus the herald image, the chart and its own
// control plane) and takes minutes; this suite checks the pieces one by one on the shared control plane in
// about a minute, so a broken node, pod network or kube-proxy is named as such instead of as a chart install
// that times out. Part of npm test (integration project); needs root, and the node binaries and images
// (test/cluster/build-node.sh, test/nodes/node-images.sh: built on first use, and by .ci/run).
import * as k8s from '@kubernetes/client-node';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_CIDRS } from '../cluster/controlPlane.js';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { CONTAINERD_RUN_DIR, hostRunEntries } from '../containerdRunState.js';
import { cgroupPids, harnessCgroups } from '../harnessCgroups.mjs';
import { Lan } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { mustRun } from '../run.js';
import { KubeletNode } from './kubeletNode.js';

const root = resolve(import.meta.dirname, '../..');
// Documentation space left free by the test world: 192.0.2.0/24 is the LAN, 198.51.100.0/24 the Services,
// 203.0.113.128/25 the management network, the low part of 203.0.113.0/25 the VIP ranges of other suites.
/** Node i's pod CIDR: 8 addresses each from 203.0.113.96/27. */
const podCidr = (i: number) => `203.0.113.${96 + 8 * (i - 1)}/29`;
const CLUSTER_CIDR = '203.0.113.96/27';

describe('three LAN node namespaces as Kubernetes nodes: pod network and kube-proxy', () => {
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  const ns = `nodes-${tag}`;
  let lan: Lan | undefined;
  const nodes: KubeletNode[] = [];
  let podIP = '';
  let passed = 0;
  /** Ids of the containers (sandboxes and apps) each node's containerd ran, by node dir. */
  const containerIds = new Map<string, string[]>();
  /** The steps build on each other: after a failed one the rest would only time out. */
  const after = (steps: number) => {
    if (passed < steps) throw new Error('an earlier step of this suite failed');
  };

  beforeAll(async () => {
    const binDir = (await mustRun('bash', [join(root, 'test/cluster/build-node.sh')], { timeoutMs: 1_800_000 })).trim();
    const images = (await mustRun('bash', [join(root, 'test/nodes/node-images.sh')], { timeoutMs: 300_000 })).trim();
    lan = await Lan.create({ nodes: 3, apiserver: { port: cluster().apiPort } });
    for (const n of lan.nodes) {
      const kn = new KubeletNode({ lan, node: n, cluster: cluster(), binDir, nodeName: `${n.name}-${tag}`, podCidr: podCidr(n.index) });
      nodes.push(kn);
      kn.start();
      for (const other of lan.nodes) {
        if (other !== n) await lan.exec(n.netns, ['ip', 'route', 'replace', podCidr(other.index), 'via', other.ipv4, 'dev', n.lanInterface]);
      }
    }
    await Promise.all(nodes.map(async (kn) => {
      await waitFor(`${kn.name} containerd socket`, () => existsSync(join(kn.dir, 'containerd.sock')), { timeoutMs: 20_000, abortIf: () => (kn.exitedWith === undefined ? undefined : `${kn.name}'s kubelet exited (${kn.exitedWith}); see ${kn.dir}`) });
      await kn.importImages([join(images, 'hrl-pause-1.tar'), join(images, 'hrl-busybox-1.tar')]);
    }));
    await core.createNamespace({ body: { metadata: { name: ns } } });
  }, 1_900_000);

  afterAll(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    // On failure the kubelets', containerds' and kube-proxy's logs stay in the nodes' directories.
    for (const kn of nodes) {
      // The containers' bundles, in the node's containerd state dir: their ids are the names runc's state
      // and the shims' sockets would have in the machine's /run/containerd.
      const bundles = join(kn.dir, 'containerd/state/io.containerd.runtime.v2.task/k8s.io');
      if (existsSync(bundles)) containerIds.set(kn.dir, [...new Set([...(containerIds.get(kn.dir) ?? []), ...readdirSync(bundles)])]);
    }
    for (const kn of nodes) await kn.stop({ keepFiles: passed < 3 });
    // SIGKILLed shims (stop kills what outlives containerd) clean nothing up: runc state and sockets in the
    // machine's /run/containerd would stay forever.
    const runStateLeft = [...containerIds].flatMap(([nodeDir, ids]) => hostRunEntries({ nodeDir, ids }));
    const cgroupsLeft = lan ? harnessCgroups(`hrl-${lan.id}-`) : [];
    await lan?.destroy();
    for (const kn of nodes) await core.deleteNode({ name: kn.name }).catch(() => undefined);
    expect(cgroupsLeft, 'cgroups left after the nodes stopped').toEqual([]);
    expect(runStateLeft, `containerd run state left in ${CONTAINERD_RUN_DIR} after the nodes stopped`).toEqual([]);
  }, 120_000);

  it('kubelet registers all three nodes and they turn Ready (runtime and CNI network ready), with their LAN address, kubelet v1.36.4 and containerd 1.6', async () => {
    const ready = new Map<string, k8s.V1Node>();
    await waitFor('three Ready nodes', async () => {
      for (const kn of nodes) {
        const node = await core.readNode({ name: kn.name });
        const c = node.status?.conditions?.find((x) => x.type === 'Ready');
        if (c?.status !== 'True') throw new Error(`${kn.name} Ready=${c?.status}: ${c?.reason} ${c?.message}`);
        ready.set(kn.name, node);
      }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 1000, abortIf: () => nodes.map((k) => (k.exitedWith === undefined ? '' : `${k.name}'s kubelet exited (${k.exitedWith}); see ${k.dir}`)).find(Boolean) });
    for (const [i, kn] of nodes.entries()) {
      const node = ready.get(kn.name)!;
      expect(node.status?.addresses, kn.name).toContainEqual({ type: 'InternalIP', address: lan!.nodes[i]!.ipv4 });
      expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.36.4');
      expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
    }
    passed = 1;
  }, 150_000);

  it('a Pod (busybox httpd, image imported into containerd) runs on node 1\'s CNI bridge in its pod CIDR and answers HTTP from nodes 2 and 3 at its pod address', async () => {
    after(1);
    await core.createNamespacedPod({ namespace: ns, body: {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        nodeName: nodes[0]!.name, automountServiceAccountToken: false, terminationGracePeriodSeconds: 1,
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
    podIP = pod!.status!.podIP!;
    // The Pod's processes (pause, httpd) are in node 1's hrl- cgroup, which the LAN's state lists: a killed
    // test process leaves them to its reaper and the sweep.
    expect(lan!.state.resources.cgroups).toEqual(nodes.map((kn) => kn.cgroupRoot));
    expect(nodes[0]!.cgroupRoot).toBe(`hrl-${lan!.id}-n1`);
    expect(cgroupPids(nodes[0]!.cgroupRoot).length).toBeGreaterThanOrEqual(2);
    // The Pod's runc state and shim socket are in node 1's own /run/containerd (a tmpfs in its mount
    // namespace, seen through its kubelet's /proc/<pid>/root), not in the machine's: they vanish with the node.
    const bundles = readdirSync(join(nodes[0]!.dir, 'containerd/state/io.containerd.runtime.v2.task/k8s.io'));
    expect(bundles.length, 'sandbox and httpd').toBeGreaterThanOrEqual(2);
    containerIds.set(nodes[0]!.dir, bundles);
    const nodeRunDir = `/proc/${nodes[0]!.proc!.pid}/root${CONTAINERD_RUN_DIR}`;
    expect(hostRunEntries({ nodeDir: nodes[0]!.dir, ids: bundles, runDir: nodeRunDir }).length, `entries in ${nodeRunDir}`).toBeGreaterThanOrEqual(bundles.length + 1);
    expect(hostRunEntries({ nodeDir: nodes[0]!.dir, ids: bundles }), `node 1's entries in the machine's ${CONTAINERD_RUN_DIR}`).toEqual([]);
    // Node 1's /29 (the bridge's gateway is .97).
    expect(podIP).toMatch(/^203\.0\.113\.(9[89]|10[0-2])$/);
    for (const n of lan!.nodes) {
      // Retried: a single connection may time out on a starved host; what must hold is that the page comes.
      let page = '';
      await waitFor(`curl http://${podIP}:8080/ from ${n.name}`, async () => {
        page = await lan!.exec(n.netns, ['curl', '-sS', '--max-time', '3', `http://${podIP}:8080/`]);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      expect(page, n.name).toBe(`pod on ${nodes[0]!.name}\n`);
    }
    passed = 2;
  }, 120_000);

  it('kube-proxy (nftables) on node 3 takes a ClusterIP Service with a selector to the Pod on node 1: curl from node 3 reaches it, and the Service is in kube-proxy\'s table', async () => {
    after(2);
    const n3 = lan!.nodes[2]!;
    const kn3 = nodes[2]!;
    await kn3.startKubeProxy({ clusterCidr: CLUSTER_CIDR, serviceCidr: SERVICE_CIDRS.split(',')[0]! });
    const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const clusterIP = svc.spec!.clusterIP!;
    let page = '';
    await waitFor(`curl http://${clusterIP}/ from ${n3.name} through kube-proxy`, async () => {
      page = await lan!.exec(n3.netns, ['curl', '-sS', '--max-time', '2', `http://${clusterIP}/`]);
      return true;
    }, { timeoutMs: 60_000, intervalMs: 500, abortIf: () => (kn3.proxyExitedWith === undefined ? undefined : `kube-proxy exited; see ${kn3.dir}`) });
    expect(page).toBe(`pod on ${nodes[0]!.name}\n`);
    // It is kube-proxy's nftables table that holds the Service and its endpoint, nothing else in the namespace.
    const table = await lan!.exec(n3.netns, ['nft', 'list', 'table', 'ip', 'kube-proxy']);
    expect(table).toContain(clusterIP);
    expect(table).toContain(podIP);
    passed = 3;
  }, 120_000);
});
