import { describe, expect, it } from 'vitest';
import { serviceFacts, type ElectionServiceObject, type EndpointSliceObject } from './serviceFacts.js';

const services: Record<string, ElectionServiceObject> = {
  'a/web': { spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' } },
  'a/cluster': { spec: { type: 'LoadBalancer' } },
  'a/other-class': { spec: { type: 'LoadBalancer', loadBalancerClass: 'other' } },
  'a/plain': { spec: { type: 'ClusterIP' } },
};
const slices: Record<string, EndpointSliceObject[]> = {
  'a/web': [{ endpoints: [{ nodeName: 'n1' }, { nodeName: 'n2', conditions: { ready: false, serving: true } }] }, { endpoints: [{ nodeName: 'n3', conditions: { ready: false } }] }],
};
const facts = (names: string[]) => serviceFacts({
  refs: names.map((name) => ({ namespace: 'a', name })),
  service: (k) => services[k],
  slices: (k) => slices[k] ?? [],
  lbClass: undefined,
});

describe('serviceFacts', () => {
  it('reads every slice of the Service; an absent condition means ready, serving follows ready', () => {
    expect(facts(['web'])).toEqual([{
      key: 'a/web', local: true,
      endpoints: [{ nodeName: 'n1', ready: true, serving: true }, { nodeName: 'n2', ready: false, serving: true }, { nodeName: 'n3', ready: false, serving: false }],
    }]);
  });
  it.each([
    ['a missing Service', 'gone'],
    ['a Service of another loadBalancerClass', 'other-class'],
    ['a Service that is not a LoadBalancer', 'plain'],
  ])('skips %s', (_name, svc) => {
    expect(facts([svc, 'cluster'])).toEqual([{ key: 'a/cluster', local: false, endpoints: [] }]);
  });
});
