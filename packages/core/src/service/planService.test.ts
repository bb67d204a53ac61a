import { describe, expect, it } from 'vitest';
import { Allocator } from '../allocation/allocator.js';
import type { LBAddress } from '../api/v1beta1.js';
import { formatAddress } from '../ip/address.js';
import { validatePools } from '../pool/validatePools.js';
import { planService, type ManagePlan, type ServiceView, type ServiceWorld } from './planService.js';

const POOLS = [
  { metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { addresses: ['192.0.2.10/31'] } },
  { metadata: { name: 'v6', creationTimestamp: '2026-01-01T00:00:01Z' }, spec: { addresses: ['2001:db8::10/128'], autoAssign: false } },
];

function world(o: { pools?: typeof POOLS; lbClass?: string; advertised?: boolean; lbAddresses?: Record<string, LBAddress['status']> } = {}): ServiceWorld {
  const allocator = new Allocator();
  allocator.setPools(validatePools(o.pools ?? POOLS).pools);
  return {
    allocator,
    lbClass: o.lbClass,
    namespaceLabels: {},
    hasAdvertisement: () => o.advertised ?? false,
    lbAddressOf: (a) => {
      const status = o.lbAddresses?.[formatAddress(a)];
      return status ? { metadata: { name: formatAddress(a) }, spec: { address: formatAddress(a), pool: 'web', services: [] }, status } : undefined;
    },
  };
}

interface Def {
  ns?: string;
  annotations?: Record<string, string>;
  type?: string;
  lbClass?: string;
  ingress?: string[];
  conditions?: ServiceView['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never;
  families?: string[];
  policy?: string;
  loadBalancerIP?: string;
  port?: number;
  protocol?: string;
}

function svc(name: string, d: Def = {}): ServiceView {
  return {
    metadata: { namespace: d.ns ?? 'default', name, annotations: d.annotations ?? {} },
    spec: {
      type: d.type ?? 'LoadBalancer',
      ...(d.lbClass ? { loadBalancerClass: d.lbClass } : {}),
      ipFamilies: d.families ?? ['IPv4'],
      ipFamilyPolicy: d.policy ?? 'SingleStack',
      ...(d.loadBalancerIP ? { loadBalancerIP: d.loadBalancerIP } : {}),
      ports: [{ port: d.port ?? 80, protocol: d.protocol ?? 'TCP' }],
    },
    status: { loadBalancer: { ingress: (d.ingress ?? []).map((ip) => ({ ip })) }, ...(d.conditions ? { conditions: d.conditions } : {}) },
  };
}

const manage = (p: ReturnType<typeof planService>): ManagePlan => {
  if (p.kind !== 'manage') throw new Error(`expected a manage plan, got ${p.kind}`);
  return p;
};

describe('planService: every AddressAssigned reason', () => {
  it.each([
    ['Assigned', () => world(), svc('a'), 'True', '192.0.2.10 from pool "web"', ['192.0.2.10']],
    ['NoMatchingPool (pool annotation names a missing pool)', () => world(), svc('a', { annotations: { 'herald.dev/address-pool': 'gold' } }), 'False', 'pool "gold" does not exist', []],
    ['RequestedAddressUnavailable', () => world(), svc('a', { annotations: { 'herald.dev/loadBalancerIPs': '203.0.113.1' } }), 'False', '203.0.113.1 is not in any valid pool', []],
    ['FamilyUnavailable', () => world(), svc('a', { families: ['IPv6'] }), 'False', 'no pool usable by this Service has IPv6 addresses (pools: web)', []],
    ['InvalidRequest', () => world(), svc('a', { loadBalancerIP: '192.0.2.10', annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.11' } }), 'False', 'both set', []],
  ] as const)('%s', (reason, w, service, status, message, ingress) => {
    const p = manage(planService(w(), 'default/a', service));
    expect(p.reason).toBe(reason.split(' ')[0]);
    expect(p.status.conditions[0]).toMatchObject({ type: 'herald.dev/AddressAssigned', status, reason: reason.split(' ')[0] });
    expect(p.status.conditions[0]?.message).toContain(message);
    expect(p.status.ingress).toEqual(ingress);
  });

  it('PoolExhausted: the Service waits, and is planned again when a user leaves an address', () => {
    const w = world({ pools: [{ metadata: { name: 'one', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { addresses: ['192.0.2.10/32'] } }] });
    manage(planService(w, 'default/a', svc('a')));
    const b = manage(planService(w, 'default/b', svc('b')));
    expect([b.reason, b.waiting, b.status.conditions[0]?.message]).toEqual(['PoolExhausted', true, 'no free IPv4 address in pool "one"']);
    const gone = planService(w, 'default/a', undefined);
    expect(gone).toMatchObject({ kind: 'forget', why: 'Deleted', retryWaiting: true, addressesChanged: true, clear: false });
    expect(manage(planService(w, 'default/b', svc('b'))).status.ingress).toEqual(['192.0.2.10']);
  });

  it('SharingConflict while two Services share: deleting one re-plans the waiting third, which then shares', () => {
    const w = world();
    const dns = (port: number, protocol: string) => ({ annotations: { 'herald.dev/allow-shared-ip': 'dns', 'herald.dev/loadBalancerIPs': '192.0.2.10' }, port, protocol });
    manage(planService(w, 'default/dns-tcp', svc('dns-tcp', dns(53, 'TCP'))));
    manage(planService(w, 'default/dns-udp', svc('dns-udp', dns(53, 'UDP'))));
    const third = manage(planService(w, 'default/third', svc('third', dns(53, 'TCP'))));
    expect([third.reason, third.waiting]).toEqual(['SharingConflict', true]);
    expect(third.status.conditions[0]?.message).toBe('192.0.2.10 is shared with default/dns-tcp, which already uses TCP/53');
    // The address stays in use (dns-udp), yet its users changed: that alone must wake the waiting Service.
    expect(planService(w, 'default/dns-tcp', undefined)).toMatchObject({ kind: 'forget', retryWaiting: true, addressesChanged: true });
    const again = manage(planService(w, 'default/third', svc('third', dns(53, 'TCP'))));
    expect([again.reason, again.status.ingress]).toEqual(['Assigned', ['192.0.2.10']]);
    expect(w.allocator.servicesOn({ family: 4, value: 0xc000020an })).toEqual(['default/dns-udp', 'default/third']);
  });

  it('a holder that opts in to another namespace re-plans the Service waiting on its address', () => {
    const w = world();
    const holder = (peers?: string) => svc('db', { ns: 'team-b', ingress: ['192.0.2.10'], annotations: { 'herald.dev/allow-shared-ip': 'k', ...(peers ? { 'herald.dev/allow-shared-ip-namespaces': peers } : {}) }, port: 5432 });
    manage(planService(w, 'team-b/db', holder()));
    const joiner = svc('app', { ns: 'team-a', annotations: { 'herald.dev/allow-shared-ip': 'k', 'herald.dev/allow-shared-ip-namespaces': 'team-b', 'herald.dev/loadBalancerIPs': '192.0.2.10' } });
    expect(manage(planService(w, 'team-a/app', joiner)).waiting).toBe(true);
    const optIn = manage(planService(w, 'team-b/db', holder('team-a')));
    expect([optIn.status.ingress, optIn.retryWaiting]).toEqual([['192.0.2.10'], true]);
    expect(manage(planService(w, 'team-a/app', joiner)).status.ingress).toEqual(['192.0.2.10']);
  });

  it('SharingConflict across namespaces reveals nothing about the other tenant', () => {
    const w = world();
    manage(planService(w, 'team-b/db', svc('db', { ns: 'team-b', annotations: { 'herald.dev/allow-shared-ip': 'secret' }, port: 5432 })));
    const p = manage(planService(w, 'team-a/probe', svc('probe', { ns: 'team-a', annotations: { 'herald.dev/allow-shared-ip': 'secret', 'herald.dev/loadBalancerIPs': '192.0.2.10' }, port: 1 })));
    expect(p.reason).toBe('SharingConflict');
    expect(JSON.stringify(p)).not.toMatch(/team-b|db|secret/);
  });
});

describe('planService: an invalid request keeps the address through a restart', () => {
  it('a fresh allocator (new leader) re-claims the address of an invalid Service, so the next Service gets another', () => {
    const w = world();
    const invalid = svc('a', { ingress: ['192.0.2.10'], annotations: { 'herald.dev/address-pool': '' } });
    const p = manage(planService(w, 'default/a', invalid));
    expect([p.reason, p.status.ingress, p.pool, p.waiting]).toEqual(['InvalidRequest', ['192.0.2.10'], 'web', false]);
    expect(p.status.conditions[0]?.message).toBe('annotation herald.dev/address-pool is empty (keeping 192.0.2.10 until the request is fixed)');
    expect([...w.allocator.addressUses()].map((u) => [formatAddress(u.address), u.pool, u.services])).toEqual([['192.0.2.10', 'web', ['default/a']]]);
    expect(manage(planService(w, 'default/b', svc('b'))).status.ingress).toEqual(['192.0.2.11']);
  });
});

describe('planService: letting go', () => {
  it.each([
    ['Deleted', undefined, false],
    ['NotLoadBalancer', svc('a', { type: 'ClusterIP', conditions: [{ type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: '' }] }), true],
    ['OtherClass', svc('a', { lbClass: 'example.com/other', conditions: [{ type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: '' }] }), true],
    ['OtherClass, never ours (another implementation\'s address stays)', svc('a', { lbClass: 'example.com/other', ingress: ['203.0.113.7'] }), false],
  ] as const)('%s', (why, service, clear) => {
    const w = world();
    manage(planService(w, 'default/a', svc('a')));
    const p = planService(w, 'default/a', service);
    expect(p).toMatchObject({ kind: 'forget', why: why.split(',')[0], clear, addressesChanged: true, retryWaiting: true });
    expect(w.allocator.assignmentOf('default/a')).toEqual([]);
  });
});

describe('planService: events', () => {
  it.each([
    ['a first assignment is an AddressAssigned event', {}, { type: 'Normal', reason: 'AddressAssigned', message: 'Assigned 192.0.2.10 from pool "web"' }],
    ['a resync of an assigned Service emits nothing', { ingress: ['192.0.2.10'], conditions: [{ type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: 'x' }] }, undefined],
    ['a failure after success is a Warning with the reason', { annotations: { 'herald.dev/address-pool': 'gold' }, conditions: [{ type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: 'x' }] }, { type: 'Warning', reason: 'NoMatchingPool', message: 'pool "gold" does not exist' }],
  ] as const)('%s', (_name, def, transition) => {
    expect(manage(planService(world(), 'default/a', svc('a', def as Def))).transition).toEqual(transition);
  });

  it('a MetalLB alias is a once-per-process DeprecatedAnnotation warning', () => {
    const p = manage(planService(world(), 'default/a', svc('a', { annotations: { 'metallb.io/address-pool': 'web' } })));
    expect(p.events).toEqual([{ type: 'Warning', reason: 'DeprecatedAnnotation', message: 'annotation metallb.io/address-pool is honoured; use herald.dev/address-pool instead', once: 'default/a|metallb.io/address-pool' }]);
  });

  it('an address that left every pool is released with a Warning AddressReleased', () => {
    const w = world();
    const p = manage(planService(w, 'default/a', svc('a', { ingress: ['198.51.100.1'] })));
    expect(p.events).toEqual([{ type: 'Warning', reason: 'AddressReleased', message: '198.51.100.1 released: 198.51.100.1 is no longer in any pool' }]);
    expect([p.status.ingress, p.addressesChanged]).toEqual([['192.0.2.10'], true]);
  });
});

describe('planService: every Announced reason', () => {
  it.each([
    ['NoAddress', world({ pools: [] }), 'False'],
    ['NoL2Advertisement', world(), 'False'],
    ['AwaitingSpeaker', world({ advertised: true }), 'Unknown'],
    ['Announcing', world({ advertised: true, lbAddresses: { '192.0.2.10': { node: 'n1', interface: 'eth0' } } }), 'True'],
    ['NoEligibleNode', world({ advertised: true, lbAddresses: { '192.0.2.10': { conditions: [{ type: 'Announced', status: 'False', reason: 'NoEligibleNode', message: 'no node', lastTransitionTime: '' }] } } }), 'False'],
  ] as const)('%s', (reason, w, status) => {
    expect(manage(planService(w, 'default/a', svc('a'))).status.conditions[1]).toMatchObject({ type: 'herald.dev/Announced', reason, status });
  });

  it('an unchanged plan for the same facts changes nothing', () => {
    const w = world();
    const first = manage(planService(w, 'default/a', svc('a')));
    const second = manage(planService(w, 'default/a', svc('a', { ingress: first.status.ingress })));
    expect([second.addressesChanged, second.retryWaiting, second.status]).toEqual([false, false, first.status]);
  });
});
