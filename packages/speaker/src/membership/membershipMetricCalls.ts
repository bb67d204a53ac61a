// Types only: the worker thread must not load prom-client (a second copy in its isolate, for a registry
// nobody reads); membershipThreadImports.test.ts checks that it does not.
import type { MembershipMetrics } from './membershipMetrics.js';

/** One call on a membership metric, as the worker made it: metric key, method, arguments (labels, value). */
export type MembershipMetricCall = readonly [metric: string, method: 'inc' | 'set' | 'observe', args: readonly unknown[]];

const METHODS = ['inc', 'set', 'observe'] as const;

/** Every membership metric, by its key in MembershipMetrics (the type makes this list complete). */
const METRIC_KEYS: Readonly<Record<keyof MembershipMetrics, true>> = {
  peersAlive: true,
  peersKnown: true,
  heartbeatsBroken: true,
  heartbeatsMissing: true,
  sent: true,
  sendErrors: true,
  received: true,
  rejected: true,
  rtt: true,
  transitions: true,
  leaseRenewals: true,
  heartbeatTrimmed: true,
  publishedInterfaces: true,
  keyReloads: true,
  swimSent: true,
  swimReceived: true,
  swimDropped: true,
  swimSuspicions: true,
  swimProbes: true,
  swimDeclared: true,
  swimRefutations: true,
  answered: true,
  peersV1: true,
  withheld: true,
  mainLoopStalled: true,
  mainLoopStalls: true,
  leaseWatchRestarts: true,
  threadScheduling: true,
  threadSchedulingRefusals: true,
  threadDemotions: true,
};

/**
 * Membership's metrics inside the worker thread: objects with the inc/set/observe that Membership,
 * SwimMembership and MainLoopWatch call (nothing else of prom-client's metric API is used there), each
 * handing the call to `record` for the main thread to apply on the metrics it serves
 * (applyMembershipMetricCalls). No prom-client metric is made in the worker.
 */
export function recordedMembershipMetrics(record: (call: MembershipMetricCall) => void): MembershipMetrics {
  const metrics: Record<string, Record<string, (...args: unknown[]) => void>> = {};
  for (const key of Object.keys(METRIC_KEYS)) {
    metrics[key] = Object.fromEntries(METHODS.map((method) => [method, (...args: unknown[]) => record([key, method, args])]));
  }
  return metrics as unknown as MembershipMetrics;
}

/** Applies calls recorded in the worker on the main thread's metrics; an unknown metric or method is skipped. */
export function applyMembershipMetricCalls(metrics: MembershipMetrics, calls: readonly MembershipMetricCall[]): void {
  const byKey = metrics as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const [key, method, args] of calls) {
    const metric = byKey[key];
    const f = metric?.[method];
    if (typeof f === 'function') (f as (...a: unknown[]) => void).apply(metric, [...args]);
  }
}
