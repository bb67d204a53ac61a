import { WRITE_FAILURE_REASONS } from '@herald/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often the event-loop delay histogram samples (the nodejs_eventloop_lag_* metrics). prom-client's
 * default of 10 ms wakes an otherwise idle process 100 times a second, ~0.3 % of a core on its own
 * (bench/speaker/idleProfile.ts); 100 ms still records any stall that matters (heartbeats are 100 ms apart).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** Every metric the controller exports, on one registry created in main (no globals at import time). */
export function createControllerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_controller_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const metrics = {
    registry,
    poolAddresses: new Gauge({ name: 'herald_pool_addresses_total', help: 'Addresses a pool can hand out (capped at 2^53), by family', labelNames: ['pool', 'family'], registers: [registry] }),
    poolInUse: new Gauge({ name: 'herald_pool_addresses_in_use', help: 'Addresses of a pool assigned to Services, by family', labelNames: ['pool', 'family'], registers: [registry] }),
    poolValid: new Gauge({ name: 'herald_pool_valid', help: '1 if the pool is valid, 0 if its Valid condition is False', labelNames: ['pool'], registers: [registry] }),
    allocationFailures: new Counter({ name: 'herald_allocation_failures_total', help: 'Services entering a failed assignment state, by reason', labelNames: ['reason'], registers: [registry] }),
    addressesReleased: new Counter({ name: 'herald_addresses_released_total', help: 'Addresses taken back from a Service, by reason', labelNames: ['reason'], registers: [registry] }),
    servicesAssigned: new Gauge({ name: 'herald_services_assigned', help: 'LoadBalancer Services with an address', registers: [registry] }),
    servicesPending: new Gauge({ name: 'herald_services_pending', help: 'LoadBalancer Services waiting for an address', registers: [registry] }),
    reconcileDuration: new Histogram({
      name: 'herald_reconcile_duration_seconds',
      help: 'Time to decide and write one Service',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    apiWrites: new Counter({ name: 'herald_k8s_writes_total', help: 'Writes to the Kubernetes API, by kind and result', labelNames: ['kind', 'result'], registers: [registry] }),
    writeFailures: new Counter({ name: 'herald_controller_write_failures_total', help: 'Failed writes to the Kubernetes API, every attempt, by kind and reason (Forbidden, Invalid, ServerError…)', labelNames: ['kind', 'reason'], registers: [registry] }),
    writeBackoffObjects: new Gauge({
      name: 'herald_controller_write_backoff_objects',
      help: 'Objects whose writes are failing: state="retrying" (backing off, up to --write-backoff-max) or "stopped" (refused content, waits for a change)',
      labelNames: ['kind', 'reason', 'state'],
      registers: [registry],
    }),
    watchRestarts: new Counter({ name: 'herald_k8s_watch_restarts_total', help: 'Watch restarts, by resource and reason', labelNames: ['resource', 'reason'], registers: [registry] }),
    isLeader: new Gauge({ name: 'herald_controller_leader', help: '1 while this replica is the active controller', registers: [registry] }),
  };
  // Every reason exists from the start at 0: increase() sees the first failure, and alerts and dashboards can
  // rely on the series being there.
  for (const reason of WRITE_FAILURE_REASONS) {
    metrics.writeFailures.inc({ kind: 'serviceStatus', reason }, 0);
    for (const state of ['retrying', 'stopped']) metrics.writeBackoffObjects.set({ kind: 'serviceStatus', reason, state }, 0);
  }
  return metrics;
}

export type ControllerMetrics = ReturnType<typeof createControllerMetrics>;
