import { describe, expect, it } from 'vitest';
import { validatePools } from '../pool/validatePools.js';
import { readAllocationRequest } from './allocationRequest.js';
import { Allocator } from './allocator.js';
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
