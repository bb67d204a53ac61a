import * as k8s from '@kubernetes/client-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster, kubectl, mergePatch } from '../cluster/kube.js';
import { nodeBoundTokenKubeconfig } from '../cluster/serviceAccount.js';
import { HeraldObjects } from '../controller/heraldObjects.js';
import { harnessTempDir, removeHarnessTempDir } from '../harnessTempDir.js';
import { Lan, type LanNode } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { HeraldRelease, RELEASE_NAMESPACE as NS } from './heraldRelease.js';

const VIP_RANGE = '203.0.113.10-203.0.113.20';

/** A tiny HTTP server (the ingress controller's pod, as it were) answering with the node's name. */
const BACKEND = `require('node:http').createServer((q, r) => r.end(process.argv[1])).listen(8080, process.argv[2])`;

describe('the install path: helm install, real processes with the chart ServiceAccounts, traffic to the VIP', () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = new HeraldObjects(kc);
  const tag = Math.random().toString(36).slice(2, 7);
  const appNs = `ingress-${tag}`;
  const dir = harnessTempDir('install');
  const values = join(dir, 'values.yaml');
  let lan: Lan;
  let release: HeraldRelease;
  const nodeName = (n: LanNode) => `${n.name}-${tag}`;
  let vip = '';

  beforeAll(async () => {
    // Other suites' classless LoadBalancer Services live in namespaces still being deleted; herald (no
    // --lb-class, as installed by default) would take addresses for them.
    await waitFor('no LoadBalancer Service without a class in the cluster', async () =>
      (await core.listServiceForAllNamespaces()).items.every((s) => s.spec?.type !== 'LoadBalancer' || s.spec.loadBalancerClass), { timeoutMs: 90_000, intervalMs: 500 });
    lan = await Lan.create({ nodes: 3, apiserver: { port: cluster().apiPort } });
    for (const n of lan.nodes) await core.createNode({ body: { metadata: { name: nodeName(n), labels: { 'kubernetes.io/os': 'linux' } } } });
    await core.createNamespace({ body: { metadata: { name: appNs } } });
    // The tutorial-style MetalLB configuration, as many users still have it.
    release = new HeraldRelease({ kc, cluster: cluster(), lan, nodeName });
    writeFileSync(values, `configInline:\n  address-pools:\n    - name: default\n      protocol: layer2\n      addresses:\n        - ${VIP_RANGE}\n`);
  }, 180_000);

  afterAll(async () => {
    await release?.stop().catch(() => undefined);
    await release?.uninstall().catch(() => undefined);
    release?.dispose();
    removeHarnessTempDir(dir);
    await lan?.destroy();
    for (const n of lan?.nodes ?? []) await core.deleteNode({ name: nodeName(n) }).catch(() => undefined);
    await core.deleteNamespace({ name: appNs }).catch(() => undefined);
    await core.deleteNamespace({ name: NS }).catch(() => undefined);
  }, 120_000);

  it('helm install gives an ingress Service the first address, the client reaches it, and the LAN learns the owner MAC', async () => {
    await release.helm('install', readFileSync(values, 'utf8'));
    await release.start();
    for (const n of lan.nodes) {
      await core.createNamespacedPod({ namespace: appNs, body: { metadata: { name: `ingress-${n.name}`, labels: { app: 'ingress' } }, spec: { nodeName: nodeName(n), containers: [{ name: 'c', image: 'example.invalid/ingress' }] } } });
      const now = new Date();
      await core.patchNamespacedPodStatus({ name: `ingress-${n.name}`, namespace: appNs, body: { status: { phase: 'Running', podIP: n.ipv4, podIPs: [{ ip: n.ipv4 }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    }
    await core.createNamespacedService({ namespace: appNs, body: { metadata: { name: 'ingress-nginx-controller' }, spec: { type: 'LoadBalancer', selector: { app: 'ingress' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] } } });
    await waitFor('the EXTERNAL-IP', async () => (vip = (await core.readNamespacedService({ namespace: appNs, name: 'ingress-nginx-controller' })).status?.loadBalancer?.ingress?.[0]?.ip ?? '') !== '', { timeoutMs: 20_000 });
    expect(vip).toBe('203.0.113.10');
    expect((await kubectl(['get', 'svc', '-n', appNs])).stdout).toMatch(/ingress-nginx-controller\s+LoadBalancer\s+\S+\s+203\.0\.113\.10\s+80:\d+\/TCP,443:\d+\/TCP/);

    let owner = '';
    await waitFor('an announcing node', async () => (owner = (await objects.lbAddress(vip))?.status?.node ?? '') !== '', { timeoutMs: 20_000 });
    const ownerNode = lan.nodes.find((n) => nodeName(n) === owner)!;
    // The harness plays kube-proxy: every node DNATs VIP:80 to its local ingress pod.
    for (const n of lan.nodes) {
      lan.spawn(n, [process.execPath, '-e', BACKEND, n.name, n.ipv4], { logName: 'backend' });
      await lan.exec(n.netns, ['sh', '-c', `nft add table ip hrl && nft 'add chain ip hrl pre { type nat hook prerouting priority -100 ; }' && nft add rule ip hrl pre ip daddr ${vip} tcp dport 80 dnat to ${n.ipv4}:8080`]);
    }
    let body = '';
    await waitFor('an HTTP answer through the VIP', async () => {
      const r = await lan.tryExec(lan.client.netns, ['curl', '-s', '--max-time', '2', `http://${vip}/`]);
      body = r.stdout;
      return r.code === 0 && body !== '';
    }, { timeoutMs: 15_000, intervalMs: 200 });
    expect(body).toBe(ownerNode.name);
    expect((await lan.neighbour(vip))?.lladdr).toBe(ownerNode.mac);

    // The speakers wrote their Leases and the status through the chart's node restriction, which also
    // holds each to its own node: the owner's credentials may not renew a peer's Lease.
    const other = lan.nodes.find((n) => n !== ownerNode)!;
    const ownerKc = new k8s.KubeConfig();
    ownerKc.loadFromString(await nodeBoundTokenKubeconfig({ kc, cluster: cluster(), namespace: NS, name: 'herald-speaker', node: owner }));
    // A dry run: admission runs, nothing is written. Polled, because the apiserver loads a new policy a
    // moment after helm created it.
    let refused = '';
    await waitFor('the node restriction to refuse the owner a peer\'s Lease', async () => (refused = await ownerKc.makeApiClient(k8s.CoordinationV1Api)
      .patchNamespacedLease({ namespace: NS, name: `herald-speaker-${nodeName(other)}`, dryRun: 'All', body: { spec: { leaseDurationSeconds: 1 } } }, mergePatch)
      .then(() => 'allowed', (e: k8s.ApiException<string>) => `${e.code} ${(JSON.parse(e.body) as { message: string }).message}`)) !== 'allowed', { timeoutMs: 10_000, intervalMs: 200 });
    expect(refused).toContain(`403 `);
    expect(refused).toContain(`herald-speaker on node "${owner}" may only write its own Lease "herald-speaker-${owner}", not Lease "herald-speaker-${nodeName(other)}"`);

    // The chart's API Priority and Fairness objects: the real processes' Lease requests (leader election,
    // membership Leases) are dispatched in priority level herald-leases (test/chart/flowControl.test.ts has
    // each request's classification).
    let dispatched = 0;
    await waitFor('Lease requests dispatched in priority level herald-leases', async () => {
      const metrics = (await kubectl(['get', '--raw', '/metrics'])).stdout;
      dispatched = metrics.split('\n').filter((l) => l.startsWith('apiserver_flowcontrol_dispatched_requests_total{') && l.includes('flow_schema="herald-leases"') && l.includes('priority_level="herald-leases"'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      return dispatched > 0;
    }, { timeoutMs: 30_000, intervalMs: 1_000 });
    expect(dispatched).toBeGreaterThan(0);
  });

  it('helm upgrade keeps every address and the heartbeat Secret', async () => {
    const before = await release.secretKey();
    await release.helm('upgrade', readFileSync(values, 'utf8'), ['--set', 'controller.logLevel=debug']);
    expect(await release.secretKey()).toBe(before);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await core.readNamespacedService({ namespace: appNs, name: 'ingress-nginx-controller' })).status?.loadBalancer?.ingress?.[0]?.ip).toBe(vip);
    expect((await objects.lbAddress(vip))?.spec.pool).toBe('default');
  });

  it('helm uninstall leaves no herald object behind except the CRDs', async () => {
    await release.uninstall();
    await release.stop();
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    const flowcontrol = kc.makeApiClient(k8s.FlowcontrolApiserverV1Api);
    await waitFor('herald objects to be gone', async () => {
      const left: string[] = [];
      for (const plural of ['ipaddresspools', 'l2advertisements', 'lbaddresses']) {
        for (const o of ((await custom.listClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural })) as { items: { metadata: { name: string } }[] }).items) left.push(`${plural}/${o.metadata.name}`);
      }
      for (const o of (await rbac.listClusterRole()).items) if (o.metadata?.name?.startsWith('herald')) left.push(`clusterrole/${o.metadata.name}`);
      for (const o of (await rbac.listClusterRoleBinding()).items) if (o.metadata?.name?.startsWith('herald')) left.push(`clusterrolebinding/${o.metadata.name}`);
      for (const o of (await admission.listValidatingAdmissionPolicy()).items) if (o.metadata?.name === 'herald-speaker-node-restriction') left.push(`validatingadmissionpolicy/${o.metadata.name}`);
      for (const o of (await admission.listValidatingAdmissionPolicyBinding()).items) if (o.metadata?.name === 'herald-speaker-node-restriction') left.push(`validatingadmissionpolicybinding/${o.metadata.name}`);
      for (const o of (await flowcontrol.listFlowSchema()).items) if (o.metadata?.name === 'herald-leases') left.push(`flowschema/${o.metadata.name}`);
      for (const o of (await flowcontrol.listPriorityLevelConfiguration()).items) if (o.metadata?.name === 'herald-leases') left.push(`prioritylevelconfiguration/${o.metadata.name}`);
      for (const o of (await core.listNamespacedServiceAccount({ namespace: NS })).items) if (o.metadata?.name?.startsWith('herald')) left.push(`serviceaccount/${o.metadata.name}`);
      for (const o of (await core.listNamespacedSecret({ namespace: NS })).items) left.push(`secret/${o.metadata?.name}`);
      for (const o of (await core.listNamespacedService({ namespace: NS })).items) left.push(`service/${o.metadata?.name}`);
      for (const o of (await coordination.listNamespacedLease({ namespace: NS })).items) left.push(`lease/${o.metadata?.name}`);
      if (left.length) last = left;
      return left.length === 0;
    }, { timeoutMs: 30_000, intervalMs: 500 }).catch((e: Error) => {
      throw new Error(`${e.message}; left: ${last.join(', ')}`);
    });
    const crds = (await kubectl(['get', 'crds', '-o', 'name'])).stdout;
    for (const c of ['ipaddresspools.herald.dev', 'l2advertisements.herald.dev', 'lbaddresses.herald.dev']) expect(crds).toContain(c);
  });
  let last: string[] = [];
});
