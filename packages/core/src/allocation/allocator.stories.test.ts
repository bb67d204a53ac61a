import { describe, expect, it } from 'vitest';
import { validatePools } from '../pool/validatePools.js';
import { readAllocationRequest } from './allocationRequest.js';
import type { LBAddress } from '../api/v1beta1.js';
import { Allocator } from './allocator.js';
import { planLBAddresses, type LBAddressPlan } from './lbAddressPlan.js';
import { LBAddressSync } from './lbAddressSync.js';
import type { ServiceObject } from './serviceObject.js';

/** A small deterministic generator (core is deterministic; Math.random is not allowed here). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const POOLS = [
  { metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { addresses: ['192.0.2.0/29', '2001:db8::/126'] } },
  { metadata: { name: 'b', creationTimestamp: '2026-01-01T00:00:01Z' }, spec: { addresses: ['198.51.100.0/30'], serviceAllocation: { namespaces: ['ns1'] } } },
];
const NAMESPACES = ['ns0', 'ns1', 'ns2'];
const KEYS = [undefined, 'k1', 'k2'];
const FAMILIES = [['IPv4'], ['IPv6'], ['IPv4', 'IPv6']];

function randomService(r: () => number, name: string, ns: string): ServiceObject {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const annotations: Record<string, string> = {};
  const key = pick(KEYS);
  if (key) annotations['herald.dev/allow-shared-ip'] = key;
  if (key && r() < 0.3) annotations['herald.dev/allow-shared-ip-namespaces'] = pick(NAMESPACES);
  if (r() < 0.15) annotations['herald.dev/loadBalancerIPs'] = pick(['192.0.2.1', '192.0.2.2', '198.51.100.1', '2001:db8::1']);
  if (r() < 0.1) annotations['herald.dev/address-pool'] = pick(['a', 'b', 'missing']);
  // An unreadable request now and then: the Service keeps what it holds.
  if (r() < 0.1) annotations['herald.dev/allow-shared-ip'] = '';
  const families = pick(FAMILIES);
  return {
    metadata: { namespace: ns, name, annotations },
    spec: {
      type: 'LoadBalancer',
      ipFamilies: families,
      ipFamilyPolicy: families.length > 1 ? pick(['PreferDualStack', 'RequireDualStack']) : 'SingleStack',
      externalTrafficPolicy: r() < 0.2 ? 'Local' : 'Cluster',
      selector: { app: pick(['x', 'y']) },
      ports: [{ port: pick([53, 80, 443]), protocol: pick(['TCP', 'UDP']) }],
    },
  };
}

describe('Allocator stories: the indexes agree after every step', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((seed) => [seed]))('seed %i: 300 random assigns, releases and pool edits', (seed) => {
    const r = prng(seed * 7919);
    const a = new Allocator();
    let pools = POOLS;
    a.setPools(validatePools(pools).pools);
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const held = new Map<string, ServiceObject>();
    for (let step = 0; step < 300; step++) {
      const name = names[Math.floor(r() * names.length)] as string;
      const ns = NAMESPACES[Math.floor(r() * NAMESPACES.length)] as string;
      const roll = r();
      let what: string;
      if (roll < 0.65) {
        const svc = randomService(r, name, ns);
        const parsed = readAllocationRequest(svc, {});
        const req = parsed.ok ? parsed.value.request : parsed.error.keep;
        a.assign(req);
        held.set(req.key, svc);
        what = `assign ${req.key} ${JSON.stringify(svc.metadata.annotations)}`;
      } else if (roll < 0.95) {
        const key = [...held.keys()][Math.floor(r() * held.size)];
        if (!key) continue;
        a.leave(key);
        held.delete(key);
        what = `leave ${key}`;
      } else {
        pools = r() < 0.5 ? POOLS.slice(0, 1) : POOLS;
        a.setPools(validatePools(pools).pools);
        what = `pools ${pools.map((p) => p.metadata.name).join(',')}`;
      }
      expect({ step, what, violations: a.invariantViolations() }).toEqual({ step, what, violations: [] });
      // Tenancy: no address is shared across namespaces unless both sides named each other.
      for (const use of a.addressUses()) {
        const nss = new Set(use.services.map((k) => k.split('/')[0]));
        if (nss.size < 2) continue;
        for (const k of use.services) {
          const ann = held.get(k)?.metadata.annotations?.['herald.dev/allow-shared-ip-namespaces'] ?? '';
          for (const other of nss) if (other !== k.split('/')[0]) expect({ step, k, other, ann }).toMatchObject({ ann: other });
        }
      }
    }
  });

  it('an address left by the last user of a sharing key drops that key from the index', () => {
    const a = new Allocator();
    a.setPools(validatePools(POOLS).pools);
    const svc = (name: string, key: string, port: number): ServiceObject => ({
      metadata: { namespace: 'ns0', name, annotations: { 'herald.dev/allow-shared-ip': key } },
      spec: { type: 'LoadBalancer', ports: [{ port }] },
    });
    const req = (s: ServiceObject) => {
      const p = readAllocationRequest(s, {});
      if (!p.ok) throw new Error(p.error.detail);
      return p.value.request;
    };
    a.assign(req(svc('one', 'k', 80)));
    a.assign(req(svc('one', 'other', 80)));
    expect(a.invariantViolations()).toEqual([]);
    a.leave('ns0/one');
    expect(a.invariantViolations()).toEqual([]);
  });
});

/** Applies a plan the way the API server would, so the next step starts from what the writes left. */
function applyPlan(existing: Map<string, LBAddress>, plan: LBAddressPlan): void {
  for (const c of [...plan.create, ...plan.update]) existing.set(c.name, { metadata: { name: c.name }, spec: c.spec });
  for (const d of plan.delete) existing.delete(d);
}

const normalised = (plan: LBAddressPlan) => ({
  create: plan.create.map((c) => JSON.stringify(c)).sort(),
  update: plan.update.map((c) => JSON.stringify(c)).sort(),
  delete: [...plan.delete].sort(),
});

describe('LBAddressSync stories: planning what changed equals planning everything', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((seed) => [seed]))('seed %i: 300 random steps, objects and pool counts', (seed) => {
    const r = prng(seed * 104_729);
    const a = new Allocator();
    const sync = new LBAddressSync(a);
    const existing = new Map<string, LBAddress>();
    let pools = POOLS;
    a.setPools(validatePools(pools).pools);
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const held = new Set<string>();
    for (let step = 0; step < 300; step++) {
      const roll = r();
      let what: string;
      if (roll < 0.6) {
        const svc = randomService(r, names[Math.floor(r() * names.length)] as string, NAMESPACES[Math.floor(r() * NAMESPACES.length)] as string);
        const parsed = readAllocationRequest(svc, {});
        const req = parsed.ok ? parsed.value.request : parsed.error.keep;
        a.assign(req);
        held.add(req.key);
        what = `assign ${req.key}`;
      } else if (roll < 0.85) {
        const key = [...held][Math.floor(r() * held.size)];
        if (!key) continue;
        a.leave(key);
        held.delete(key);
        what = `leave ${key}`;
      } else if (roll < 0.95) {
        // Someone else deletes an object, edits one, or leaves a stray one: the watch event touches it.
        const victim = [...existing.keys()][Math.floor(r() * existing.size)];
        const kind = r();
        let touched = `stray-${step}`;
        if (kind < 0.4 && victim) existing.delete((touched = victim));
        else if (kind < 0.7 && victim) existing.set((touched = victim), { metadata: { name: victim }, spec: { address: victim, pool: 'edited', services: [] } });
        else existing.set(touched, { metadata: { name: touched }, spec: { address: '192.0.2.1', pool: 'a', services: [] } });
        sync.touch(touched);
        what = `outside change to ${touched}`;
      } else {
        pools = r() < 0.5 ? POOLS.slice(0, 1) : r() < 0.5 ? [] : POOLS;
        a.setPools(validatePools(pools).pools);
        // The controller compares everything after a pool edit; the allocator lists the moved addresses anyway.
        if (r() < 0.5) sync.compareAll();
        what = `pools ${pools.map((p) => p.metadata.name).join(',')}`;
      }
      const full = planLBAddresses(a.addressUses(), existing);
      const incremental = sync.plan(existing);
      expect({ step, what, plan: normalised(incremental) }).toEqual({ step, what, plan: normalised(full) });
      applyPlan(existing, incremental);
      expect({ step, what, after: normalised(planLBAddresses(a.addressUses(), existing)) }).toEqual({ step, what, after: { create: [], update: [], delete: [] } });
      for (const p of POOLS) expect({ step, what, pool: p.metadata.name, usage: a.usage(p.metadata.name) }).toEqual({ step, what, pool: p.metadata.name, usage: a.usageRecount(p.metadata.name) });
      expect({ step, what, assigned: a.assignedServices() }).toEqual({ step, what, assigned: [...held].filter((k) => a.assignmentOf(k).length > 0).length });
    }
  });
});

describe('LBAddressSync work: one changed Service costs the same at any number of addresses', () => {
  const pool = [{ metadata: { name: 'big', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { addresses: ['2001:db8:b0::/112'] } }];
  const service = (name: string, annotations: Record<string, string> = {}): ServiceObject => ({
    metadata: { namespace: 'ns0', name, annotations },
    spec: { type: 'LoadBalancer', ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80 }] },
  });
  const request = (s: ServiceObject) => {
    const p = readAllocationRequest(s, {});
    if (!p.ok) throw new Error(p.error.detail);
    return p.value.request;
  };

  /** Address uses visited (by planning and pool counting) for one change after `n` Services are in step. */
  function workOfOneChange(n: number, change: (a: Allocator) => void): { visited: number; looked: number; writes: number } {
    const a = new Allocator();
    a.setPools(validatePools(pool).pools);
    const sync = new LBAddressSync(a);
    const existing = new Map<string, LBAddress>();
    for (let i = 0; i < n; i++) a.assign(request(service(`s${i}`, i % 10 === 0 ? { 'herald.dev/allow-shared-ip': 'k' } : {})));
    applyPlan(existing, sync.plan(existing));
    const before = a.work.usesVisited;
    change(a);
    const plan = sync.plan(existing);
    a.usage('big');
    return { visited: a.work.usesVisited - before, looked: plan.looked, writes: plan.create.length + plan.update.length + plan.delete.length };
  }

  it.each([
    ['a new Service', (a: Allocator) => void a.assign(request(service('new')))],
    ['a Service leaving', (a: Allocator) => void a.leave('ns0/s5')],
    ['a Service joining a shared address', (a: Allocator) => void a.assign(request({ ...service('joiner', { 'herald.dev/allow-shared-ip': 'k' }), spec: { ...service('x').spec, ports: [{ port: 81 }] } }))],
    ['a Service re-planned with nothing new', (a: Allocator) => void a.assign(request(service('s7')))],
  ])('%s', (_name, change) => {
    const small = workOfOneChange(20, change);
    const large = workOfOneChange(2_000, change);
    expect(large).toEqual(small);
    expect(large.visited).toBeLessThanOrEqual(2);
    expect(large.looked).toBeLessThanOrEqual(2);
  });
});
