import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { withoutManagedFields } from '@herald/kube';
import { projectLBAddress, projectNamespace, projectService } from './cacheProjections.js';

const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];

describe('cache projections keep what the controller reads', () => {
  // As the API server returns it: everything a LoadBalancer Service carries after herald assigned it.
  const svc = {
    metadata: {
      name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '7', generation: 1, creationTimestamp: '2026-12-06T17:00:00Z', labels: { app: 'web' }, managedFields,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', 'herald.dev/address-pool': 'lan' },
    },
    spec: {
      type: 'LoadBalancer', loadBalancerClass: 'herald.dev/l2', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None',
      ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', clusterIP: '198.51.100.7', clusterIPs: ['198.51.100.7'], allocateLoadBalancerNodePorts: true, healthCheckNodePort: 31000,
      selector: { app: 'web' }, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
    },
    status: {
      loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] },
      conditions: [{ type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: 'from lan', lastTransitionTime: '2026-12-06T17:00:01Z', observedGeneration: 1 }],
    },
  };

  it('a Service keeps only what planService and the status writer read', () => {
    // toStrictEqual: a projection that keeps any other field (or drops one of these) fails here.
    expect(JSON.parse(JSON.stringify(projectService(svc as unknown as V1Service)))).toStrictEqual({
      metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '7', labels: { app: 'web' }, annotations: { 'herald.dev/address-pool': 'lan' } },
      spec: { type: 'LoadBalancer', loadBalancerClass: 'herald.dev/l2', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ protocol: 'TCP', port: 80 }] },
      status: {
        loadBalancer: { ingress: [{ ip: '192.0.2.10' }] },
        conditions: [{ type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: 'from lan', lastTransitionTime: '2026-12-06T17:00:01Z', observedGeneration: 1 }],
      },
    });
    // The watch's object is not changed in place.
    expect(svc.metadata.managedFields).toBe(managedFields);
    expect(svc.spec.clusterIPs).toEqual(['198.51.100.7']);
  });

  it('a Service without status or annotations projects without them', () => {
    const bare: V1Service = projectService({ metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'ClusterIP' } });
    expect(JSON.parse(JSON.stringify(bare))).toStrictEqual({ metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'ClusterIP' } });
    expect(bare.status).toBeUndefined();
  });

  it('an LBAddress keeps name, resourceVersion, spec and the speaker\'s status; not apiVersion, kind or ownerReferences', () => {
    const spec = { address: '192.0.2.10', pool: 'lan', services: [{ namespace: 'shop', name: 'web' }], serviceNames: 'shop/web' };
    const status = { node: 'n1', interface: 'eth0', conditions: [{ type: 'Announced', status: 'True' as const, reason: 'Announcing', message: 'n1 answers', lastTransitionTime: '2026-12-06T17:00:02Z' }] };
    const a = {
      apiVersion: 'herald.dev/v1beta1', kind: 'LBAddress' as const,
      metadata: { name: 'ipv4-192-0-2-10', uid: 'u3', resourceVersion: '9', generation: 2, creationTimestamp: '2026-12-06T17:00:00Z', managedFields, ownerReferences: [{ apiVersion: 'herald.dev/v1beta1', kind: 'IPAddressPool', name: 'lan', uid: 'p1' }] },
      spec, status,
    };
    expect(JSON.parse(JSON.stringify(projectLBAddress(a)))).toStrictEqual({ metadata: { name: 'ipv4-192-0-2-10', uid: 'u3', resourceVersion: '9' }, spec, status });
  });

  it('a Namespace keeps its name, uid, resourceVersion and labels only', () => {
    const ns = { metadata: { name: 'shop', uid: 'u2', resourceVersion: '3', labels: { team: 'a' }, managedFields, annotations: { x: 'y' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    expect(projectNamespace(ns)).toEqual({ metadata: { name: 'shop', uid: 'u2', resourceVersion: '3', labels: { team: 'a' } } });
  });

  it('withoutManagedFields drops only managedFields', () => {
    expect(withoutManagedFields({ metadata: { name: 'p', managedFields }, spec: { addresses: ['192.0.2.0/28'] } })).toEqual({ metadata: { name: 'p' }, spec: { addresses: ['192.0.2.0/28'] } });
  });
});
