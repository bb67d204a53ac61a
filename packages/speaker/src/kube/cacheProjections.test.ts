import type * as k8s from '@kubernetes/client-node';
import type { LBAddress } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { projectLBAddress, projectNode } from './cacheProjections.js';

describe('the speaker cache projections', () => {
  it('a Node keeps its name, labels and NetworkUnavailable condition, not its status (images, addresses, capacity)', () => {
    const node = {
      metadata: { name: 'n1', resourceVersion: '7', labels: { 'kubernetes.io/os': 'linux' }, managedFields: [{ manager: 'kubelet' }], annotations: { a: 'b' } },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }],
        images: [{ names: ['registry.example/app:1'], sizeBytes: 1 }],
        addresses: [{ type: 'InternalIP', address: '192.0.2.1' }],
        nodeInfo: { kubeletVersion: 'v1.33.0' },
      },
    } as unknown as k8s.V1Node;
    expect(projectNode(node)).toEqual({
      metadata: { name: 'n1', resourceVersion: '7', labels: { 'kubernetes.io/os': 'linux' } },
      status: { conditions: [{ type: 'NetworkUnavailable', status: 'False' }] },
    });
  });

  it('an LBAddress keeps its status (the status reporter plans against it), not apiVersion, ownerReferences or serviceNames', () => {
    const status = { node: 'n1', interface: 'eth0', mac: '02:00:00:00:00:01', transitions: 2, conditions: [{ type: 'Announced', status: 'True' as const, reason: 'Announcing', message: 'm', lastTransitionTime: 't' }] };
    const a = (name: string): LBAddress => JSON.parse(JSON.stringify({
      apiVersion: 'herald.dev/v1beta1', kind: 'LBAddress',
      metadata: { name, uid: 'u', resourceVersion: '1', ownerReferences: [{ kind: 'IPAddressPool' }] },
      spec: { address: name, pool: 'p', services: [{ namespace: 'shop', name: 'web' }], serviceNames: 'shop/web' },
      status,
    })) as LBAddress;
    const one = projectLBAddress(a('192.0.2.1'));
    expect(one).toEqual({ metadata: { name: '192.0.2.1', uid: 'u', resourceVersion: '1' }, spec: { address: '192.0.2.1', pool: 'p', services: [{ namespace: 'shop', name: 'web' }] }, status });
    expect(one.spec.serviceNames).toBeUndefined();
  });
});
