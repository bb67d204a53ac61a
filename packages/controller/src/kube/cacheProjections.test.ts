import { describe, expect, it } from 'vitest';
import { withoutManagedFields } from '@herald/kube';
import { projectNamespace, projectService } from './cacheProjections.js';

const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];

describe('cache projections keep what the controller reads', () => {
  it('a Service loses managedFields and kubectl\'s last-applied copy, and keeps herald\'s annotations, spec and status', () => {
    const svc = {
      metadata: {
        name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '7', labels: { app: 'web' }, managedFields,
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', 'herald.dev/address-pool': 'lan' },
      },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    };
    expect(projectService(svc)).toEqual({
      metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '7', labels: { app: 'web' }, annotations: { 'herald.dev/address-pool': 'lan' } },
      spec: svc.spec,
      status: svc.status,
    });
    // The watch's object is not changed in place.
    expect(svc.metadata.managedFields).toBe(managedFields);
  });

  it('a Service without either is returned as is', () => {
    const svc = { metadata: { name: 'web', namespace: 'shop', annotations: { a: 'b' } }, spec: {} };
    expect(projectService(svc)).toBe(svc);
  });

  it('a Namespace keeps its name, uid, resourceVersion and labels only', () => {
    const ns = { metadata: { name: 'shop', uid: 'u2', resourceVersion: '3', labels: { team: 'a' }, managedFields, annotations: { x: 'y' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    expect(projectNamespace(ns)).toEqual({ metadata: { name: 'shop', uid: 'u2', resourceVersion: '3', labels: { team: 'a' } } });
  });

  it('withoutManagedFields drops only managedFields', () => {
    expect(withoutManagedFields({ metadata: { name: 'p', managedFields }, spec: { addresses: ['192.0.2.0/28'] } })).toEqual({ metadata: { name: 'p' }, spec: { addresses: ['192.0.2.0/28'] } });
  });
});
