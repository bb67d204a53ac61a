// Scale benchmark on a real control plane (issue 11 goal 6): seed 10,000 LoadBalancer Services and let the
// controller assign them, then
//   1. restart: SIGKILL the controller, start it again under the same identity, time spawn → /readyz 200,
//      and count its writes (herald_k8s_writes_total, every kind) and changed addresses;
//   2. burst: create 1,000 more Services and time each one's create call returning → a watch seeing its
//      status.loadBalancer.ingress, with the CPU each process used meanwhile (who is the bottleneck);
//   3. memory: controller RSS steady (after seeding, after restart, after the burst) and peak (VmHWM).
// Run: node --import tsx bench/controller/scale.ts [--services 10000] [--burst 1000] [--concurrency 64]
//        [--compare main=/path/to/other/packages/controller/dist/main.js]   (restart + burst on that build first)
// HERALD_CPU_PROF_DIR=<dir> profiles the restarted controller (written on SIGUSR2 before it stops).
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
async function startProfiled(world: BenchWorld, build: Build): Promise<ControllerProcess> {
  if (profDir) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${new URL('./cpuProfilePreload.mjs', import.meta.url).pathname}`.trim();
  try {
    return await world.startController(build.main ? { main: build.main } : {});
  } finally {
    if (profDir) delete process.env.NODE_OPTIONS;
  }
}

const wallStart = Date.now();
const world = await startBenchWorld({ name: 'scale', log, namespaces: [SEED_NAMESPACE] });
const removeSignalHandlers = stopOnSignals(world.stop);
try {
  let controller = await world.startController();
  log(`controller pid ${controller.proc.pid}, log ${controller.proc.logFile}`);
  await waitReady(controller, 60_000);
  await waitFor('the controller to lead', async () => metricValue(await controller.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 30_000, intervalMs: 50 });

  // ---- seeding -------------------------------------------------------------------------------
  log(`seeding ${WANTED} Services (client concurrency ${CONCURRENCY})`);
  const seedWatch = new IngressWatch(world.kc, SEED_NAMESPACE);
  await seedWatch.start();
  const names = Array.from({ length: WANTED }, (_, i) => `svc-${String(i).padStart(5, '0')}`);
  const createdNames: string[] = [];
  const seedDeadline = SEED_SECONDS > 0 ? Date.now() + SEED_SECONDS * 1000 : Infinity;
  const cpuSeedBefore = cpuSeconds(world, controller.proc.pid);
  const seedStart = performance.now();
  let created = 0;
  const sampler = setInterval(() => log(`seeding: created ${created}/${WANTED}, assigned ${seedWatch.seenAt.size}, controller ${processFigures(controller.proc.pid)?.rssMiB} MiB`), 5_000);
  await createServices({ core: world.core, namespace: SEED_NAMESPACE, names, concurrency: CONCURRENCY, nodePorts: false, stopWhen: () => Date.now() > seedDeadline, onCreated: (n) => (created++, createdNames.push(n)) });
  const seedCreatedMs = performance.now() - seedStart;
  const SERVICES = createdNames.length;
  if (SERVICES < WANTED) log(`seeding stopped at the deadline: ${SERVICES} of ${WANTED} Services`);
  await seedWatch.waitFor(createdNames, 30 * 60_000);
  const seedAssignedMs = performance.now() - seedStart;
  clearInterval(sampler);
  seedWatch.stop();
  await quiescent(controller, SERVICES, 10 * 60_000);
  const seedQuietMs = performance.now() - seedStart;
  const seeding = {
    services: SERVICES,
    wanted: WANTED,
    clientConcurrency: CONCURRENCY,
    createCallsMs: round(seedCreatedMs),
    createCallsPerSecond: round(SERVICES / (seedCreatedMs / 1000)),
    allAssignedMs: round(seedAssignedMs),
    controllerQuietMs: round(seedQuietMs),
    cpuSeconds: cpuDelta(cpuSeedBefore, cpuSeconds(world, controller.proc.pid)),
    writes: await writesOf(controller),
    controllerAfterSeeding: processFigures(controller.proc.pid),
  };
  log(`seeded: created in ${seeding.createCallsMs} ms, all assigned after ${seeding.allAssignedMs} ms, quiet after ${seeding.controllerQuietMs} ms`);

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
    builds: Object.fromEntries(BUILDS.map((b) => [b.label, b.main ?? 'this tree (packages/controller/dist/main.js)'])),
    note: 'builds are measured one after another on the same cluster: each restart sees the Services of the bursts before it',
    seeding,
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
    const heapUsedMiB = round((metricValue(await controller.metrics(), 'herald_controller_nodejs_heap_size_used_bytes') ?? 0) / 1048576);
    if (profDir) {
      controller.proc.child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 3_000));
    }
    return { restart, burst, memory: { steadyRssMiB: steady?.rssMiB, peakRssMiB: steady?.peakRssMiB, heapUsedMiB, services: existing + BURST } };
  }
} finally {
  removeSignalHandlers();
  await world.stop();
}
