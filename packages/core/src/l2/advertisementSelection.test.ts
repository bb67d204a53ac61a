import { describe, expect, it } from 'vitest';
import type { L2Advertisement } from '../api/v1beta1.js';
import { advertisementsForPool } from './advertisementSelection.js';

const ad = (name: string, spec: L2Advertisement['spec']): L2Advertisement => ({ metadata: { name }, spec });

describe('advertisementsForPool', () => {
  const ads = [
    ad('all', {}),
    ad('named', { ipAddressPools: ['web'] }),
    ad('selected', { ipAddressPoolSelectors: [{ matchLabels: { exposure: 'lan' } }] }),
    ad('missing', { ipAddressPools: ['does-not-exist'] }),
  ];
  it.each([
    ['web', {}, ['all', 'named']],
    ['db', { exposure: 'lan' }, ['all', 'selected']],
    ['other', {}, ['all']],
  ])('pool %s with labels %j → %j', (name, labels, want) => {
    expect(advertisementsForPool({ name, labels }, ads).map((a) => a.metadata.name)).toEqual(want);
  });

  it('no advertisements at all → none apply (the address is assigned but not announced)', () => {
    expect(advertisementsForPool({ name: 'web' }, [])).toEqual([]);
  });
});
