#!/usr/bin/env node
// herald-controller composition root: reads config, builds the parts, wires them, handles signals.
import { KeepAliveKubeConfig, LeaderElector, serviceAccountOwner, startHttpEndpoints, WriteFence, type Leadership } from '@herald/kube';
import { pino } from 'pino';
import { readConfig } from './config.js';

import { KubeWriter } from './kube/kubeWriter.js';
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
// Writes pass only while this replica holds leadership: after losing it, queued writes are dropped.
const fence = new WriteFence();
const writer = new KubeWriter(kubeConfig, { metrics, log, concurrency: config.writeConcurrency, component: 'herald-controller', identity: config.identity, fence });
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
}).catch((e: Error) => {
  log.fatal({ event: 'endpointsUnavailable', err: e.message }, 'cannot serve metrics and probes: exiting');
  process.exit(1);
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

const lead = async (leadership: Leadership) => {
  fence.grant(leadership);
  metrics.isLeader.set(1);
  const signal = AbortSignal.any([leadership.signal, stopping.signal]);
  await controller.lead(signal);
  metrics.isLeader.set(0);
};

if (config.leaderElect) {
  const election = new LeaderElector({
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
  const end = await election.run(stopping.signal, lead);
  // Losing the lease without being asked to stop means another replica may be writing: exit and restart clean.
  if (end !== 'Stopped') exitCode = 1;
} else {
  await lead({ signal: stopping.signal, holds: () => !stopping.signal.aborted });
}

controller.stop();
// Once leadership ends (SIGTERM included) queued writes are refused, so this waits only for requests already sent.
await writer.idle();
for (const s of servers) s.close();
log.info({ event: 'stopped' }, 'herald-controller stopped');
process.exit(exitCode);
