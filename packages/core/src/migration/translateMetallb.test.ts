import { describe, expect, it } from 'vitest';
import type { MetalLBObject } from './metallbConfig.js';
import { failsStrict } from './migrationFinding.js';
import { translateMetallb, MIGRATED_FROM_ANNOTATION } from './translateMetallb.js';

const pool = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>): MetalLBObject => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'metallb-system', ...(labels ? { labels } : {}) }, spec,
});
const obj = (kind: string, name: string, spec: Record<string, unknown> = {}, apiVersion = 'metallb.io/v1beta1'): MetalLBObject => ({ apiVersion, kind, metadata: { name, namespace: 'metallb-system' }, spec });
const l2 = (name: string, spec: Record<string, unknown> = {}) => obj('L2Advertisement', name, spec);

describe('translateMetallb()', () => {
  it.each([
    { name: 'CIDR and range are kept', input: pool('a', { addresses: ['192.0.2.0/28', '192.0.2.100-192.0.2.110'] }), addresses: ['192.0.2.0/28', '192.0.2.100-192.0.2.110'], reasons: [] },
    { name: 'spaces in a range are removed (MetalLB trimmed them)', input: pool('a', { addresses: ['192.0.2.10 - 192.0.2.20'] }), addresses: ['192.0.2.10-192.0.2.20'], reasons: ['WhitespaceRemoved'] },
    { name: 'host bits are cleared, as MetalLB read the CIDR', input: pool('a', { addresses: ['192.0.2.1/24'] }), addresses: ['192.0.2.0/24'], reasons: ['HostBitsCleared'] },
    { name: 'IPv6 host bits are cleared too', input: pool('a', { addresses: ['2001:db8::1/64'] }), addresses: ['2001:db8::/64'], reasons: ['HostBitsCleared'] },
    { name: 'a single address and IPv6 range mix', input: pool('a', { addresses: ['192.0.2.5/32', '2001:db8::10-2001:db8::20'] }), addresses: ['192.0.2.5/32', '2001:db8::10-2001:db8::20'], reasons: [] },
  ])('pool addresses: $name', ({ input, addresses, reasons }) => {
    const plan = translateMetallb({ objects: [input] });
    expect(plan.pools.map((p) => p.spec.addresses)).toEqual([addresses]);
    expect(plan.findings.map((f) => f.reason)).toEqual(reasons);
    expect(plan.findings.every((f) => f.action === 'changed' && f.object === 'IPAddressPool metallb-system/a')).toBe(true);
  });

  it.each([
    { name: 'an unparseable address', spec: { addresses: ['192.0.2.300/32'] }, detail: /192\.0\.2\.300/ },
    { name: 'a reversed range', spec: { addresses: ['192.0.2.20-192.0.2.10'] }, detail: /start is after end/ },
    { name: 'no addresses', spec: { addresses: [] }, detail: /spec\.addresses/ },
  ])('a pool with $name is skipped with InvalidAddress', ({ spec, detail }) => {
    const plan = translateMetallb({ objects: [pool('bad', spec), pool('good', { addresses: ['192.0.2.0/30'] })] });
    expect(plan.pools.map((p) => p.metadata.name)).toEqual(['good']);
    expect(plan.findings).toEqual([expect.objectContaining({ action: 'skipped', reason: 'InvalidAddress', object: 'IPAddressPool metallb-system/bad', detail: expect.stringMatching(detail) })]);
  });

  it('copies autoAssign, avoidBuggyIPs, serviceAllocation and labels, and records where each object came from', () => {
    const serviceAllocation = { priority: 10, namespaces: ['team-a'], namespaceSelectors: [{ matchLabels: { env: 'prod' } }], serviceSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }] };
    const plan = translateMetallb({ objects: [pool('prod', { addresses: ['192.0.2.0/28'], autoAssign: false, avoidBuggyIPs: true, serviceAllocation }, { zone: 'a' })] });
    expect(plan.pools).toEqual([{
      apiVersion: 'herald.dev/v1beta1', kind: 'IPAddressPool',
      metadata: { name: 'prod', labels: { zone: 'a' }, annotations: { [MIGRATED_FROM_ANNOTATION]: 'metallb.io/v1beta1 IPAddressPool metallb-system/prod' } },
      spec: { addresses: ['192.0.2.0/28'], autoAssign: false, avoidBuggyIPs: true, serviceAllocation },
    }]);
    expect(plan.findings).toEqual([]);
  });

  it.each([
    { name: 'pools, selectors, nodeSelectors and interfaces are kept', spec: { ipAddressPools: ['a'], ipAddressPoolSelectors: [{ matchLabels: { x: 'y' } }], nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'n1' } }], interfaces: ['eth0'] }, dropped: [] },
    { name: 'serviceSelectors is dropped and said so', spec: { ipAddressPools: ['a'], serviceSelectors: [{ matchLabels: { app: 'x' } }] }, dropped: ['spec.serviceSelectors'] },
    { name: 'preferredNodeSelectors is dropped and said so', spec: { preferredNodeSelectors: [{ weight: 10, preference: { matchLabels: { a: 'b' } } }] }, dropped: ['spec.preferredNodeSelectors'] },
  ])('L2Advertisement: $name', ({ spec, dropped }) => {
    const plan = translateMetallb({ objects: [l2('ad', spec)] });
    const { serviceSelectors: _s, preferredNodeSelectors: _p, ...kept } = spec as Record<string, unknown>;
    expect(plan.l2Advertisements.map((a) => a.spec)).toEqual([kept]);
    expect(plan.findings.map((f) => [f.action, f.reason, f.detail.split(' ')[0]])).toEqual(dropped.map((d) => ['changed', 'UnsupportedField', d]));
  });

  it.each([
    { name: 'BGPAdvertisement', o: obj('BGPAdvertisement', 'b', { ipAddressPools: ['x'] }) },
    { name: 'BGPPeer v1beta2', o: obj('BGPPeer', 'p', { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1' }, 'metallb.io/v1beta2') },
    { name: 'BFDProfile', o: obj('BFDProfile', 'f') },
    { name: 'Community', o: obj('Community', 'c') },
  ])('$name is skipped with BGPNotSupported', ({ o }) => {
    const plan = translateMetallb({ objects: [o] });
    expect(plan.findings).toEqual([expect.objectContaining({ action: 'skipped', reason: 'BGPNotSupported', object: `${o.kind} metallb-system/${o.metadata.name}` })]);
  });

  it.each([
    { name: 'only a BGPAdvertisement names it → BGPOnlyPool', ads: [obj('BGPAdvertisement', 'b', { ipAddressPools: ['p'] })], migrated: false },
    { name: 'a BGPAdvertisement selects it by label → BGPOnlyPool', ads: [obj('BGPAdvertisement', 'b', { ipAddressPoolSelectors: [{ matchLabels: { proto: 'bgp' } }] })], migrated: false },
    { name: 'a BGPAdvertisement and an L2Advertisement → migrated', ads: [obj('BGPAdvertisement', 'b', { ipAddressPools: ['p'] }), l2('l', { ipAddressPools: ['p'] })], migrated: true },
    { name: 'a BGPAdvertisement and an L2Advertisement for every pool → migrated', ads: [obj('BGPAdvertisement', 'b', { ipAddressPools: ['p'] }), l2('l')], migrated: true },
    { name: 'no advertisement at all → migrated (assigned, not announced, as in MetalLB)', ads: [], migrated: true },
    { name: 'an L2Advertisement for another pool only and a BGP one → BGPOnlyPool', ads: [obj('BGPAdvertisement', 'b'), l2('l', { ipAddressPools: ['other'] })], migrated: false },
  ])('a pool where $name', ({ ads, migrated }) => {
    const plan = translateMetallb({ objects: [pool('p', { addresses: ['192.0.2.0/28'] }, { proto: 'bgp' }), ...ads] });
    expect(plan.pools.length).toBe(migrated ? 1 : 0);
    expect(plan.findings.some((f) => f.reason === 'BGPOnlyPool' && f.object === 'IPAddressPool metallb-system/p')).toBe(!migrated);
  });

  it.each([
    { name: 'status objects (ServiceL2Status)', o: obj('ServiceL2Status', 'l2-abc') },
    { name: 'a non-MetalLB object', o: obj('ConfigMap', 'x', {}, 'v1') },
  ])('$name are reported as UnknownKind', ({ o }) => {
    expect(translateMetallb({ objects: [o] }).findings.map((f) => f.reason)).toEqual(['UnknownKind']);
  });

  it('two pools with one name in different namespaces: the second is DuplicateName', () => {
    const a = pool('p', { addresses: ['192.0.2.0/30'] });
    const b = { ...pool('p', { addresses: ['192.0.2.4/30'] }), metadata: { name: 'p', namespace: 'other' } };
    const plan = translateMetallb({ objects: [a, b] });
    expect(plan.pools.map((p) => p.spec.addresses)).toEqual([['192.0.2.0/30']]);
    expect(plan.findings.map((f) => f.reason)).toEqual(['DuplicateName']);
  });

  it('output is sorted by name whatever the input order', () => {
    const objects = ['c', 'a', 'b'].map((n) => pool(n, { addresses: ['192.0.2.0/30'] }));
    expect(translateMetallb({ objects }).pools.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('translateMetallb() with the legacy ConfigMap', () => {
  const source = 'metallb-system/config';
  it('a layer2 pool becomes a pool and an L2Advertisement <name>-l2 for it', () => {
    const plan = translateMetallb({ objects: [], legacy: { source, config: { 'address-pools': [{ name: 'default', protocol: 'layer2', addresses: ['192.0.2.240 - 192.0.2.250'], 'auto-assign': false, 'avoid-buggy-ips': true }] } } });
    expect(plan.pools.map((p) => [p.metadata.name, p.spec])).toEqual([['default', { addresses: ['192.0.2.240-192.0.2.250'], autoAssign: false, avoidBuggyIPs: true }]]);
    expect(plan.l2Advertisements.map((a) => [a.metadata.name, a.spec])).toEqual([['default-l2', { ipAddressPools: ['default'] }]]);
    expect(plan.findings.map((f) => f.reason)).toEqual(['WhitespaceRemoved']);
  });

  it.each([
    { name: 'a bgp pool', config: { 'address-pools': [{ name: 'b', protocol: 'bgp', addresses: ['192.0.2.0/28'] }] }, object: 'ConfigMap metallb-system/config address-pools b' },
    { name: 'a pool with bgp-advertisements', config: { 'address-pools': [{ name: 'b', protocol: 'layer2', addresses: ['192.0.2.0/28'], 'bgp-advertisements': [] }] }, object: 'ConfigMap metallb-system/config address-pools b' },
    { name: 'peers', config: { peers: [{ 'peer-address': '192.0.2.1' }] }, object: 'ConfigMap metallb-system/config peers[0]' },
    { name: 'bgp-communities', config: { 'bgp-communities': { noexport: '65535:65281' } }, object: 'ConfigMap metallb-system/config bgp-communities noexport' },
    { name: 'bfd-profiles', config: { 'bfd-profiles': [{ name: 'fast' }] }, object: 'ConfigMap metallb-system/config bfd-profiles[0]' },
  ])('$name is skipped with BGPNotSupported', ({ config, object }) => {
    const plan = translateMetallb({ objects: [], legacy: { source, config } });
    expect(plan.pools).toEqual([]);
    expect(plan.findings).toEqual([expect.objectContaining({ action: 'skipped', reason: 'BGPNotSupported', object })]);
  });

  it('an invalid pool name is refused with a suggestion, not renamed', () => {
    const plan = translateMetallb({ objects: [], legacy: { source, config: { 'address-pools': [{ name: 'Production_Pool', protocol: 'layer2', addresses: ['192.0.2.0/28'] }] } } });
    expect(plan.pools).toEqual([]);
    expect(plan.findings).toContainEqual(expect.objectContaining({ reason: 'InvalidName', detail: expect.stringContaining('"production-pool"') }));
  });
});

describe('failsStrict()', () => {
  it.each([
    { reason: 'BGPNotSupported', action: 'skipped', fails: true },
    { reason: 'AddressOutsidePools', action: 'atRisk', fails: true },
    { reason: 'UnsupportedField', action: 'changed', fails: true },
    { reason: 'WhitespaceRemoved', action: 'changed', fails: false },
    { reason: 'HostBitsCleared', action: 'changed', fails: false },
  ] as const)('$action $reason → $fails', ({ reason, action, fails }) => {
    expect(failsStrict({ reason, action, object: 'x', detail: 'y' })).toBe(fails);
  });
});
