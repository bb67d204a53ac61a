#!/usr/bin/env node
// herald-controller composition root: reads config, builds the parts, wires them, handles signals.
import { KeepAliveKubeConfig, serviceAccountOwner, startHttpEndpoints } from '@herald/kube';
import { pino } from 'pino';
import { readConfig } from './config.js';

import { KubeWriter } from './kube/kubeWriter.js';
import { LeaderElection } from './kube/leaderElection.js';
import { ServiceStatusWriter } from './kube/serviceStatusWriter.js';
import { createControllerMetrics } from './metrics.js';
import { ServiceController } from './reconcile/serviceController.js';

const config = (() => {
  try {
    return readConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`herald-controller: ${(e as Error).message}\n`);
    process.exit(2);
  }
})();
const log = pino({ level: config.logLevel, base: { component: 'herald-controller', identity: config.identity } });
const kubeConfig = new KeepAliveKubeConfig();
if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
else kubeConfig.loadFromDefault();

const metrics = createControllerMetrics();
const writer = new KubeWriter(kubeConfig, { metrics, log, concurrency: config.writeConcurrency, component: 'herald-controller', identity: config.identity });
const statusWriter = new ServiceStatusWriter({
  apply: (namespace, name, status) => writer.applyServiceStatus(namespace, name, status),
  release: (namespace, name, conditionTypes) => writer.releaseServiceStatus(namespace, name, conditionTypes),
  event: (target, type, reason, message) => writer.event(target, type, reason, message),
  log,
  metrics: { failures: metrics.writeFailures, backoffObjects: metrics.writeBackoffObjects },
  initialBackoffMs: config.writeBackoffInitialMs,
  maxBackoffMs: config.writeBackoffMaxMs,
});
const controller = new ServiceController({ kubeConfig, log, metrics, writer, statusWriter, lbClass: config.lbClass, writeBackoff: { initialMs: config.writeBackoffInitialMs, maxMs: config.writeBackoffMaxMs } });
const stopping = new AbortController();

const servers = await startHttpEndpoints({
  metricsAddress: config.metricsAddress,
  healthAddress: config.healthAddress,
  registry: metrics.registry,
  probes: { healthy: () => controller.healthy(), ready: () => controller.ready() },
});
log.info({ event: 'started', lbClass: config.lbClass ?? null, namespace: config.namespace, metrics: config.metricsAddress, health: config.healthAddress }, 'herald-controller starting');

let exitCode = 0;
const shutdown = (signal: string) => {
  if (stopping.signal.aborted) return;
  log.info({ event: 'shuttingDown', signal }, 'stopping');
  stopping.abort();
  setTimeout(() => process.exit(exitCode), 10_000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

await controller.start();
log.info({ event: 'cachesSynced' }, 'caches synced');

const lead = async (lost: AbortSignal) => {
  metrics.isLeader.set(1);
  const signal = AbortSignal.any([lost, stopping.signal]);
  await controller.lead(signal);
  metrics.isLeader.set(0);
};

if (config.leaderElect) {
  const election = new LeaderElection({
    kubeConfig,
    namespace: config.namespace,
    name: 'herald-controller',
    identity: config.identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    log,
    owner: await serviceAccountOwner(kubeConfig, config.namespace, config.serviceAccount),
  });
  await election.run(stopping.signal, lead);
  // Losing the lease without being asked to stop means another replica may be writing: exit and restart clean.
  if (!stopping.signal.aborted) exitCode = 1;
} else {
  await lead(stopping.signal);
}

controller.stop();
await writer.idle();
for (const s of servers) s.close();
log.info({ event: 'stopped' }, 'herald-controller stopped');
process.exit(exitCode);
