import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GROUP, IncrementalElection, VERSION } from '@herald/core';
import type { Announcer } from '../../packages/speaker/src/announce/announcer.js';
import { ElectionFacts } from '../../packages/speaker/src/election/electionFacts.js';
import type { MembershipSource } from '../../packages/speaker/src/election/membershipSource.js';
import { electionFactsScene } from './electionFactsScene.js';
import { waitFor } from '../processes.js';

/**
 * The speaker keeps a Service, an EndpointSlice and an LBAddress for every address it may announce: kept
 * as the API server sends them, they were most of a speaker's heap (bench/speaker/heapBreakdown.ts: ~10 KiB
 * per address). The speaker's ElectionFacts fills its caches from the real API server here (nothing is
 * elected or announced); the test reads the cached objects and fails if any cache keeps a field the speaker
 * never reads (managedFields, ClusterIPs, ports, endpoint addresses and targetRefs, ownerReferences,
 * the controller's serviceNames column).
 */
describe('the speaker caches projections of what it reads', () => {
  const scene = electionFactsScene('sproj', '7e');
  const { kc, core, discovery, custom, ns, lbClass, address, lbName } = scene;

  it('a cached Service, EndpointSlice and LBAddress hold only the fields the speaker reads', async () => {
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: { type: 'LoadBalancer', loadBalancerClass: lbClass, allocateLoadBalancerNodePorts: false, ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    // Made here rather than by kube-controller-manager: the Service selects no Pod.
    await discovery.createNamespacedEndpointSlice({
      namespace: ns,
      body: {
        metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'test' } },
        addressType: 'IPv6',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: ['2001:db8:7e::10'], nodeName: 'n1', zone: 'z1', conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', name: 'web-1', namespace: ns } }],
      },
    });
    const owner = await core.readNamespace({ name: ns });
    await custom.createClusterCustomObject({
      group: GROUP, version: VERSION, plural: 'lbaddresses',
      body: {
        apiVersion: `${GROUP}/${VERSION}`, kind: 'LBAddress',
        metadata: { name: lbName, ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: ns, uid: owner.metadata!.uid! }] },
        spec: { address, pool: 'gone', services: [{ namespace: ns, name: 'web' }], serviceNames: `${ns}/web` },
      },
    });
    const served = await core.readNamespacedService({ namespace: ns, name: 'web' });
    expect(served.metadata?.managedFields?.length).toBeGreaterThan(0);
    expect(served.spec?.clusterIPs?.length).toBe(1);

    const silent = pino({ level: 'silent' });
    const facts = scene.facts = new ElectionFacts({
      node: 'n1', kubeConfig: kc, log: silent, lbClass,
      // Only the caches are exercised: nothing is gathered, elected or announced.
      announcer: {} as Announcer,
      membership: { peers: () => new Map(), onChange: () => undefined } as unknown as MembershipSource,
      election: new IncrementalElection({ sha256: () => new Uint8Array(32) }),
      draining: () => false, changed: () => undefined, linksMayChange: () => undefined, addressChanged: () => undefined, addressLeft: () => undefined,
    });
    await facts.start();
    let svc: k8s.V1Service | undefined;
    let slice: k8s.V1EndpointSlice | undefined;
    let lb: ReturnType<ElectionFacts['addresses']['store']['get']>;
    await waitFor('the objects in the caches', () => (
      (svc = facts.services.store.get(`${ns}/web`)), (slice = facts.slices.store.get(`${ns}/web-abc`)), (lb = facts.addresses.store.get(lbName)), !!svc && !!slice && !!lb
    ), { timeoutMs: 10_000, intervalMs: 50 });

    // What the election and the status reporter read is there.
    expect(svc?.metadata).toMatchObject({ name: 'web', namespace: ns, uid: served.metadata?.uid });
    expect(svc?.spec).toEqual({ type: 'LoadBalancer', loadBalancerClass: lbClass, externalTrafficPolicy: 'Cluster' });
    expect(slice?.metadata?.labels).toEqual({ 'kubernetes.io/service-name': 'web' });
    expect(slice?.endpoints).toEqual([{ nodeName: 'n1', conditions: { ready: true, serving: true } }]);
    expect(lb?.spec).toEqual({ address, pool: 'gone', services: [{ namespace: ns, name: 'web' }] });
    expect(lb?.metadata.uid).toBeTruthy();
    expect(lb?.metadata.resourceVersion).toBeTruthy();
    // What it never reads is not.
    expect(svc?.metadata?.managedFields).toBeUndefined();
    expect(svc?.metadata?.labels).toBeUndefined();
    expect(svc?.metadata?.creationTimestamp).toBeUndefined();
    expect(svc?.status).toBeUndefined();
    expect(slice?.metadata?.managedFields).toBeUndefined();
    expect(slice?.ports).toBeUndefined();
    expect((slice as { addressType?: string }).addressType).toBeUndefined();
    expect(lb?.apiVersion).toBeUndefined();
    expect((lb?.metadata as { ownerReferences?: unknown }).ownerReferences).toBeUndefined();
    expect((lb?.metadata as { managedFields?: unknown }).managedFields).toBeUndefined();
    // Every cached Node too (the shared control plane's, if any): no status beyond NetworkUnavailable.
    for (const n of facts.nodes.store.values()) {
      expect(n.metadata?.managedFields).toBeUndefined();
      expect(n.status?.nodeInfo).toBeUndefined();
      expect(n.status?.images).toBeUndefined();
    }
  });
});
