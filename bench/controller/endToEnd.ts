// End-to-end benchmark on a real control plane: the built controller as a process, 2,000 LoadBalancer
// Services created with bounded concurrency, and per Service the time from its create call returning to a
// watch seeing status.loadBalancer.ingress.
// Run: node --import tsx bench/controller/endToEnd.ts [--services N] [--concurrency N]
import { parseArgs } from 'node:util';
import { metricValue } from '../../test/controller/controllerProcess.js';
import { waitFor } from '../../test/processes.js';
import {
  BENCH_POOL, IngressWatch, counterByLabels, cpuDelta, cpuSeconds, createServices, duplicateAddresses, histogramSummary, processFigures, startBenchWorld, stopOnSignals, waitReady,
} from './benchCluster.js';
import { progress, writeReport } from './report.js';
import { percentile, round } from './stats.js';

const log = progress('endToEnd');
const { values: args } = parseArgs({ options: { services: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, warmup: { type: 'string', default: '50' } } });
const SERVICES = Number(args.services);
const CONCURRENCY = Number(args.concurrency);
const WARMUP = Number(args.warmup);
const NAMESPACE = 'bench-svc';
const WARMUP_NAMESPACE = 'bench-warmup';

const wallStart = Date.now();
const world = await startBenchWorld({ name: 'endToEnd', log, namespaces: [NAMESPACE, WARMUP_NAMESPACE] });
const removeSignalHandlers = stopOnSignals(world.stop);
try {
  // HERALD_CPU_PROF_DIR=<dir> profiles the controller; the profile is written before it stops (investigations only).
  const profDir = process.env.HERALD_CPU_PROF_DIR;
  if (profDir) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${new URL('./cpuProfilePreload.mjs', import.meta.url).pathname}`.trim();
  const controller = await world.startController();
  if (profDir) delete process.env.NODE_OPTIONS;
  await waitReady(controller, 60_000);
  await waitFor('the controller to lead', async () => metricValue(await controller.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 30_000, intervalMs: 50 });
  log(`controller ${controller.proc.pid} leads; logs in ${controller.proc.logFile}`);

  // Warm-up: JIT, connections and the API server's caches, in a namespace of its own (not measured).
  const warm = new IngressWatch(world.kc, WARMUP_NAMESPACE);
  await warm.start();
  const warmNames = Array.from({ length: WARMUP }, (_, i) => `warm-${i}`);
  await createServices({ core: world.core, namespace: WARMUP_NAMESPACE, names: warmNames, concurrency: CONCURRENCY });
  await warm.waitFor(warmNames, 60_000);
  warm.stop();
  log(`warm-up: ${WARMUP} Services assigned`);
  const cpuBefore = cpuSeconds(world, controller.proc.pid);

  const watch = new IngressWatch(world.kc, NAMESPACE);
  await watch.start();
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
  const createdAt = new Map<string, number>();
  const callStartedAt = performance.now();
  const sampler = setInterval(() => log(`created ${createdAt.size}/${SERVICES}, assigned ${watch.seenAt.size}`), 2_000);
  let created = 0;
  try {
    await createServices({
      core: world.core, namespace: NAMESPACE, names, concurrency: CONCURRENCY,
      onCreated: (name, at) => {
        createdAt.set(name, at);
        created++;
      },
    });
    const allCreatedAt = performance.now();
    await watch.waitFor(names, 15 * 60_000);
    clearInterval(sampler);
    const lastSeen = Math.max(...names.map((n) => watch.seenAt.get(n) as number));
    watch.stop();

    const raw = names.map((n) => (watch.seenAt.get(n) as number) - (createdAt.get(n) as number));
    const latencies = raw.map((ms) => Math.max(0, ms)).sort((a, b) => a - b);
    const wallMs = lastSeen - callStartedAt;
    const metrics = await controller.metrics();
    const events = [...watch.events.values()].sort((a, b) => a - b);
    const addresses = [...watch.addresses.values()];
    const figures = {
      benchmark: 'endToEnd',
      node: process.version,
      services: SERVICES,
      clientConcurrency: CONCURRENCY,
      warmupServices: WARMUP,
      serviceShape: { ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', pool: BENCH_POOL, selector: true, controllerManager: true, benchClientKeepAlive: true },
      latencyMs: {
        from: 'create call returned',
        to: 'watch saw status.loadBalancer.ingress',
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1] as number),
        mean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
        seenBeforeCreateReturned: raw.filter((ms) => ms < 0).length,
      },
      totalWallMs: round(wallMs),
      creationWallMs: round(allCreatedAt - callStartedAt),
      servicesPerSecond: round(SERVICES / (wallMs / 1000)),
      createCallsPerSecond: round(created / ((allCreatedAt - callStartedAt) / 1000)),
      cpuSecondsDuringMeasuredRun: cpuDelta(cpuBefore, cpuSeconds(world, controller.proc.pid)),
      watchEventsPerService: { p50: percentile(events, 50), max: events[events.length - 1], watchRestarts: watch.restarts },
      controller: {
        ...processFigures(controller.proc.pid),
        reconcileDurationSeconds: histogramSummary(metrics, 'herald_reconcile_duration_seconds'),
        writes: counterByLabels(metrics, 'herald_k8s_writes_total'),
        watchRestarts: counterByLabels(metrics, 'herald_k8s_watch_restarts_total'),
        servicesAssigned: metricValue(metrics, 'herald_services_assigned'),
        servicesPending: metricValue(metrics, 'herald_services_pending'),
        heapUsedMiB: round((metricValue(metrics, 'herald_controller_nodejs_heap_size_used_bytes') ?? 0) / 1048576),
        eventLoopLagP99Ms: round((metricValue(metrics, 'herald_controller_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000, 2),
      },
      check: {
        servicesWithAddress: addresses.length,
        duplicateAddresses: duplicateAddresses(addresses),
        outsidePool: addresses.flat().filter((a) => !a.startsWith('2001:db8:b0::')).length,
      },
      wallSeconds: 0,
    };
    figures.wallSeconds = round((Date.now() - wallStart) / 1000);
    writeReport('endToEnd', figures);
    if (profDir) {
      controller.proc.child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 2_000));
    }
  } finally {
    clearInterval(sampler);
    watch.stop();
  }
} finally {
  removeSignalHandlers();
  await world.stop();
}
