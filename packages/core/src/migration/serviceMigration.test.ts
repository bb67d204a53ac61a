import { describe, expect, it } from 'vitest';
import type { IPAddressPool } from '../api/v1beta1.js';
import { serviceMigration, type MigrationServiceFacts } from './serviceMigration.js';

const pools: IPAddressPool[] = [
  { metadata: { name: 'web' }, spec: { addresses: ['192.0.2.0/28', '2001:db8::/120'] } },
  { metadata: { name: 'db' }, spec: { addresses: ['192.0.2.100-192.0.2.110'] } },
];
const svc = (name: string, addresses: string[], annotations: Record<string, string> = {}): MigrationServiceFacts => ({ namespace: 'app', name, addresses, annotations });

describe('serviceMigration()', () => {
  it.each([
    { name: 'an address inside a CIDR pool is safe', s: svc('a', ['192.0.2.5']), risks: [] },
    { name: 'an address inside a range pool is safe', s: svc('a', ['192.0.2.110']), risks: [] },
    { name: 'an IPv6 address inside a pool is safe', s: svc('a', ['2001:db8::ff']), risks: [] },
    { name: 'an address just past a range is at risk', s: svc('a', ['192.0.2.111']), risks: ['AddressOutsidePools'] },
    { name: 'an address of a skipped (BGP) pool is at risk', s: svc('a', ['203.0.113.7']), risks: ['AddressOutsidePools'] },
    { name: 'a pool annotation naming a pool that is not migrated is at risk', s: svc('a', [], { 'metallb.io/address-pool': 'bgp-pool' }), risks: ['PoolNotMigrated'] },
    { name: 'a pool annotation naming a migrated pool is safe', s: svc('a', ['192.0.2.100'], { 'metallb.universe.tf/address-pool': 'db' }), risks: [] },
    { name: 'a Service still pending (no address) is safe', s: svc('a', []), risks: [] },
  ])('$name', ({ s, risks }) => {
    const r = serviceMigration([s], pools);
    expect(r.findings.map((f) => f.reason)).toEqual(risks);
    expect(r.findings.every((f) => f.action === 'atRisk' && f.object === 'Service app/a')).toBe(true);
  });

  it.each([
    { name: 'metallb.io keys map to herald.dev keys', annotations: { 'metallb.io/address-pool': 'web', 'metallb.io/allow-shared-ip': 'k' }, add: { 'herald.dev/address-pool': 'web', 'herald.dev/allow-shared-ip': 'k' } },
    { name: 'metallb.universe.tf keys map too', annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.0.2.5' }, add: { 'herald.dev/loadBalancerIPs': '192.0.2.5' } },
    { name: 'an existing herald key is never overwritten', annotations: { 'metallb.io/address-pool': 'db', 'herald.dev/address-pool': 'web' }, add: undefined },
    { name: 'ip-allocated-from-pool (written by MetalLB) is not mapped', annotations: { 'metallb.io/ip-allocated-from-pool': 'web' }, add: undefined },
    { name: 'when both MetalLB spellings exist, metallb.io wins (as the controller reads them)', annotations: { 'metallb.io/address-pool': 'web', 'metallb.universe.tf/address-pool': 'db' }, add: { 'herald.dev/address-pool': 'web' } },
  ] as { name: string; annotations: Record<string, string>; add?: Record<string, string> }[])('annotations: $name', ({ annotations, add }) => {
    const r = serviceMigration([svc('a', ['192.0.2.1'], annotations)], pools);
    expect(r.annotationPatches).toEqual(add ? [{ namespace: 'app', name: 'a', add }] : []);
    const metallbKeys = Object.keys(annotations).filter((k) => k.startsWith('metallb') && !k.endsWith('ip-allocated-from-pool'));
    expect(r.annotations.map((u) => u.metallbKey).sort()).toEqual(metallbKeys.sort());
  });
});
