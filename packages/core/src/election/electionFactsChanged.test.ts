import { describe, expect, it } from 'vitest';
import type { LBAddress } from '../api/v1beta1.js';
import { electionFactsChanged } from './electionFactsChanged.js';

const base: LBAddress = {
  metadata: { name: '192-0-2-10', uid: 'u1', resourceVersion: '1' },
  spec: { address: '192.0.2.10', pool: 'p', services: [{ namespace: 'shop', name: 'web' }] },
};
const withSpec = (spec: Partial<LBAddress['spec']>): LBAddress => ({ ...base, metadata: { ...base.metadata, resourceVersion: '2' }, spec: { ...base.spec, ...spec } });

describe('electionFactsChanged', () => {
  it.each<[string, LBAddress | undefined, LBAddress, boolean]>([
    ['a new object', undefined, base, true],
    ['a status write (owner, conditions), same spec object', base, { ...base, metadata: { ...base.metadata, resourceVersion: '2' }, status: { node: 'n1', conditions: [] } }, false],
    ['a status write with an equal spec, another object', base, { ...withSpec({}), status: { node: 'n2' } }, false],
    ['the printer column only', base, withSpec({ serviceNames: 'shop/web' }), false],
    ['another address', base, withSpec({ address: '192.0.2.11' }), true],
    ['another pool', base, withSpec({ pool: 'q' }), true],
    ['a Service added', base, withSpec({ services: [{ namespace: 'shop', name: 'web' }, { namespace: 'shop', name: 'api' }] }), true],
    ['a Service renamed', base, withSpec({ services: [{ namespace: 'shop', name: 'api' }] }), true],
    ['a Service in another namespace', base, withSpec({ services: [{ namespace: 'blog', name: 'web' }] }), true],
    ['re-created under the same name (another uid)', base, { ...base, metadata: { ...base.metadata, uid: 'u2' } }, true],
  ])('%s → %s', (_name, previous, next, changed) => {
    expect(electionFactsChanged(previous, next)).toBe(changed);
  });
});
