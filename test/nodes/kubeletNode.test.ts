// Real nodes, first step (issue 10): one LAN node namespace becomes a Kubernetes node with kubelet v1.36.4
// (built like the apiserver), Debian's containerd and the CNI bridge plugin, and registers Ready. Not part of
// npm test yet: run it with HERALD_REAL_NODES=1 npx vitest run --project nodes.
import * as k8s from '@kubernetes/client-node';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { Lan } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { mustRun } from '../run.js';
import { KubeletNode } from './kubeletNode.js';

const root = resolve(import.meta.dirname, '../..');

describe('a LAN node namespace as a Kubernetes node', () => {
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  let lan: Lan | undefined;
  let node: KubeletNode | undefined;

  beforeAll(async () => {
    const binDir = (await mustRun('bash', [join(root, 'test/cluster/build-node.sh')], { timeoutMs: 1_800_000 })).trim();
    lan = await Lan.create({ nodes: 1, apiserver: { port: cluster().apiPort } });
    node = new KubeletNode({ lan, node: lan.nodes[0]!, cluster: cluster(), binDir, nodeName: `n1-${tag}`, podCidr: '198.51.100.0/26' });
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
    passed = true;
  }, 120_000);
});
