import { describe, expect, it } from 'vitest';
import { EndpointSliceIndex } from './endpointSliceIndex.js';

const slice = (name: string, service: string | undefined, node = 'n1') => ({
  addressType: 'IPv4',
  metadata: { namespace: 'ns', name, ...(service ? { labels: { 'kubernetes.io/service-name': service } } : {}) },
  endpoints: [{ addresses: ['10.0.0.1'], nodeName: node }],
});
const nodesOf = (ix: EndpointSliceIndex, svc: string) => [...ix.slicesOf(svc)].flatMap((s) => (s.endpoints ?? []).map((e) => `${s.metadata?.name}@${e.nodeName}`));

describe('EndpointSliceIndex', () => {
  it.each([
    ['a new slice belongs to its Service', [['added', slice('a', 'web')]], { 'ns/web': ['a@n1'] }, ['ns/web']],
    ['an update replaces the slice', [['added', slice('a', 'web')], ['updated', slice('a', 'web', 'n2'), slice('a', 'web')]], { 'ns/web': ['a@n2'] }, ['ns/web']],
    ['a relabelled slice moves to the other Service, and both are reported', [['added', slice('a', 'web')], ['updated', slice('a', 'api'), slice('a', 'web')]], { 'ns/web': [], 'ns/api': ['a@n1'] }, ['ns/web', 'ns/api']],
    ['a deleted slice is gone', [['added', slice('a', 'web')], ['deleted', slice('a', 'web'), slice('a', 'web')]], { 'ns/web': [] }, ['ns/web']],
    ['a slice without the label belongs to nobody', [['added', slice('a', undefined)]], { 'ns/web': [] }, []],
  ] as const)('%s', (_name, steps, want, lastTouched) => {
    const ix = new EndpointSliceIndex();
    let touched: string[] = [];
    for (const [type, obj, previous] of steps as unknown as [('added' | 'updated' | 'deleted'), ReturnType<typeof slice>, ReturnType<typeof slice> | undefined][]) touched = ix.update(type, obj, previous);
    for (const [svc, slices] of Object.entries(want)) expect(nodesOf(ix, svc)).toEqual(slices);
    expect(touched).toEqual(lastTouched);
  });
});
