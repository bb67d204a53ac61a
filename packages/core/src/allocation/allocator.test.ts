import { describe, expect, it } from 'vitest';
import type { IPAddressPool, ServiceAllocation } from '../api/v1beta1.js';
import { formatAddress } from '../ip/address.js';
import { validatePools } from '../pool/validatePools.js';
import { readAllocationRequest, type AllocationRequest } from './allocationRequest.js';
import { Allocator, type AssignOutcome } from './allocator.js';
import type { ServiceObject } from './serviceObject.js';

interface PoolDef {
  addresses: string[];
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  serviceAllocation?: ServiceAllocation;
  created?: string;
}

function poolObjects(defs: Record<string, PoolDef>): IPAddressPool[] {
  return Object.entries(defs).map(([name, d], i) => ({
    metadata: { name, creationTimestamp: d.created ?? `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` },
    spec: { addresses: d.addresses, autoAssign: d.autoAssign, avoidBuggyIPs: d.avoidBuggyIPs, serviceAllocation: d.serviceAllocation },
  }));
}

function allocatorWith(defs: Record<string, PoolDef>): Allocator {
  const a = new Allocator();
  a.setPools(validatePools(poolObjects(defs)).pools);
  return a;
}

interface SvcDef {
  ns?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  families?: readonly string[];
  policy?: string;
  loadBalancerIP?: string;
  local?: boolean;
  selector?: Record<string, string>;
  ports?: readonly { protocol?: string; port: number }[];
  ingress?: readonly string[];
  nsLabels?: Record<string, string>;
}

function service(name: string, d: SvcDef = {}): ServiceObject {
  return {
    metadata: { namespace: d.ns ?? 'default', name, labels: d.labels, annotations: d.annotations },
    spec: {
      type: 'LoadBalancer',
      ipFamilies: [...(d.families ?? ['IPv4'])],
      ipFamilyPolicy: d.policy ?? 'SingleStack',
      loadBalancerIP: d.loadBalancerIP,
      externalTrafficPolicy: d.local ? 'Local' : 'Cluster',
      selector: d.selector ?? { app: name },
      ports: [...(d.ports ?? [{ port: 80 }])],
    },
    status: { loadBalancer: { ingress: (d.ingress ?? []).map((ip) => ({ ip })) } },
  };
}

function request(name: string, d: SvcDef = {}): AllocationRequest {
  const r = readAllocationRequest(service(name, d), d.nsLabels ?? {});
  if (!r.ok) throw new Error(r.error.detail);
  return r.value.request;
}

const ips = (o: AssignOutcome) => o.addresses.map(formatAddress);
function assigned(o: AssignOutcome): string[] {
  if (!o.ok) throw new Error(`expected an assignment, got ${o.reason}: ${o.detail}`);
  return ips(o);
}
function failed(o: AssignOutcome): string {
  if (o.ok) throw new Error(`expected a failure, got ${ips(o).join(',')}`);
  return o.reason;
}

describe('Allocator: choosing an address', () => {
  it('hands out the lowest free address of a pool, in order', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.10-192.0.2.12'] } });
    expect(assigned(a.assign(request('a')))).toEqual(['192.0.2.10']);
    expect(assigned(a.assign(request('b')))).toEqual(['192.0.2.11']);
    expect(assigned(a.assign(request('c')))).toEqual(['192.0.2.12']);
    expect(failed(a.assign(request('d')))).toBe('PoolExhausted');
  });

  it('an exhausted pool gives a pending Service the address that is freed', () => {
    const a = allocatorWith({ one: { addresses: ['192.0.2.7/32'] } });
    expect(assigned(a.assign(request('first')))).toEqual(['192.0.2.7']);
    const pending = a.assign(request('second'));
    expect(failed(pending)).toBe('PoolExhausted');
    expect(pending.ok ? '' : pending.detail).toContain('"one"');
    expect(a.release('default/first').map(formatAddress)).toEqual(['192.0.2.7']);
    expect(assigned(a.assign(request('second')))).toEqual(['192.0.2.7']);
  });

  it('uses both addresses of a /31 and the network and broadcast addresses of a /30', () => {
    const a = allocatorWith({ p31: { addresses: ['192.0.2.0/31'] }, q: { addresses: ['198.51.100.0/30'], autoAssign: false } });
    expect(assigned(a.assign(request('a')))).toEqual(['192.0.2.0']);
    expect(assigned(a.assign(request('b')))).toEqual(['192.0.2.1']);
    for (const [i, want] of ['198.51.100.0', '198.51.100.1', '198.51.100.2', '198.51.100.3'].entries()) {
      expect(assigned(a.assign(request(`q${i}`, { annotations: { 'herald.dev/address-pool': 'q' } })))).toEqual([want]);
    }
  });

  it('avoidBuggyIPs skips .0 and .255 and does not count them as available', () => {
    const a = allocatorWith({ b: { addresses: ['192.0.2.255/32', '198.51.100.0/32', '203.0.113.254-203.0.113.255'], avoidBuggyIPs: true } });
    expect(assigned(a.assign(request('a')))).toEqual(['203.0.113.254']);
    expect(failed(a.assign(request('b')))).toBe('PoolExhausted');
    expect(a.usage('b')?.v4.total).toBe(1n);
  });

  it('allocates from a /64 without walking it, and counts it exactly', () => {
    const a = allocatorWith({ v6: { addresses: ['2001:db8:64::/64'] } });
    expect(assigned(a.assign(request('a', { families: ['IPv6'] })))).toEqual(['2001:db8:64::']);
    expect(assigned(a.assign(request('b', { families: ['IPv6'] })))).toEqual(['2001:db8:64::1']);
    expect(a.usage('v6')).toEqual({ v4: { total: 0n, inUse: 0n }, v6: { total: 1n << 64n, inUse: 2n } });
  });

  it('tries pools by priority, then name; pools without priority after those with one; open pools last', () => {
    const a = allocatorWith({
      zeta: { addresses: ['192.0.2.1/32'] },
      alpha: { addresses: ['192.0.2.2/32'] },
      low: { addresses: ['192.0.2.3/32'], serviceAllocation: { priority: 20 } },
      high: { addresses: ['192.0.2.4/32'], serviceAllocation: { priority: 10 } },
      noprio: { addresses: ['192.0.2.5/32'], serviceAllocation: {} },
    });
    const order = ['s1', 's2', 's3', 's4', 's5'].map((n) => assigned(a.assign(request(n)))[0]);
    expect(order).toEqual(['192.0.2.4', '192.0.2.3', '192.0.2.5', '192.0.2.2', '192.0.2.1']);
  });

  it('never takes from autoAssign=false pools unless the pool annotation asks', () => {
    const a = allocatorWith({ manual: { addresses: ['192.0.2.9/32'], autoAssign: false } });
    expect(failed(a.assign(request('a')))).toBe('NoMatchingPool');
    expect(assigned(a.assign(request('b', { annotations: { 'herald.dev/address-pool': 'manual' } })))).toEqual(['192.0.2.9']);
  });

  it('a pool annotation naming a missing pool is NoMatchingPool with the name', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.0/30'] } });
    const o = a.assign(request('a', { annotations: { 'herald.dev/address-pool': 'nope' } }));
    expect(failed(o)).toBe('NoMatchingPool');
    expect(o.ok ? '' : o.detail).toBe('pool "nope" does not exist');
  });

  it('no pools at all is NoMatchingPool', () => {
    expect(failed(new Allocator().assign(request('a')))).toBe('NoMatchingPool');
  });
});

describe('Allocator: serviceAllocation', () => {
  const defs: Record<string, PoolDef> = {
    teamA: { addresses: ['192.0.2.10/32'], serviceAllocation: { priority: 1, namespaces: ['team-a'] } },
    labelled: { addresses: ['192.0.2.20/32'], serviceAllocation: { priority: 2, namespaceSelectors: [{ matchLabels: { tier: 'gold' } }] } },
    bySvc: { addresses: ['192.0.2.30/32'], serviceAllocation: { priority: 3, serviceSelectors: [{ matchExpressions: [{ key: 'expose', operator: 'In', values: ['public'] }] }] } },
    shared: { addresses: ['192.0.2.40/30'] },
  };
  it.each([
    ['namespace listed', { ns: 'team-a' }, '192.0.2.10'],
    ['namespace labels match a selector', { ns: 'team-b', nsLabels: { tier: 'gold' } }, '192.0.2.20'],
    ['service labels match a selector', { ns: 'team-c', labels: { expose: 'public' } }, '192.0.2.30'],
    ['nothing matches: the open pool', { ns: 'team-d' }, '192.0.2.40'],
  ] as const)('%s', (_name, def, want) => {
    const a = allocatorWith(defs);
    expect(assigned(a.assign(request('svc', def)))).toEqual([want]);
  });

  it('explains which namespaces a pool serves when the annotation picks an incompatible pool', () => {
    const a = allocatorWith(defs);
    const o = a.assign(request('svc', { ns: 'team-z', annotations: { 'herald.dev/address-pool': 'teamA' } }));
    expect(failed(o)).toBe('NoMatchingPool');
    expect(o.ok ? '' : o.detail).toBe('pool "teamA" serves namespaces [team-a]; the Service is in "team-z"');
  });

  it('NoMatchingPool names every pool that refused when only restricted pools exist', () => {
    const a = allocatorWith({ teamA: defs.teamA! });
    const o = a.assign(request('svc', { ns: 'team-z' }));
    expect(failed(o)).toBe('NoMatchingPool');
    expect(o.ok ? '' : o.detail).toContain('"teamA"');
  });
});

describe('Allocator: requested addresses', () => {
  const defs: Record<string, PoolDef> = {
    web: { addresses: ['192.0.2.0/28', '2001:db8:1::/120'] },
    manual: { addresses: ['198.51.100.0/28'], autoAssign: false },
    teamA: { addresses: ['203.0.113.0/28'], serviceAllocation: { namespaces: ['team-a'] } },
  };
  it.each([
    ['an address inside an autoAssign pool', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.5' } }, true, '192.0.2.5'],
    ['an address in an autoAssign=false pool', { annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.3' } }, true, '198.51.100.3'],
    ['spec.loadBalancerIP', { loadBalancerIP: '192.0.2.6' }, true, '192.0.2.6'],
    ['a MetalLB alias annotation', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.0.2.7' } }, true, '192.0.2.7'],
    ['an address in no pool', { annotations: { 'herald.dev/loadBalancerIPs': '203.0.113.200' } }, false, 'RequestedAddressUnavailable'],
    ['an address in a pool for another namespace', { annotations: { 'herald.dev/loadBalancerIPs': '203.0.113.1' } }, false, 'RequestedAddressUnavailable'],
    ['an address outside the pool the annotation names', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.5', 'herald.dev/address-pool': 'manual' } }, false, 'RequestedAddressUnavailable'],
  ] as const)('%s', (_name, def, ok, want) => {
    const a = allocatorWith(defs);
    const o = a.assign(request('svc', def));
    if (ok) expect(assigned(o)).toEqual([want]);
    else expect(failed(o)).toBe(want);
  });

  it('a requested address in use by another Service without a sharing key is a SharingConflict', () => {
    const a = allocatorWith(defs);
    assigned(a.assign(request('first', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.5' } })));
    const o = a.assign(request('second', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.5' } }));
    expect(failed(o)).toBe('SharingConflict');
    expect(o.ok ? '' : o.detail).toContain('default/first');
  });

  it.each([
    ['spec.loadBalancerIP and the annotation together', { loadBalancerIP: '192.0.2.1', annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.2' } }, 'both set'],
    ['two addresses of one family', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.1,192.0.2.2' } }, 'at most one per family'],
    ['an address of a family the Service does not have', { annotations: { 'herald.dev/loadBalancerIPs': '2001:db8:1::5' } }, "the Service's families are [IPv4]"],
    ['garbage', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.300' } }, 'not an octet'],
    ['an empty pool annotation', { annotations: { 'herald.dev/address-pool': '' } }, 'is empty'],
  ] as const)('refuses %s as InvalidRequest', (_name, def, words) => {
    const r = readAllocationRequest(service('svc', def), {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe('InvalidRequest');
      expect(r.error.detail).toContain(words);
    }
  });

  it('reports which MetalLB alias was used so the controller can warn', () => {
    const r = readAllocationRequest(service('svc', { annotations: { 'metallb.io/address-pool': 'web', 'metallb.universe.tf/allow-shared-ip': 'k' } }), {});
    expect(r.ok && r.value.aliases).toEqual([
      { used: 'metallb.io/address-pool', preferred: 'herald.dev/address-pool' },
      { used: 'metallb.universe.tf/allow-shared-ip', preferred: 'herald.dev/allow-shared-ip' },
    ]);
  });
});

describe('Allocator: sharing an address', () => {
  const share = (key: string, extra: SvcDef = {}): SvcDef => ({ ...extra, annotations: { 'herald.dev/allow-shared-ip': key, ...(extra.annotations ?? {}) } });
  it.each([
    ['same key, different ports', share('k', { ports: [{ port: 80 }] }), share('k', { ports: [{ port: 443 }] }), true],
    ['same key, same port on another protocol', share('k', { ports: [{ port: 53 }] }), share('k', { ports: [{ port: 53, protocol: 'UDP' }] }), true],
    ['same key, same port and protocol', share('k', { ports: [{ port: 80 }] }), share('k', { ports: [{ port: 80 }] }), false],
    ['different keys', share('k1', { ports: [{ port: 80 }] }), share('k2', { ports: [{ port: 443 }] }), false],
    ['no key on the second', share('k', { ports: [{ port: 80 }] }), { ports: [{ port: 443 }] }, false],
    ['Local with identical selectors', share('k', { local: true, selector: { app: 'x' } }), share('k', { local: true, selector: { app: 'x' }, ports: [{ port: 443 }] }), true],
    ['Local with different selectors', share('k', { local: true, selector: { app: 'x' } }), share('k', { local: true, selector: { app: 'y' }, ports: [{ port: 443 }] }), false],
    ['Local with Cluster', share('k', { local: true, selector: { app: 'x' } }), share('k', { selector: { app: 'x' }, ports: [{ port: 443 }] }), false],
  ] as const)('%s', (_name, first, second, shared) => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10-192.0.2.11'] } });
    expect(assigned(a.assign(request('one', first)))).toEqual(['192.0.2.10']);
    const two = assigned(a.assign(request('two', second)));
    expect(two).toEqual([shared ? '192.0.2.10' : '192.0.2.11']);
    if (shared) expect(a.servicesOn({ family: 4, value: 0xc000020an })).toEqual(['default/one', 'default/two']);
  });

  it('a shared address stays in use until its last Service lets go', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/32'] } });
    assigned(a.assign(request('one', share('k', { ports: [{ port: 80 }] }))));
    assigned(a.assign(request('two', share('k', { ports: [{ port: 443 }] }))));
    expect(a.release('default/one')).toEqual([]);
    expect(a.usage('p')?.v4.inUse).toBe(1n);
    expect(a.release('default/two').map(formatAddress)).toEqual(['192.0.2.10']);
    expect(a.usage('p')?.v4.inUse).toBe(0n);
  });

  it('a sole user may change its own sharing key and keep the address', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    assigned(a.assign(request('one', share('old'))));
    expect(assigned(a.assign(request('one', share('new'))))).toEqual(['192.0.2.10']);
  });
});

describe('Allocator: dual-stack', () => {
  const defs: Record<string, PoolDef> = {
    a4: { addresses: ['192.0.2.10/32'] },
    b46: { addresses: ['192.0.2.20/32', '2001:db8:1::20/128'] },
    c6: { addresses: ['2001:db8:1::30/128'] },
  };
  it.each([
    ['SingleStack IPv4', { families: ['IPv4'], policy: 'SingleStack' }, ['192.0.2.10']],
    ['SingleStack IPv6', { families: ['IPv6'], policy: 'SingleStack' }, ['2001:db8:1::20']],
    ['SingleStack even with two ipFamilies listed takes the primary', { families: ['IPv6', 'IPv4'], policy: 'SingleStack' }, ['2001:db8:1::20']],
    ['RequireDualStack takes both from one pool', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }, ['192.0.2.20', '2001:db8:1::20']],
    ['PreferDualStack prefers a pool with both', { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' }, ['192.0.2.20', '2001:db8:1::20']],
    ['PreferDualStack in a single-stack cluster', { families: ['IPv4'], policy: 'PreferDualStack' }, ['192.0.2.10']],
  ] as const)('%s', (_name, def, want) => {
    const a = allocatorWith(defs);
    expect(assigned(a.assign(request('svc', def)))).toEqual(want);
  });

  it('RequireDualStack with no pool holding both families is FamilyUnavailable', () => {
    const a = allocatorWith({ a4: defs.a4!, c6: defs.c6! });
    expect(failed(a.assign(request('svc', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' })))).toBe('FamilyUnavailable');
  });

  it('PreferDualStack falls back to the primary family, and gains the other when its pool gets one', () => {
    const a = allocatorWith({ a4: defs.a4! });
    const def: SvcDef = { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' };
    expect(assigned(a.assign(request('svc', def)))).toEqual(['192.0.2.10']);
    a.setPools(validatePools(poolObjects({ a4: { addresses: ['192.0.2.10/32', '2001:db8:1::10/128'] } })).pools);
    expect(assigned(a.assign(request('svc', def)))).toEqual(['192.0.2.10', '2001:db8:1::10']);
  });

  it('an IPv6-only Service in IPv4-only pools is FamilyUnavailable', () => {
    const a = allocatorWith({ a4: defs.a4! });
    expect(failed(a.assign(request('svc', { families: ['IPv6'] })))).toBe('FamilyUnavailable');
  });
});

describe('Allocator: stickiness (an address never moves while a compatible pool holds it)', () => {
  it('survives a restart: a new allocator re-claims status addresses before anything new is handed out', () => {
    const defs = { web: { addresses: ['192.0.2.10-192.0.2.20'] } };
    const before = allocatorWith(defs);
    const first = assigned(before.assign(request('a')));
    const second = assigned(before.assign(request('b')));
    before.release('default/a');
    const third = assigned(before.assign(request('c')));
    expect(third).toEqual(first);

    const after = allocatorWith(defs);
    const b = after.assign(request('b', { ingress: second }));
    expect(b.ok && b.unchanged).toBe(true);
    expect(assigned(b)).toEqual(second);
    expect(assigned(after.assign(request('c', { ingress: third })))).toEqual(third);
    expect(assigned(after.assign(request('d')))).toEqual(['192.0.2.12']);
  });

  it('does not move when a lower range is added to the pool or a higher-priority pool appears', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.100/30'] } });
    expect(assigned(a.assign(request('svc')))).toEqual(['192.0.2.100']);
    a.setPools(validatePools(poolObjects({ web: { addresses: ['192.0.2.0/30', '192.0.2.100/30'] }, vip: { addresses: ['198.51.100.0/30'], serviceAllocation: { priority: 1 } } })).pools);
    const o = a.assign(request('svc'));
    expect(assigned(o)).toEqual(['192.0.2.100']);
    expect(o.ok && o.unchanged).toBe(true);
  });

  it('keeps an address when its range moves to another compatible pool', () => {
    const a = allocatorWith({ old: { addresses: ['192.0.2.0/28'] } });
    expect(assigned(a.assign(request('svc')))).toEqual(['192.0.2.0']);
    a.setPools(validatePools(poolObjects({ renamed: { addresses: ['192.0.2.0/28'] } })).pools);
    const o = a.assign(request('svc'));
    expect(o.ok && o.pool).toBe('renamed');
    expect(assigned(o)).toEqual(['192.0.2.0']);
  });

  it('releases an address removed from every pool, says why, and allocates a new one', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.0/30'] } });
    assigned(a.assign(request('svc')));
    a.setPools(validatePools(poolObjects({ web: { addresses: ['192.0.2.4/30'] } })).pools);
    const o = a.assign(request('svc'));
    expect(assigned(o)).toEqual(['192.0.2.4']);
    expect(o.released.map((r) => [formatAddress(r.address), r.reason])).toEqual([['192.0.2.0', 'OutsidePools']]);
  });

  it('moves when the Service asks for another pool, and says RequestChanged', () => {
    const a = allocatorWith({ one: { addresses: ['192.0.2.0/30'] }, two: { addresses: ['198.51.100.0/30'] } });
    assigned(a.assign(request('svc')));
    const o = a.assign(request('svc', { annotations: { 'herald.dev/address-pool': 'two' } }));
    expect(assigned(o)).toEqual(['198.51.100.0']);
    expect(o.released[0]?.reason).toBe('RequestChanged');
  });

  it('moves when the pool stops serving the namespace (PoolIncompatible)', () => {
    const a = allocatorWith({ one: { addresses: ['192.0.2.0/30'] }, two: { addresses: ['198.51.100.0/30'] } });
    assigned(a.assign(request('svc', { ns: 'team-b' })));
    a.setPools(validatePools(poolObjects({ one: { addresses: ['192.0.2.0/30'], serviceAllocation: { namespaces: ['team-a'] } }, two: { addresses: ['198.51.100.0/30'] } })).pools);
    const o = a.assign(request('svc', { ns: 'team-b' }));
    expect(assigned(o)).toEqual(['198.51.100.0']);
    expect(o.released[0]?.reason).toBe('PoolIncompatible');
  });

  it('two Services claiming one address in status: the first keeps it, the second gets another', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.0/30'] } });
    assigned(a.assign(request('x', { ingress: ['192.0.2.2'] })));
    const o = a.assign(request('y', { ingress: ['192.0.2.2'] }));
    expect(assigned(o)).toEqual(['192.0.2.0']);
    expect(o.released[0]?.reason).toBe('SharingConflict');
  });

  it('with no pools at all (not configured yet), keeps the addresses Services hold instead of releasing them', () => {
    const a = new Allocator();
    const o = a.assign(request('svc', { ingress: ['192.0.2.9'] }));
    expect(failed(o)).toBe('NoMatchingPool');
    expect(ips(o)).toEqual(['192.0.2.9']);
    expect(o.released).toEqual([]);
    a.setPools(validatePools(poolObjects({ web: { addresses: ['192.0.2.0/28'] } })).pools);
    expect(assigned(a.assign(request('svc', { ingress: ['192.0.2.9'] })))).toEqual(['192.0.2.9']);
    expect(assigned(a.assign(request('other')))).toEqual(['192.0.2.0']);
  });

  it('assigning again with the same facts changes nothing', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.0/30'] } });
    assigned(a.assign(request('svc')));
    const again = a.assign(request('svc'));
    expect(again.ok && again.unchanged).toBe(true);
    expect(a.usage('web')?.v4.inUse).toBe(1n);
  });
});

describe('Allocator with invalid pools', () => {
  it('a pool overlapping an older one is in Conflict: it hands out nothing, the older one is untouched', () => {
    const { pools, verdicts } = validatePools(
      poolObjects({ older: { addresses: ['192.0.2.0/29'], created: '2026-01-01T00:00:00Z' }, newer: { addresses: ['192.0.2.4/30', '198.51.100.0/30'], created: '2026-02-01T00:00:00Z' } }),
    );
    expect(verdicts.get('older')).toMatchObject({ valid: true, reason: 'Valid' });
    expect(verdicts.get('newer')).toMatchObject({ valid: false, reason: 'Conflict', conflictsWith: 'older' });
    expect(verdicts.get('newer')?.message).toContain('192.0.2.4/30 already belong to pool "older"');
    const a = new Allocator();
    a.setPools(pools);
    expect(assigned(a.assign(request('x', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.5' } })))).toEqual(['192.0.2.5']);
    expect(failed(a.assign(request('y', { annotations: { 'herald.dev/address-pool': 'newer' } })))).toBe('NoMatchingPool');
  });

  it('an address of a pool that became invalid is kept (bad input loses nothing), but nothing new comes from it', () => {
    const a = allocatorWith({ web: { addresses: ['192.0.2.0/30'] } });
    assigned(a.assign(request('svc')));
    const { pools, verdicts } = validatePools(poolObjects({ web: { addresses: ['192.0.2.0/30', '192.0.2.20-192.0.2.10'] } }));
    expect(verdicts.get('web')).toMatchObject({ valid: false, reason: 'InvalidAddress' });
    expect(verdicts.get('web')?.message).toContain('spec.addresses[1]');
    a.setPools(pools);
    expect(assigned(a.assign(request('svc')))).toEqual(['192.0.2.0']);
    expect(failed(a.assign(request('other')))).toBe('NoMatchingPool');
  });

  it.each([
    ['overlapping entries in one pool', ['192.0.2.0/28', '192.0.2.8/29'], 'OverlappingAddresses'],
    ['a repeated entry', ['192.0.2.0/28', '192.0.2.0/28'], 'DuplicateEntry'],
    ['host bits set', ['10.0.0.1/24'], 'InvalidAddress'],
  ] as const)('%s makes the pool invalid (%s)', (_name, addresses, reason) => {
    const { verdicts } = validatePools(poolObjects({ p: { addresses: [...addresses] } }));
    expect(verdicts.get('p')).toMatchObject({ valid: false, reason });
  });
});

describe('Allocator: sharing across namespaces (each namespace is a tenant)', () => {
  const share = (ns: string, key: string, extra: SvcDef & { peers?: string } = {}): SvcDef => ({
    ns,
    ports: [{ port: ns === 'team-a' ? 80 : 443 }],
    ...extra,
    annotations: { 'herald.dev/allow-shared-ip': key, ...(extra.peers !== undefined ? { 'herald.dev/allow-shared-ip-namespaces': extra.peers } : {}), ...(extra.annotations ?? {}) },
  });
  it.each([
    ['same key in two namespaces, no opt-in', share('team-a', 'k'), share('team-b', 'k'), false],
    ['only the joiner names the other namespace', share('team-a', 'k'), share('team-b', 'k', { peers: 'team-a' }), false],
    ['only the holder names the other namespace', share('team-a', 'k', { peers: 'team-b' }), share('team-b', 'k'), false],
    ['both name each other', share('team-a', 'k', { peers: 'team-b' }), share('team-b', 'k', { peers: 'team-a' }), true],
    ['both name each other among others', share('team-a', 'k', { peers: 'x, team-b' }), share('team-b', 'k', { peers: 'team-a,y' }), true],
    ['both name each other but the keys differ', share('team-a', 'k', { peers: 'team-b' }), share('team-b', 'j', { peers: 'team-a' }), false],
    ['both opt in, Local with the same selector (different Pods)', share('team-a', 'k', { peers: 'team-b', local: true, selector: { app: 'x' } }), share('team-b', 'k', { peers: 'team-a', local: true, selector: { app: 'x' } }), false],
  ] as const)('%s', (_name, first, second, shared) => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10-192.0.2.11'] } });
    expect(assigned(a.assign(request('one', first)))).toEqual(['192.0.2.10']);
    expect(assigned(a.assign(request('two', second)))).toEqual([shared ? '192.0.2.10' : '192.0.2.11']);
    expect(a.invariantViolations()).toEqual([]);
  });

  it.each([
    ['the same key', { 'herald.dev/allow-shared-ip': 'secret' }],
    ['the same key and an opt-in the holder did not give', { 'herald.dev/allow-shared-ip': 'secret', 'herald.dev/allow-shared-ip-namespaces': 'team-a' }],
    ['no key', {}],
  ] as const)('asking for another tenant\'s address with %s is a SharingConflict that names neither its Service nor its key', (_name, annotations) => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    assigned(a.assign(request('private-db', { ns: 'team-a', annotations: { 'herald.dev/allow-shared-ip': 'secret' }, ports: [{ port: 5432 }] })));
    const o = a.assign(request('probe', { ns: 'team-b', annotations: { ...annotations, 'herald.dev/loadBalancerIPs': '192.0.2.10' }, ports: [{ port: 1 }] }));
    expect(failed(o)).toBe('SharingConflict');
    const detail = o.ok ? '' : o.detail;
    expect(detail).toBe('192.0.2.10 is in use by a Service in another namespace');
    expect(a.servicesOn({ family: 4, value: 0xc000020an })).toEqual(['team-a/private-db']);
  });

  it('within one namespace the conflict names the other Service and its key (the tenant can read both)', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    assigned(a.assign(request('one', { annotations: { 'herald.dev/allow-shared-ip': 'k' } })));
    const o = a.assign(request('two', { annotations: { 'herald.dev/loadBalancerIPs': '192.0.2.10', 'herald.dev/allow-shared-ip': 'j' } }));
    expect(o.ok ? '' : o.detail).toBe('192.0.2.10 is used by default/one with sharing key "k"; this Service has "j"');
  });

  it.each([
    ['a namespace list without a sharing key', { 'herald.dev/allow-shared-ip-namespaces': 'team-b' }, 'needs herald.dev/allow-shared-ip'],
    ['a name that is not a namespace', { 'herald.dev/allow-shared-ip': 'k', 'herald.dev/allow-shared-ip-namespaces': 'Team_B' }, '"Team_B" is not a namespace name'],
    ['an empty list', { 'herald.dev/allow-shared-ip': 'k', 'herald.dev/allow-shared-ip-namespaces': '' }, 'herald.dev/allow-shared-ip-namespaces: "" is not a namespace name'],
  ] as const)('%s is an InvalidRequest naming the annotation', (_name, annotations, message) => {
    const r = readAllocationRequest(service('svc', { annotations }), {});
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error.detail).toContain(message);
  });
});

describe('Allocator: an unreadable request keeps what the Service holds (keepOnly)', () => {
  const keep = (name: string, d: SvcDef) => {
    const r = readAllocationRequest(service(name, d), {});
    if (r.ok) throw new Error('expected an invalid request');
    return r.error.keep;
  };
  const bad = { 'herald.dev/loadBalancerIPs': '192.0.2.11', 'herald.dev/address-pool': '' };

  it('after a restart the kept address is recorded, so no other Service is handed it', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    const o = a.assign(keep('invalid', { annotations: bad, ingress: ['192.0.2.10'] }));
    expect(failed(o)).toBe('InvalidRequest');
    expect(ips(o)).toEqual(['192.0.2.10']);
    expect(a.assignmentOf('default/invalid').map(formatAddress)).toEqual(['192.0.2.10']);
    expect(assigned(a.assign(request('newcomer')))).toEqual(['192.0.2.11']);
    expect(failed(a.assign(request('third')))).toBe('PoolExhausted');
  });

  it('keeps dual-stack addresses and chooses nothing new', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31', '2001:db8::/127'] } });
    expect(ips(a.assign(keep('ds', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack', annotations: bad, ingress: ['192.0.2.11', '2001:db8::1'] })))).toEqual(['192.0.2.11', '2001:db8::1']);
    expect(ips(a.assign(keep('none', { annotations: bad })))).toEqual([]);
    expect(a.assignmentOf('default/none')).toEqual([]);
  });

  it('the same checks as any kept address: an address claimed first by another Service is not shared', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    expect(assigned(a.assign(request('first', { ingress: ['192.0.2.10'] })))).toEqual(['192.0.2.10']);
    const o = a.assign(keep('second', { annotations: bad, ingress: ['192.0.2.10'] }));
    expect(ips(o)).toEqual([]);
    expect(o.released.map((r) => r.reason)).toEqual(['SharingConflict']);
    expect(a.servicesOn({ family: 4, value: 0xc000020an })).toEqual(['default/first']);
  });

  it('keeps what the allocator holds even before the status write landed (no address in status yet)', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    expect(assigned(a.assign(request('quick')))).toEqual(['192.0.2.10']);
    const o = a.assign(keep('quick', { annotations: bad }));
    expect([ips(o), o.released]).toEqual([['192.0.2.10'], []]);
  });

  it('an address outside every pool is released as for any Service', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    const o = a.assign(keep('gone', { annotations: bad, ingress: ['198.51.100.1'] }));
    expect(ips(o)).toEqual([]);
    expect(o.released.map((r) => r.reason)).toEqual(['OutsidePools']);
  });

  it('a shared address is kept with the sharing key the Service still shows', () => {
    const a = allocatorWith({ p: { addresses: ['192.0.2.10/31'] } });
    assigned(a.assign(request('tcp', { annotations: { 'herald.dev/allow-shared-ip': 'dns' }, ports: [{ port: 53 }], ingress: ['192.0.2.10'] })));
    const o = a.assign(keep('udp', { annotations: { 'herald.dev/allow-shared-ip': 'dns', 'herald.dev/address-pool': '' }, ports: [{ port: 53, protocol: 'UDP' }], ingress: ['192.0.2.10'] }));
    expect(ips(o)).toEqual(['192.0.2.10']);
    expect(a.servicesOn({ family: 4, value: 0xc000020an })).toEqual(['default/tcp', 'default/udp']);
  });
});
