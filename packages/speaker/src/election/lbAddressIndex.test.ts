import { describe, expect, it } from 'vitest';
import { LBAddressIndex } from './lbAddressIndex.js';

const addr = (name: string, pool: string, services: string[]) => ({
  metadata: { name },
  spec: { address: '192.0.2.1', pool, services: services.map((s) => ({ namespace: 'ns', name: s })) },
});

describe('LBAddressIndex', () => {
  it('finds an address by each Service it lists and by its pool', () => {
    const ix = new LBAddressIndex();
    ix.update('added', addr('a', 'p1', ['web', 'api']), undefined);
    ix.update('added', addr('b', 'p1', ['web']), undefined);
    expect([...ix.ofService('ns/web')]).toEqual(['a', 'b']);
    expect([...ix.ofService('ns/api')]).toEqual(['a']);
    expect([...ix.ofPool('p1')]).toEqual(['a', 'b']);
  });

  it('an update that drops a Service or changes the pool leaves no stale entry; a delete leaves nothing', () => {
    const ix = new LBAddressIndex();
    ix.update('added', addr('a', 'p1', ['web', 'api']), undefined);
    ix.update('updated', addr('a', 'p2', ['web']), addr('a', 'p1', ['web', 'api']));
    expect([...ix.ofService('ns/api')]).toEqual([]);
    expect([...ix.ofPool('p1')]).toEqual([]);
    expect([...ix.ofPool('p2')]).toEqual(['a']);
    ix.update('deleted', addr('a', 'p2', ['web']), addr('a', 'p2', ['web']));
    expect([...ix.ofService('ns/web')]).toEqual([]);
    expect([...ix.ofPool('p2')]).toEqual([]);
  });
});
