// Scale benchmark on a real control plane (issue 11 goal 6): seed 10,000 LoadBalancer Services with no
// controller running (setup: the API server's CPU goes to the creates alone), start the controller and time
// it assigning them all (cold start), then
//   1. restart: SIGKILL the controller, start it again under the same identity, time spawn → /readyz 200,
//      and count its writes (herald_k8s_writes_total, every kind) and changed addresses;
//   2. burst: create 1,000 more Services and time each one's create call returning → a watch seeing its
//      status.loadBalancer.ingress, with the CPU each process used meanwhile (who is the bottleneck);
//   3. memory: controller RSS steady (after seeding, after restart, after the burst) and peak (VmHWM).
// Run: node --import tsx bench/controller/scale.ts [--services 10000] [--burst 1000] [--concurrency 64]
//        [--compare main=/path/to/other/packages/controller/dist/main.js]   (restart + burst on that build first)
//        [--controller-node-options=--max-old-space-size=160]   (node flags for every controller started; "=" because the value starts with a dash)
// HERALD_CPU_PROF_DIR=<dir> profiles the restarted controller (written on SIGUSR2 before it stops).
// HERALD_HEAP_SNAPSHOT_DIR=<dir> writes a heap snapshot of the restarted controller after the burst (node's
// --heapsnapshot-signal); count it by constructor with bench/controller/heapByConstructor.ts.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { metricValue, type ControllerProcess } from '../../test/controller/controllerProcess.js';
import { waitFor } from '../../test/processes.js';
import {
  IDENTITY, IngressWatch, counterByLabels, cpuDelta, cpuSeconds, createServices, duplicateAddresses, histogramSummary, processFigures, snapshot, startBenchWorld, stopOnSignals, waitReady,
  type BenchWorld,
} from './benchCluster.js';
import { progress, writeReport } from './report.js';
import { percentile, round } from './stats.js';

const log = progress('scale');
const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    burst: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
    'burst-concurrency': { type: 'string', default: '32' },
    /** Stop seeding after this long and measure with the Services created so far (a starved machine). */
    'seed-seconds': { type: 'string', default: '0' },
    /** Node flags for every controller started here (added to NODE_OPTIONS), e.g. --max-old-space-size=160. */
    'controller-node-options': { type: 'string', default: '' },
    /** label=path/to/packages/controller/dist/main.js of another build, measured before this tree's. */
    compare: { type: 'string', multiple: true, default: [] },
  },
});
interface Build {
  readonly label: string;
  readonly main?: string;
}
const BUILDS: Build[] = [
  ...(args.compare ?? []).map((c) => {
    const [label, main] = c.split('=') as [string, string];
    return { label, main };
  }),
  { label: 'tree' },
];
const WANTED = Number(args.services);
const SEED_SECONDS = Number(args['seed-seconds']);
const BURST = Number(args.burst);
const CONCURRENCY = Number(args.concurrency);
const BURST_CONCURRENCY = Number(args['burst-concurrency']);
const SEED_NAMESPACE = 'bench-scale';
const BURST_NAMESPACE = 'bench-burst';

const writesOf = async (c: ControllerProcess) => counterByLabels(await c.metrics(), 'herald_k8s_writes_total');
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Waits until `expected` Services are assigned and the controller made no write for two seconds. */
async function quiescent(c: ControllerProcess, expected: number, timeoutMs: number): Promise<void> {
  await waitFor(`${expected} Services assigned`, async () => metricValue(await c.metrics(), 'herald_services_assigned') === expected, { timeoutMs, intervalMs: 500 });
  let last = -1;
  let still = 0;
  await waitFor('the controller to stop writing', async () => {
    const now = sum(await writesOf(c));
    still = now === last ? still + 1 : 0;
    last = now;
    return still >= 2;
  }, { timeoutMs, intervalMs: 1_000 });
}

/** Samples the controller's RSS every 250 ms until stopped; VmHWM gives the peak anyway, this gives the curve's max per phase. */
function rssSampler(pid: number) {
  let max = 0;
  const t = setInterval(() => (max = Math.max(max, processFigures(pid)?.rssMiB ?? 0)), 250);
  return { stop: () => (clearInterval(t), max) };
}

const profDir = process.env.HERALD_CPU_PROF_DIR;
const heapDir = process.env.HERALD_HEAP_SNAPSHOT_DIR;
const HEAP_SIGNAL = 'SIGPWR';
async function startProfiled(world: BenchWorld, build: Build, o: { profile?: boolean } = {}): Promise<ControllerProcess> {
  const before = process.env.NODE_OPTIONS;
  const extra = [
    ...(args['controller-node-options'] ? [args['controller-node-options']] : []),
    ...(o.profile === false ? [] : profileFlags()),
  ];
  if (extra.length) process.env.NODE_OPTIONS = [before ?? '', ...extra].join(' ').trim();
  try {
    return await world.startController(build.main ? { main: build.main } : {});
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
}

function profileFlags(): string[] {
  return [
    ...(profDir ? [`--import=${new URL('./cpuProfilePreload.mjs', import.meta.url).pathname}`] : []),
    ...(heapDir ? [`--heapsnapshot-signal=${HEAP_SIGNAL}`, `--diagnostic-dir=${heapDir}`] : []),
  ];
}

/** Signals the controller to write a heap snapshot into heapDir and waits until the file stops growing. */
async function heapSnapshot(c: ControllerProcess, dir: string): Promise<string | undefined> {
  const mine = () => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && f.includes(`.${c.proc.pid}.`));
  const had = new Set(mine());
  c.proc.child.kill(HEAP_SIGNAL);
  let size = -1;
  for (let i = 0; i < 240; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const file = mine().find((f) => !had.has(f));
    if (!file) continue;
    const now = statSync(join(dir, file)).size;
    if (now > 0 && now === size) return join(dir, file);
    size = now;
  }
  log(`no heap snapshot of ${c.proc.pid} appeared in ${dir}`);
  return undefined;
}

const wallStart = Date.now();
const world = await startBenchWorld({ name: 'scale', log, namespaces: [SEED_NAMESPACE] });
const removeSignalHandlers = stopOnSignals(world.stop);
try {
  // ---- seeding -------------------------------------------------------------------------------
  // Seeding is setup, not what is measured: the Services are created with no controller running (so the
  // API server spends its CPU on the creates alone, not also on three controller writes per Service), then
  // the controller starts and assigns them all at once (reported as coldStart).
  log(`seeding ${WANTED} Services with no controller running (client concurrency ${CONCURRENCY})`);
  const names = Array.from({ length: WANTED }, (_, i) => `svc-${String(i).padStart(5, '0')}`);
  const createdNames: string[] = [];
  const seedDeadline = SEED_SECONDS > 0 ? Date.now() + SEED_SECONDS * 1000 : Infinity;
  const cpuSeedBefore = cpuSeconds(world, process.pid);
  const seedStart = performance.now();
  let created = 0;
  const sampler = setInterval(() => log(`seeding: created ${created}/${WANTED} (${round(created / ((performance.now() - seedStart) / 1000))}/s)`), 10_000);
  await createServices({ core: world.core, namespace: SEED_NAMESPACE, names, concurrency: CONCURRENCY, nodePorts: false, stopWhen: () => Date.now() > seedDeadline, onCreated: (n) => (created++, createdNames.push(n)) });
  clearInterval(sampler);
  const seedCreatedMs = performance.now() - seedStart;
  const SERVICES = createdNames.length;
  if (SERVICES < WANTED) log(`seeding stopped at the deadline: ${SERVICES} of ${WANTED} Services`);
  const cpuSeed = cpuDelta(cpuSeedBefore, cpuSeconds(world, process.pid));
  delete cpuSeed.controller;

  log(`cold start: the controller assigns ${SERVICES} pending Services`);
  const seedWatch = new IngressWatch(world.kc, SEED_NAMESPACE);
  await seedWatch.start();
  const coldStart = performance.now();
  let controller = await startProfiled(world, { label: 'tree' }, { profile: false });
  log(`controller pid ${controller.proc.pid}, log ${controller.proc.logFile}`);
  const coldRss = rssSampler(controller.proc.pid);
  const cpuColdBefore = cpuSeconds(world, controller.proc.pid);
  const coldSampler = setInterval(() => log(`cold start: assigned ${seedWatch.seenAt.size}/${SERVICES}, controller ${processFigures(controller.proc.pid)?.rssMiB} MiB`), 10_000);
  await waitReady(controller, 300_000);
  const coldReadyMs = performance.now() - coldStart;
  await seedWatch.waitFor(createdNames, 30 * 60_000);
  const coldAssignedMs = performance.now() - coldStart;
  clearInterval(coldSampler);
  seedWatch.stop();
  await quiescent(controller, SERVICES, 10 * 60_000);
  const coldQuietMs = performance.now() - coldStart;
  const seeding = {
    services: SERVICES,
    wanted: WANTED,
    clientConcurrency: CONCURRENCY,
    createCallsMs: round(seedCreatedMs),
    createCallsPerSecond: round(SERVICES / (seedCreatedMs / 1000)),
    cpuSeconds: cpuSeed,
  };
  const coldStartFigures = {
    note: 'the controller starts with every seeded Service pending: spawn → /readyz, → every Service has status.loadBalancer (seen by a watch), → no write for 2 s',
    readyzMs: round(coldReadyMs),
    allAssignedMs: round(coldAssignedMs),
    controllerQuietMs: round(coldQuietMs),
    cpuSeconds: cpuDelta(cpuColdBefore, cpuSeconds(world, controller.proc.pid)),
    writes: await writesOf(controller),
    controller: { ...processFigures(controller.proc.pid), sampledPeakRssMiB: coldRss.stop() },
  };
  log(`seeded: created ${SERVICES} in ${seeding.createCallsMs} ms; cold start: all assigned after ${coldStartFigures.allAssignedMs} ms, quiet after ${coldStartFigures.controllerQuietMs} ms`);

  const results: Record<string, unknown> = {};
  let total = SERVICES;
  for (const build of BUILDS) {
    const r = await measureBuild(build, total);
    total += BURST;
    results[build.label] = r;
  }
  writeReport('scale', {
    benchmark: 'scale',
    node: process.version,
    identity: `${IDENTITY} (same on every start: the Lease is re-acquired at once)`,
    controllerNodeOptions: args['controller-node-options'] || undefined,
    builds: Object.fromEntries(BUILDS.map((b) => [b.label, b.main ?? 'this tree (packages/controller/dist/main.js)'])),
    note: 'builds are measured one after another on the same cluster: each restart sees the Services of the bursts before it',
    seeding,
    coldStart: coldStartFigures,
    ...results,
    wallSeconds: round((Date.now() - wallStart) / 1000),
  });

  /** Restart onto `build` with `existing` Services assigned, then a burst of new Services, then memory. */
  async function measureBuild(build: Build, existing: number) {
    log(`${build.label}: restart with ${existing} Services`);
    controller.proc.kill('SIGKILL');
    await controller.proc.exited;
    const before = await snapshot(world.core, SEED_NAMESPACE);
    const spawnedAt = Date.now();
    const t0 = performance.now();
    controller = await startProfiled(world, build);
    log(`${build.label}: controller pid ${controller.proc.pid}, log ${controller.proc.logFile}`);
    const restartRss = rssSampler(controller.proc.pid);
    const readyAt = await waitReady(controller, 300_000, 10);
    await waitFor('"initialSyncDone" in the controller log', () => controller.logLines().some((l) => l.event === 'initialSyncDone'), { timeoutMs: 120_000, intervalMs: 20 });
    const writesAtReady = await writesOf(controller);
    const lines = controller.logLines();
    const at = (event: string) => {
      const line = lines.find((l) => l.event === event);
      return line ? round((line.time as number) - spawnedAt) : Number.NaN;
    };
    // Anything the controller still wants to write after ready shows up within a few seconds.
    await new Promise((r) => setTimeout(r, 5_000));
    const after = await snapshot(world.core, SEED_NAMESPACE);
    const changed = [...before].filter(([name, ips]) => JSON.stringify(after.get(name) ?? []) !== JSON.stringify(ips)).length;
    const restart = {
      servicesAssigned: existing,
      readyzMs: round(readyAt - t0),
      phasesMs: { started: at('started'), cachesSynced: at('cachesSynced'), leaderElected: at('leaderElected'), initialSyncDone: at('initialSyncDone') },
      writesUntilReady: writesAtReady,
      writesWithin5sAfterReady: await writesOf(controller),
      changedAddresses: changed,
      duplicateAddresses: duplicateAddresses(after.values()),
      unassigned: [...after.values()].filter((ips) => ips.length === 0).length,
      controller: { ...processFigures(controller.proc.pid), sampledPeakRssMiB: restartRss.stop() },
    };
    log(`${build.label}: /readyz after ${restart.readyzMs} ms, writes ${sum(restart.writesWithin5sAfterReady)}, changed ${changed}`);

    const namespace = `${BURST_NAMESPACE}-${build.label}`;
    await world.core.createNamespace({ body: { metadata: { name: namespace } } });
    const burstWatch = new IngressWatch(world.kc, namespace);
    await burstWatch.start();
    const burstNames = Array.from({ length: BURST }, (_, i) => `burst-${String(i).padStart(4, '0')}`);
    const createdAt = new Map<string, number>();
    const callLatency: number[] = [];
    const writesBefore = await writesOf(controller);
    const cpuBefore = cpuSeconds(world, controller.proc.pid);
    const burstRss = rssSampler(controller.proc.pid);
    const burstStart = performance.now();
    // Create-call latency says how fast the apiserver answers while herald writes status next to it.
    const issuedAt = new Map<string, number>();
    const origCreate = world.core.createNamespacedService.bind(world.core);
    const core = Object.create(world.core) as typeof world.core;
    core.createNamespacedService = (p) => {
      issuedAt.set(p.body.metadata?.name as string, performance.now());
      return origCreate(p);
    };
    await createServices({
      core, namespace, names: burstNames, concurrency: BURST_CONCURRENCY, nodePorts: false,
      onCreated: (name, t) => {
        createdAt.set(name, t);
        callLatency.push(t - (issuedAt.get(name) ?? t));
      },
    });
    const burstCreatedMs = performance.now() - burstStart;
    await burstWatch.waitFor(burstNames, 10 * 60_000);
    const lastSeen = Math.max(...burstNames.map((n) => burstWatch.seenAt.get(n) as number));
    burstWatch.stop();
    const cpuBurst = cpuDelta(cpuBefore, cpuSeconds(world, controller.proc.pid));
    await quiescent(controller, existing + BURST, 5 * 60_000);
    const burstPeakSampled = burstRss.stop();
    const lat = burstNames.map((n) => Math.max(0, (burstWatch.seenAt.get(n) as number) - (createdAt.get(n) as number))).sort((a, b) => a - b);
    const calls = callLatency.sort((a, b) => a - b);
    const metrics = await controller.metrics();
    const writesAfter = await writesOf(controller);
    const burst = {
      services: BURST,
      clientConcurrency: BURST_CONCURRENCY,
      createToStatusMs: { p50: round(percentile(lat, 50)), p90: round(percentile(lat, 90)), p99: round(percentile(lat, 99)), max: round(lat[lat.length - 1] as number) },
      createCallMs: { p50: round(percentile(calls, 50)), p99: round(percentile(calls, 99)), max: round(calls[calls.length - 1] as number) },
      createCallsWallMs: round(burstCreatedMs),
      createCallsPerSecond: round(BURST / (burstCreatedMs / 1000)),
      totalWallMs: round(lastSeen - burstStart),
      cpuSeconds: cpuBurst,
      writes: Object.fromEntries(Object.entries(writesAfter).map(([k, v]) => [k, v - (writesBefore[k] ?? 0)])),
      reconcileDurationSeconds: histogramSummary(metrics, 'herald_reconcile_duration_seconds'),
      eventLoopLagP99Ms: round((metricValue(metrics, 'herald_controller_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000, 2),
      controller: { ...processFigures(controller.proc.pid), sampledPeakRssMiB: burstPeakSampled },
    };
    log(`${build.label}: burst create→status p50 ${burst.createToStatusMs.p50} ms, p99 ${burst.createToStatusMs.p99} ms; create call p99 ${burst.createCallMs.p99} ms`);

    await new Promise((r) => setTimeout(r, 5_000));
    const steady = processFigures(controller.proc.pid);
    const m = await controller.metrics();
    const mib = (name: string) => round((metricValue(m, name) ?? 0) / 1048576);
    const heapUsedMiB = mib('herald_controller_nodejs_heap_size_used_bytes');
    const heapTotalMiB = mib('herald_controller_nodejs_heap_size_total_bytes');
    const externalMiB = mib('herald_controller_nodejs_external_memory_bytes');
    const heapSnapshotFile = heapDir ? await heapSnapshot(controller, heapDir) : undefined;
    if (profDir) {
      controller.proc.child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 3_000));
    }
    return { restart, burst, memory: { steadyRssMiB: steady?.rssMiB, peakRssMiB: steady?.peakRssMiB, heapUsedMiB, heapTotalMiB, externalMiB, services: existing + BURST, ...(heapSnapshotFile ? { heapSnapshotFile } : {}) } };
  }
} finally {
  removeSignalHandlers();
  await world.stop();
}
