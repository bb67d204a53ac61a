// Pure allocator benchmark (no cluster): 100,000 Services over mixed IPv4/IPv6 pools, including a /64.
// Figures: first-pass allocation rate, re-claim rate after a "restart" (fresh Allocator fed the Services'
// status addresses; must change nothing), release+reallocate churn rate, and memory.
// Run: node --import tsx bench/controller/allocator.ts [--services N] [--reps N]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import {
  Allocator, formatAddress, readAllocationRequest, SeededRandom, validatePools,
  type AllocationRequest, type AssignOutcome, type IPAddressPool, type ServiceObject,
} from '@herald/core';
import { mib, round, spread } from './stats.js';
import { progress, writeReport } from './report.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const log = progress('allocator');

const { values: args } = parseArgs({
  options: { services: { type: 'string', default: '100000' }, reps: { type: 'string', default: '5' }, churn: { type: 'string', default: '20000' } },
});
const SERVICES = Number(args.services);
const REPS = Math.max(3, Number(args.reps));
const CHURN = Number(args.churn);

// ---- the world ---------------------------------------------------------------------------------

/** Documentation ranges only: IPv4 has ~762 addresses in all, so most Services live on IPv6 pools. */
const POOLS: { name: string; spec: IPAddressPool['spec'] }[] = [
  { name: 'v4-a', spec: { addresses: ['192.0.2.0/24'], avoidBuggyIPs: true } },
  { name: 'v4-b', spec: { addresses: ['198.51.100.0/24'] } },
  // Dual-stack Services only (serviceSelector), so single-stack IPv4 cannot drain its IPv4 half.
  { name: 'dual', spec: { addresses: ['203.0.113.0/24', '2001:db8:d0::/112'], serviceAllocation: { priority: 3, serviceSelectors: [{ matchLabels: { 'bench.herald.dev/stack': 'dual' } }] } } },
  { name: 'v6-team', spec: { addresses: ['2001:db8:7e::/112'], serviceAllocation: { priority: 1, namespaces: ['team-a', 'team-b'] } } },
  { name: 'v6-gold', spec: { addresses: ['2001:db8:7f::/112'], serviceAllocation: { priority: 2, namespaceSelectors: [{ matchLabels: { tier: 'gold' } }] } } },
  { name: 'v6-a', spec: { addresses: ['2001:db8:1::/112'] } },
  { name: 'v6-b', spec: { addresses: ['2001:db8:2::1-2001:db8:2::ff'] } },
  { name: 'v6-wide', spec: { addresses: ['2001:db8:64::/64'] } },
];

type Kind = 'v4Single' | 'v4Shared' | 'dualRequire' | 'dualPrefer' | 'v6Team' | 'v6Gold' | 'v6Shared' | 'v6Single';

/** How many Services of each kind, scaled to the total; v6Single takes the rest. */
function mix(total: number): Record<Kind, number> {
  const scale = total / 100_000;
  const fixed = { v4Single: 300, v4Shared: 200, dualRequire: 100, dualPrefer: 100 };
  const scaled = { v6Team: Math.round(10_000 * scale), v6Gold: Math.round(5_000 * scale), v6Shared: Math.round(4_000 * scale) };
  const used = Object.values(fixed).reduce((a, b) => a + b, 0) + Object.values(scaled).reduce((a, b) => a + b, 0);
  return { ...fixed, ...scaled, v6Single: total - used };
}

/** Deterministic PRNG (mulberry32), so every run uses the same mix and order. */
function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

interface World {
  services: ServiceObject[];
  nsLabels: Map<string, Record<string, string>>;
  kinds: Record<Kind, number>;
}

function makeWorld(total: number): World {
  const kinds = mix(total);
  const order: Kind[] = [];
  for (const [k, n] of Object.entries(kinds) as [Kind, number][]) for (let i = 0; i < n; i++) order.push(k);
  const rand = prng(0x4e7a1d);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as Kind, order[i] as Kind];
  }
  const nsLabels = new Map<string, Record<string, string>>();
  const seen: Partial<Record<Kind, number>> = {};
  const services = order.map((kind, i): ServiceObject => {
    const n = (seen[kind] = (seen[kind] ?? -1) + 1);
    let namespace = `ns-${i % 200}`;
    let families = ['IPv6'];
    let policy = 'SingleStack';
    let labels: Record<string, string> = { app: `svc-${i}` };
    let annotations: Record<string, string> | undefined;
    let port = 80;
    switch (kind) {
      case 'v4Single': families = ['IPv4']; break;
      case 'v4Shared': families = ['IPv4']; annotations = { 'herald.dev/allow-shared-ip': `v4-key-${n >> 2}` }; port = 80 + (n & 3); break;
      case 'dualRequire': families = ['IPv4', 'IPv6']; policy = 'RequireDualStack'; labels = { ...labels, 'bench.herald.dev/stack': 'dual' }; break;
      case 'dualPrefer': families = ['IPv6', 'IPv4']; policy = 'PreferDualStack'; labels = { ...labels, 'bench.herald.dev/stack': 'dual' }; break;
      case 'v6Team': namespace = n % 2 ? 'team-b' : 'team-a'; break;
      case 'v6Gold': namespace = `gold-${n % 5}`; nsLabels.set(namespace, { tier: 'gold' }); break;
      case 'v6Shared': annotations = { 'herald.dev/allow-shared-ip': `v6-key-${n >> 2}` }; port = 80 + (n & 3); break;
      case 'v6Single': break;
    }
    return {
      metadata: { namespace, name: `svc-${i}`, labels, ...(annotations ? { annotations } : {}) },
      spec: { type: 'LoadBalancer', ipFamilies: families, ipFamilyPolicy: policy, externalTrafficPolicy: 'Cluster', selector: { app: `svc-${i}` }, ports: [{ protocol: 'TCP', port }] },
    };
  });
  return { services, nsLabels, kinds };
}

const poolObjects = (): IPAddressPool[] =>
  POOLS.map((p, i) => ({ metadata: { name: p.name, creationTimestamp: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` }, spec: p.spec }));

function freshAllocator(): Allocator {
  const a = new Allocator();
  const { pools, verdicts } = validatePools(poolObjects());
  const invalid = [...verdicts.values()].filter((v) => !v.valid);
  if (invalid.length) throw new Error(`bench pools are invalid: ${invalid.map((v) => `${v.pool}: ${v.message}`).join('; ')}`);
  a.setPools(pools);
  return a;
}

function readAll(services: readonly ServiceObject[], nsLabels: Map<string, Record<string, string>>): AllocationRequest[] {
  return services.map((s) => {
    const r = readAllocationRequest(s, nsLabels.get(s.metadata.namespace) ?? {});
    if (!r.ok) throw new Error(`${s.metadata.namespace}/${s.metadata.name}: ${r.error.detail}`);
    return r.value.request;
  });
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

// ---- one repetition --------------------------------------------------------------------------

interface RepResult {
  readPerSecond: number;
  allocatePerSecond: number;
  reclaimPerSecond: number;
  churnCyclesPerSecond: number;
  failures: Record<string, number>;
  reclaimChanged: number;
  reclaimFailures: number;
  churnFailures: number;
  duplicateAddresses: number;
  addressesInUse: number;
  byPool: Record<string, number>;
  allocator: Allocator;
}

/** Addresses held by more than one Service whose sharing keys differ (or are absent): must be 0. */
function duplicates(requests: readonly AllocationRequest[], addressesOf: (key: string) => string[]): { duplicates: number; inUse: number } {
  const holders = new Map<string, Set<string>>();
  for (const r of requests) {
    for (const a of addressesOf(r.key)) {
      let set = holders.get(a);
      if (!set) holders.set(a, (set = new Set()));
      set.add(r.sharingKey ?? `unshared:${r.key}`);
    }
  }
  let dup = 0;
  for (const set of holders.values()) if (set.size > 1) dup++;
  return { duplicates: dup, inUse: holders.size };
}

function rep(world: World, churn: number, seed: number): RepResult {
  // 1. First pass: every Service is new (no status yet).
  let t = process.hrtime.bigint();
  const requests = readAll(world.services, world.nsLabels);
  const readPerSecond = requests.length / seconds(t);

  const first = freshAllocator();
  const outcomes: AssignOutcome[] = new Array(requests.length);
  t = process.hrtime.bigint();
  for (let i = 0; i < requests.length; i++) outcomes[i] = first.assign(requests[i] as AllocationRequest);
  const allocatePerSecond = requests.length / seconds(t);
  const failures: Record<string, number> = {};
  const byPool: Record<string, number> = {};
  for (const o of outcomes) {
    if (!o.ok) failures[o.reason] = (failures[o.reason] ?? 0) + 1;
    else byPool[o.pool] = (byPool[o.pool] ?? 0) + 1;
  }
  const assignedText = new Map<string, string[]>();
  requests.forEach((r, i) => assignedText.set(r.key, (outcomes[i] as AssignOutcome).addresses.map(formatAddress)));

  // 2. Re-claim after a restart: status is the truth; assigned Services first, in the controller's key order.
  const withStatus = world.services.map((s) => ({ ...s, status: { loadBalancer: { ingress: (assignedText.get(`${s.metadata.namespace}/${s.metadata.name}`) ?? []).map((ip) => ({ ip })) } } }));
  const reclaimRequests = readAll(withStatus, world.nsLabels).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const restarted = freshAllocator();
  let reclaimFailures = 0;
  t = process.hrtime.bigint();
  for (const r of reclaimRequests) if (!restarted.assign(r).ok) reclaimFailures++;
  const reclaimPerSecond = reclaimRequests.length / seconds(t);
  let reclaimChanged = 0;
  for (const r of reclaimRequests) {
    const before = assignedText.get(r.key) ?? [];
    const after = restarted.assignmentOf(r.key).map(formatAddress);
    if (before.length !== after.length || before.some((a, i) => a !== after[i])) reclaimChanged++;
  }
  const dup = duplicates(reclaimRequests, (k) => restarted.assignmentOf(k).map(formatAddress));

  // 3. Churn on the restarted allocator: release one Service and allocate it again from scratch.
  const rand = prng(seed);
  const picks = Array.from({ length: churn }, () => requests[Math.floor(rand() * requests.length)] as AllocationRequest);
  let churnFailures = 0;
  t = process.hrtime.bigint();
  for (const r of picks) {
    restarted.release(r.key);
    if (!restarted.assign(r).ok) churnFailures++;
  }
  const churnCyclesPerSecond = churn / seconds(t);

  return {
    readPerSecond, allocatePerSecond, reclaimPerSecond, churnCyclesPerSecond, failures, reclaimChanged, reclaimFailures, churnFailures,
    duplicateAddresses: dup.duplicates, addressesInUse: dup.inUse, byPool, allocator: restarted,
  };
}

// ---- main ---------------------------------------------------------------------------------------

const wallStart = Date.now();
gc();
const baselineHeap = process.memoryUsage().heapUsed;
log(`building ${SERVICES} Services`);
const world = makeWorld(SERVICES);
log(`mix: ${JSON.stringify(world.kinds)}`);

log('warm-up (20,000 Services, discarded)');
rep(makeWorld(20_000), 5_000, 1);

const results: RepResult[] = [];
for (let i = 0; i < REPS; i++) {
  gc();
  const r = rep(world, CHURN, 100 + i);
  results.push(r);
  log(`rep ${i + 1}/${REPS}: allocate ${Math.round(r.allocatePerSecond)}/s, re-claim ${Math.round(r.reclaimPerSecond)}/s (changed ${r.reclaimChanged}), churn ${Math.round(r.churnCyclesPerSecond)}/s`);
}

/** Heap after a full collection, taken from a fresh macrotask so no stack slot still holds what was dropped. */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  await new Promise((r) => setTimeout(r, 10));
  gc();
  gc();
  return process.memoryUsage();
}

// Memory with the last allocator (100k Services, after churn) alive, then without it.
const last = results[results.length - 1] as RepResult;
for (const r of results) if (r !== last) r.allocator = undefined as unknown as Allocator;
const withAllocator = await settledMemory();
// Read from the allocator after measuring, so it is certainly alive during the first measurement.
const wideInUse = Number(last.allocator.usage('v6-wide')?.v6.inUse ?? 0n);
const dropped = new WeakRef(last.allocator);
last.allocator = undefined as unknown as Allocator;
const withoutAllocator = await settledMemory();
if (dropped.deref()) log('warning: the allocator was not collected; allocatorRetainedMiB is not meaningful');

const rates = (f: (r: RepResult) => number) => spread(results.map(f), 0);
const figures = {
  benchmark: 'allocator',
  node: process.version,
  services: SERVICES,
  mix: world.kinds,
  pools: POOLS.map((p) => ({ name: p.name, addresses: p.spec.addresses, ...(p.spec.serviceAllocation ? { serviceAllocation: p.spec.serviceAllocation } : {}), ...(p.spec.avoidBuggyIPs ? { avoidBuggyIPs: true } : {}) })),
  repetitions: REPS,
  warmup: { services: 20_000, churnCycles: 5_000 },
  readAllocationRequestPerSecond: rates((r) => r.readPerSecond),
  allocationsPerSecond: rates((r) => r.allocatePerSecond),
  reclaimPerSecond: rates((r) => r.reclaimPerSecond),
  churnCyclesPerSecond: { ...rates((r) => r.churnCyclesPerSecond), cyclesPerRep: CHURN, cycle: 'release(key) + assign(fresh request) of a random Service' },
  firstPass: { failures: last.failures, byPool: last.byPool },
  reclaim: {
    changedAddresses: Math.max(...results.map((r) => r.reclaimChanged)),
    failures: Math.max(...results.map((r) => r.reclaimFailures)),
    duplicateAddresses: Math.max(...results.map((r) => r.duplicateAddresses)),
    addressesInUse: last.addressesInUse,
    inUseOnTheSlash64: wideInUse,
  },
  churnFailures: Math.max(...results.map((r) => r.churnFailures)),
  memory: {
    heapUsedAfterMiB: mib(withAllocator.heapUsed),
    rssAfterMiB: mib(withAllocator.rss),
    allocatorRetainedMiB: mib(withAllocator.heapUsed - withoutAllocator.heapUsed),
    allocatorBytesPerService: round((withAllocator.heapUsed - withoutAllocator.heapUsed) / SERVICES, 0),
    serviceObjectsHeapMiB: mib(withoutAllocator.heapUsed - baselineHeap),
    maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  },
  wallSeconds: round((Date.now() - wallStart) / 1000, 1),
};
writeReport('allocator', figures);
