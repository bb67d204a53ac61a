import { describe, expect, it } from 'vitest';
import type { LBAddress } from '@herald/core';
import { planLBAddresses } from './lbAddressPlan.js';

const a10 = { family: 4 as const, value: 0xc000020an };
const lba = (services: { namespace: string; name: string }[], serviceNames?: string): LBAddress => ({
  metadata: { name: '192.0.2.10' },
  spec: { address: '192.0.2.10', pool: 'web', services, ...(serviceNames !== undefined ? { serviceNames } : {}) },
});

describe('planLBAddresses', () => {
  it.each([
    ['a new address is created with its Services as text for kubectl', new Map<string, LBAddress>(), ['shop/http', 'shop/https'], { create: 1, update: 0, delete: 0 }],
    ['an object written before serviceNames existed is updated once', new Map([['192.0.2.10', lba([{ namespace: 'shop', name: 'http' }])]]), ['shop/http'], { create: 0, update: 1, delete: 0 }],
    ['an object in step is left alone', new Map([['192.0.2.10', lba([{ namespace: 'shop', name: 'http' }], 'shop/http')]]), ['shop/http'], { create: 0, update: 0, delete: 0 }],
    ['a Service leaving a shared address updates the list and the text', new Map([['192.0.2.10', lba([{ namespace: 'dns', name: 'tcp' }, { namespace: 'dns', name: 'udp' }], 'dns/tcp, dns/udp')]]), ['dns/udp'], { create: 0, update: 1, delete: 0 }],
  ] as const)('%s', (_name, existing, services, counts) => {
    const plan = planLBAddresses([{ address: a10, pool: 'web', services: [...services] }], existing);
    expect({ create: plan.create.length, update: plan.update.length, delete: plan.delete.length }).toEqual(counts);
    for (const c of [...plan.create, ...plan.update]) expect(c.spec.serviceNames).toBe(services.join(', '));
  });

  it('an address nobody uses any more loses its object', () => {
    expect(planLBAddresses([], new Map([['192.0.2.10', lba([], '')]])).delete).toEqual(['192.0.2.10']);
  });
});
