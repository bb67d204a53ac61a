// Restart benchmark on a real control plane: with 2,000 Services assigned, SIGKILL the controller, snapshot
// every Service's addresses, start it again under the same identity (so it re-acquires its Lease at once),
// and time spawn → /readyz 200 and spawn → "initialSyncDone"; then count changed and duplicate addresses.
// Run: node --import tsx bench/controller/restart.ts [--services N] [--reps N]
import { parseArgs } from 'node:util';
import { metricValue, type ControllerProcess } from '../../test/controller/controllerProcess.js';
import { waitFor } from '../../test/processes.js';
import {
  IDENTITY, IngressWatch, counterByLabels, createServices, duplicateAddresses, processFigures, snapshot, startBenchWorld, stopOnSignals, waitReady,
} from './benchCluster.js';
import { progress, writeReport } from './report.js';
import { round, spread } from './stats.js';

const log = progress('restart');
const { values: args } = parseArgs({ options: { services: { type: 'string', default: '2000' }, reps: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } } });
const SERVICES = Number(args.services);
const REPS = Math.max(1, Number(args.reps));
const CONCURRENCY = Number(args.concurrency);
const NAMESPACE = 'bench-restart';

const totalWrites = async (c: ControllerProcess) => Object.values(counterByLabels(await c.metrics(), 'herald_k8s_writes_total')).reduce((a, b) => a + b, 0);

/** Waits until every Service is assigned and the controller has stopped writing for a second. */
async function quiescent(c: ControllerProcess): Promise<void> {
  await waitFor(`${SERVICES} Services assigned`, async () => metricValue(await c.metrics(), 'herald_services_assigned') === SERVICES, { timeoutMs: 120_000, intervalMs: 200 });
  let last = -1;
  await waitFor('the controller to stop writing', async () => {
    const now = await totalWrites(c);
    const still = now === last;
    last = now;
    return still;
  }, { timeoutMs: 120_000, intervalMs: 1_000 });
}

interface RestartRun {
  readyzMs: number;
  initialSyncDoneMs: number;
  startedLogMs: number;
  cachesSyncedMs: number;
  leaderElectedMs: number;
  servicesInInitialPass: number;
  assignedAfterInitialPass: number;
  changedAddresses: number;
  duplicateAddresses: number;
  unassigned: number;
  addressReleasedLogLines: number;
  writesUntilInitialSyncDone: Record<string, number>;
  rssMiBAfterInitialSync: number | undefined;
}

const wallStart = Date.now();
const world = await startBenchWorld({ name: 'restart', log, namespaces: [NAMESPACE] });
const removeSignalHandlers = stopOnSignals(world.stop);
try {
  let controller = await world.startController();
  await waitReady(controller, 60_000);
  await waitFor('the controller to lead', async () => metricValue(await controller.metrics(), 'herald_controller_leader') === 1, { timeoutMs: 30_000, intervalMs: 50 });

  log(`creating ${SERVICES} Services (concurrency ${CONCURRENCY})`);
  const watch = new IngressWatch(world.kc, NAMESPACE);
  await watch.start();
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
  const setupStart = performance.now();
  await createServices({ core: world.core, namespace: NAMESPACE, names, concurrency: CONCURRENCY });
  await watch.waitFor(names, 15 * 60_000);
  watch.stop();
  await quiescent(controller);
  log(`${SERVICES} Services assigned in ${Math.round(performance.now() - setupStart)} ms; controller quiet`);

  const runs: RestartRun[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    controller.proc.kill('SIGKILL');
    await controller.proc.exited;
    const before = await snapshot(world.core, NAMESPACE);

    const spawnedAt = Date.now();
    const t0 = performance.now();
    controller = await world.startController();
    const readyAt = await waitReady(controller, 120_000, 10);
    await waitFor('"initialSyncDone" in the controller log', () => controller.logLines().some((l) => l.event === 'initialSyncDone'), { timeoutMs: 120_000, intervalMs: 20 });
    const lines = controller.logLines();
    const at = (event: string) => {
      const line = lines.find((l) => l.event === event);
      return line ? round((line.time as number) - spawnedAt) : Number.NaN;
    };
    const done = lines.find((l) => l.event === 'initialSyncDone') as Record<string, unknown>;
    const writes = counterByLabels(await controller.metrics(), 'herald_k8s_writes_total');
    const rss = processFigures(controller.proc.pid)?.rssMiB;

    const after = await snapshot(world.core, NAMESPACE);
    const changed = [...before].filter(([name, ips]) => JSON.stringify(after.get(name) ?? []) !== JSON.stringify(ips)).length;
    const run: RestartRun = {
      readyzMs: round(readyAt - t0),
      initialSyncDoneMs: at('initialSyncDone'),
      startedLogMs: at('started'),
      cachesSyncedMs: at('cachesSynced'),
      leaderElectedMs: at('leaderElected'),
      servicesInInitialPass: done.services as number,
      assignedAfterInitialPass: done.assigned as number,
      changedAddresses: changed,
      duplicateAddresses: duplicateAddresses(after.values()),
      unassigned: [...after.values()].filter((ips) => ips.length === 0).length,
      addressReleasedLogLines: lines.filter((l) => l.event === 'addressReleased').length,
      writesUntilInitialSyncDone: writes,
      rssMiBAfterInitialSync: rss,
    };
    runs.push(run);
    log(`restart ${rep}/${REPS}: /readyz after ${run.readyzMs} ms, initialSyncDone after ${run.initialSyncDoneMs} ms, changed ${run.changedAddresses}, duplicates ${run.duplicateAddresses}`);
    await quiescent(controller);
  }

  const figures = {
    benchmark: 'restart',
    node: process.version,
    services: SERVICES,
    repetitions: REPS,
    identity: `${IDENTITY} (same on every start: the Lease is re-acquired at once)`,
    kill: 'SIGKILL, then snapshot, then spawn',
    readyzMs: spread(runs.map((r) => r.readyzMs)),
    initialSyncDoneMs: spread(runs.map((r) => r.initialSyncDoneMs)),
    phasesMs: {
      startedLog: spread(runs.map((r) => r.startedLogMs)),
      cachesSynced: spread(runs.map((r) => r.cachesSyncedMs)),
      leaderElected: spread(runs.map((r) => r.leaderElectedMs)),
      initialSyncDone: spread(runs.map((r) => r.initialSyncDoneMs)),
    },
    check: {
      changedAddresses: Math.max(...runs.map((r) => r.changedAddresses)),
      duplicateAddresses: Math.max(...runs.map((r) => r.duplicateAddresses)),
      unassigned: Math.max(...runs.map((r) => r.unassigned)),
      addressReleasedLogLines: Math.max(...runs.map((r) => r.addressReleasedLogLines)),
    },
    runs,
    wallSeconds: round((Date.now() - wallStart) / 1000),
  };
  writeReport('restart', figures);
} finally {
  removeSignalHandlers();
  await world.stop();
}
