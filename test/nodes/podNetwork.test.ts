// Real nodes (issue 10): three LAN node namespaces as Kubernetes nodes, each with its own pod CIDR on its CNI
// bridge and routes to the others' pod CIDRs through their LAN addresses, so a Pod is reachable from every node.
// Outside npm test for now: HERALD_REAL_NODES=1 node test/run.mjs --project nodes.
import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { Lan } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { mustRun } from '../run.js';
import { KubeletNode } from './kubeletNode.js';

const root = resolve(import.meta.dirname, '../..');
/** Node i's pod CIDR: 8 addresses each from 203.0.113.96/27 (documentation space no other suite uses). */
const podCidr = (i: number) => `203.0.113.${96 + 8 * (i - 1)}/29`;

describe('pod network across three kubelet nodes', () => {
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  let lan: Lan | undefined;
  const nodes: KubeletNode[] = [];
  let passed = false;

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
    for (const kn of nodes) {
      await waitFor(`${kn.name} containerd socket`, () => existsSync(join(kn.dir, 'containerd.sock')), { timeoutMs: 20_000 });
      await kn.importImages([join(images, 'hrl-pause-1.tar'), join(images, 'hrl-busybox-1.tar')]);
    }
  }, 1_900_000);

  afterAll(async () => {
    for (const kn of nodes) await kn.stop({ keepFiles: !passed });
    await lan?.destroy();
    for (const kn of nodes) await core.deleteNode({ name: kn.name }).catch(() => undefined);
  });

  it('all three nodes turn Ready, and a Pod on node 1 answers HTTP from nodes 2 and 3 at its pod address', async () => {
    await waitFor('three Ready nodes', async () => {
      for (const kn of nodes) {
        const c = (await core.readNode({ name: kn.name })).status?.conditions?.find((x) => x.type === 'Ready');
        if (c?.status !== 'True') throw new Error(`${kn.name} Ready=${c?.status}: ${c?.message}`);
      }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    const ns = `net-${tag}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      await core.createNamespacedPod({ namespace: ns, body: {
        metadata: { name: 'web' },
        spec: {
          nodeName: nodes[0]!.name, automountServiceAccountToken: false, terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd', image: 'localhost/hrl-busybox:1', imagePullPolicy: 'Never',
            args: ['sh', '-c', 'mkdir -p /tmp/www && echo "pod on $NODE" > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'],
            env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          }],
        },
      } });
      let pod: k8s.V1Pod | undefined;
      await waitFor('Pod web Ready', async () => {
        pod = await core.readNamespacedPod({ namespace: ns, name: 'web' });
        if (pod.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') throw new Error(`phase ${pod.status?.phase}`);
        return true;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      const podIP = pod!.status!.podIP!;
      expect(podIP.startsWith('203.0.113.9')).toBe(true);
      for (const n of lan!.nodes.slice(1)) {
        expect(await lan!.exec(n.netns, ['curl', '-sS', '--max-time', '3', `http://${podIP}:8080/`]), n.name).toBe(`pod on ${nodes[0]!.name}\n`);
      }
    } finally {
      await core.deleteNamespace({ name: ns });
    }
    passed = true;
  }, 300_000);
});
