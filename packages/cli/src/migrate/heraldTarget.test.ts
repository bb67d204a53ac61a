import { describe, expect, it } from 'vitest';
import type { IPAddressPool } from '@herald/core';
import { planObjects, type HeraldObject } from './heraldTarget.js';

const pool = (spec: IPAddressPool['spec'], labels?: Record<string, string>): IPAddressPool => ({ apiVersion: 'herald.dev/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', ...(labels ? { labels } : {}) }, spec });

describe('planObjects()', () => {
  it.each([
    { name: 'nothing known about the cluster → create', existing: undefined, action: 'create' },
    { name: 'no object of that name → create', existing: [], action: 'create' },
    { name: 'the same spec → unchanged', existing: [pool({ addresses: ['192.0.2.0/28'] })], action: 'unchanged' },
    { name: 'the same spec plus API server defaults → unchanged', existing: [pool({ addresses: ['192.0.2.0/28'], autoAssign: true, avoidBuggyIPs: false })], action: 'unchanged' },
    { name: 'other addresses → update', existing: [pool({ addresses: ['192.0.2.0/29'] })], action: 'update' },
    { name: 'a label missing → update', existing: [pool({ addresses: ['192.0.2.0/28'] }, {})], desiredLabels: { tier: 'a' }, action: 'update' },
  ])('$name', ({ existing, action, desiredLabels }) => {
    const map = existing && new Map<string, HeraldObject>(existing.map((o) => [`IPAddressPool/${o.metadata.name}`, o]));
    const [planned] = planObjects([pool({ addresses: ['192.0.2.0/28'] }, desiredLabels)], map);
    expect(planned!.action).toBe(action);
    if (action === 'update') expect(planned!.diff!.some((l) => l.startsWith('+ '))).toBe(true);
  });
});
