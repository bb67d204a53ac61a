// The controller's planning cost per changed Service, with N Services assigned, without a cluster: what
// one batch with one new Service costs the leader's loop (planService, then the LBAddress plan, pool counts
// and the assigned count), planned the old way (every address: planLBAddresses over all uses, a recount per
// pool, a count over all Services) and the new way (LBAddressSync: what changed; kept counts).
// And the cache: heap held by N Services as the apiserver returns them (with managedFields written by
// server-side apply and kubectl's last-applied annotation) against the projection the controller keeps.
// Run: node --import tsx bench/controller/planning.ts [--services 10000] [--changes 50]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import {
  Allocator, LBAddressSync, planLBAddresses, planService, validatePools,
  type LBAddress, type ServiceObject, type ServiceView, type ServiceWorld,
} from '@herald/core';
import { projectService } from '../../packages/controller/src/kube/cacheProjections.js';
import { mib, round } from './stats.js';
import { progress, writeReport } from './report.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const log = progress('planning');
const { values: args } = parseArgs({ options: { services: { type: 'string', default: '10000' }, changes: { type: 'string', default: '50' } } });
const SERVICES = Number(args.services);
const CHANGES = Number(args.changes);

const POOLS = [{ metadata: { name: 'bench-v6', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { addresses: ['2001:db8:b0::/112'] } }];

function service(i: number): ServiceObject {
  return {
    metadata: { namespace: `ns-${i % 50}`, name: `svc-${i}` },
    spec: { type: 'LoadBalancer', ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', selector: { app: `a${i}` }, ports: [{ port: 80, protocol: 'TCP' }] },
  };
}

/** The LBAddress objects as the apiserver would hold them once the controller's writes are done. */
function objectsOf(a: Allocator): Map<string, LBAddress> {
  const out = new Map<string, LBAddress>();
  for (const c of planLBAddresses(a.addressUses(), new Map()).create) out.set(c.name, { metadata: { name: c.name }, spec: c.spec });
  return out;
}

function world(a: Allocator): ServiceWorld {
  return { allocator: a, lbClass: undefined, namespaceLabels: {}, hasAdvertisement: () => true, lbAddressOf: () => undefined };
}

type Way = 'everyAddress' | 'whatChanged';

/** Plans CHANGES new Services one batch each after SERVICES are assigned; per-change time and uses visited. */
function measure(way: Way): { perChangeMs: number; usesVisitedPerChange: number; firstPassMs: number } {
  const a = new Allocator();
  a.setPools(validatePools(POOLS).pools);
  const sync = new LBAddressSync(a);
  const w = world(a);
  const t0 = performance.now();
  for (let i = 0; i < SERVICES; i++) planService(w, `ns-${i % 50}/svc-${i}`, service(i) as ServiceView);
  const firstPassMs = performance.now() - t0;
  const existing = objectsOf(a);
  sync.plan(existing); // the first pass compares everything, in both ways
  const visitedBefore = a.work.usesVisited;
  const start = performance.now();
  for (let k = 0; k < CHANGES; k++) {
    const i = SERVICES + k;
    planService(w, `ns-${i % 50}/svc-${i}`, service(i) as ServiceView);
    if (way === 'everyAddress') {
      const plan = planLBAddresses(a.addressUses(), existing);
      for (const c of plan.create) existing.set(c.name, { metadata: { name: c.name }, spec: c.spec });
      a.usageRecount('bench-v6');
      let assigned = 0;
      for (let j = 0; j <= i; j++) if (a.assignmentOf(`ns-${j % 50}/svc-${j}`).length) assigned++;
      if (assigned !== i + 1) throw new Error('count');
    } else {
      const plan = sync.plan(existing);
      for (const c of plan.create) existing.set(c.name, { metadata: { name: c.name }, spec: c.spec });
      a.usage('bench-v6');
      if (a.assignedServices() !== i + 1) throw new Error('count');
    }
  }
  const ms = performance.now() - start;
  return { perChangeMs: round(ms / CHANGES, 3), usesVisitedPerChange: round((a.work.usesVisited - visitedBefore) / CHANGES, 1), firstPassMs: round(firstPassMs) };
}

/** A Service as the apiserver returns it after kubectl apply and herald's status apply. */
function wireService(i: number): object {
  const name = `svc-${i}`;
  const spec = { type: 'LoadBalancer', loadBalancerClass: 'herald.dev/bench', ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', selector: { app: name }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], clusterIP: `2001:db8:96::${i.toString(16)}`, clusterIPs: [`2001:db8:96::${i.toString(16)}`], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: false };
  const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'bench' }, spec: { type: spec.type, selector: spec.selector, ports: spec.ports } });
  const time = '2026-12-06T14:00:00Z';
  return {
    metadata: {
      name, namespace: 'bench', uid: `0000-${i}`, resourceVersion: String(1000 + i), creationTimestamp: time,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
      managedFields: [
        { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:spec': { 'f:allocateLoadBalancerNodePorts': {}, 'f:externalTrafficPolicy': {}, 'f:internalTrafficPolicy': {}, 'f:ipFamilies': {}, 'f:ipFamilyPolicy': {}, 'f:loadBalancerClass': {}, 'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} } }, 'f:selector': {}, 'f:sessionAffinity': {}, 'f:type': {} } } },
        { manager: 'herald-controller', operation: 'Apply', apiVersion: 'v1', time, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"herald.dev/AddressAssigned"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} }, 'k:{"type":"herald.dev/Announced"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} } }, 'f:loadBalancer': { 'f:ingress': {} } } } },
      ],
    },
    spec,
    status: {
      loadBalancer: { ingress: [{ ip: `2001:db8:b0::${i.toString(16)}`, ipMode: 'VIP' }] },
      conditions: [
        { type: 'herald.dev/AddressAssigned', status: 'True', reason: 'Assigned', message: `2001:db8:b0::${i.toString(16)} from pool "bench-v6"`, lastTransitionTime: time },
        { type: 'herald.dev/Announced', status: 'Unknown', reason: 'AwaitingSpeaker', message: `no speaker has announced 2001:db8:b0::${i.toString(16)} yet`, lastTransitionTime: time },
      ],
    },
  };
}

/** The projection before the caches kept only what the controller reads: the object less managedFields and kubectl's last-applied copy. */
function withoutBookkeeping(obj: { metadata: { managedFields?: unknown; annotations?: Record<string, string> } }): object {
  const { managedFields: _m, annotations = {}, ...metadata } = obj.metadata;
  const { 'kubectl.kubernetes.io/last-applied-configuration': _l, ...rest } = annotations;
  return { ...obj, metadata: { ...metadata, annotations: rest } };
}

/** Heap held by a Map of N Services parsed from wire JSON, kept as is or projected. */
function cacheHeap(project: false | ((o: never) => object)): { heapMiB: number; jsonBytesPerService: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new Map<string, object>();
  let bytes = 0;
  for (let i = 0; i < SERVICES; i++) {
    const text = JSON.stringify(wireService(i));
    bytes += text.length;
    const obj = JSON.parse(text) as { metadata: { name: string } };
    store.set(obj.metadata.name, project ? project(obj as never) : obj);
  }
  gc();
  const heap = process.memoryUsage().heapUsed - before;
  if (store.size !== SERVICES) throw new Error('store');
  return { heapMiB: mib(heap), jsonBytesPerService: Math.round(bytes / SERVICES) };
}

log(`planning ${CHANGES} single-Service changes with ${SERVICES} Services assigned`);
const everyAddress = measure('everyAddress');
const whatChanged = measure('whatChanged');
const full = cacheHeap(false);
const previous = cacheHeap(withoutBookkeeping);
const projected = cacheHeap(projectService);
writeReport('planning', {
  benchmark: 'planning',
  node: process.version,
  services: SERVICES,
  changes: CHANGES,
  perChangedService: {
    what: 'planService for one new Service, then the LBAddress plan, the pool count and the assigned count (one batch)',
    everyAddress: { ...everyAddress, how: 'main before this change: planLBAddresses over every address, a recount per pool, a count over every Service' },
    whatChanged: { ...whatChanged, how: 'LBAddressSync (addresses whose users changed), kept pool and assigned counts' },
  },
  serviceCache: {
    services: SERVICES,
    fullObjects: full,
    withoutManagedFieldsAndLastApplied: previous,
    projected: { ...projected, how: 'projectService: the fields the controller reads, repeated values kept once' },
    savedMiB: round(full.heapMiB - projected.heapMiB),
    savedAgainstPreviousMiB: round(previous.heapMiB - projected.heapMiB),
  },
});
