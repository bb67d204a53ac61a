import { describe, expect, it } from 'vitest';
import type { LBAddress } from '../api/v1beta1.js';
import { parseAddress } from '../ip/address.js';
import { lbAddressName } from './lbAddressName.js';
import { addressOfLBAddressName, planLBAddressChanges, planLBAddresses } from './lbAddressPlan.js';

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

describe('planLBAddressChanges', () => {
  const use = { address: a10, pool: 'web', services: ['shop/http'] };
  const inStep = lba([{ namespace: 'shop', name: 'http' }], 'shop/http');
  it.each([
    ['a named address in use without an object is created', ['192.0.2.10'], use, new Map<string, LBAddress>(), { create: 1, update: 0, delete: 0 }],
    ['a named address in step is left alone', ['192.0.2.10'], use, new Map([['192.0.2.10', inStep]]), { create: 0, update: 0, delete: 0 }],
    ['a named address nobody holds loses its object', ['192.0.2.10'], undefined, new Map([['192.0.2.10', inStep]]), { create: 0, update: 0, delete: 1 }],
    ['a stray object (a name herald never gives) is deleted', ['web-10'], use, new Map([['web-10', inStep]]), { create: 0, update: 0, delete: 1 }],
    ['an address not named is not looked at, even out of step', [], undefined, new Map([['192.0.2.10', inStep]]), { create: 0, update: 0, delete: 0 }],
    ['a name given twice is planned once', ['192.0.2.10', '192.0.2.10'], use, new Map<string, LBAddress>(), { create: 1, update: 0, delete: 0 }],
  ] as const)('%s', (_name, names, u, existing, counts) => {
    const plan = planLBAddressChanges({ names, useOf: () => u, existing });
    expect({ create: plan.create.length, update: plan.update.length, delete: plan.delete.length }).toEqual(counts);
  });
});

describe('addressOfLBAddressName', () => {
  it.each(['192.0.2.10', '2001:db8::10', '2001:db8::', '::1', '::ffff:192.0.2.1', '2001:db8:0:1:2:3:4:5'])('inverts lbAddressName for %s', (text) => {
    const a = parseAddress(text);
    if (!a.ok) throw new Error(a.error.message);
    expect(addressOfLBAddressName(lbAddressName(a.value))).toEqual(a.value);
  });

  it.each(['web-10', '192.0.2.010', '2001-0db8--10', '2001-db8--', '192.0.2.300', ''])('%s is not a name herald gives', (name) => {
    expect(addressOfLBAddressName(name)).toBeUndefined();
  });
});
