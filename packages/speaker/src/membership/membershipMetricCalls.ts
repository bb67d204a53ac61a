import { Registry } from 'prom-client';
import { createMembershipMetrics, type MembershipMetrics } from './membershipMetrics.js';

/** One call on a membership metric, as the worker made it: metric key, method, arguments (labels, value). */
export type MembershipMetricCall = readonly [metric: string, method: 'inc' | 'set' | 'observe', args: readonly unknown[]];

const METHODS = ['inc', 'set', 'observe'] as const;

/**
 * Membership's metrics inside the worker thread: the same objects (so Membership and SwimMembership use
 * them unchanged), but every inc/set/observe is handed to `record` instead of a registry, for the main
 * thread to apply on the metrics it serves (applyMembershipMetricCalls). The worker's registry is never read.
 */
export function recordedMembershipMetrics(record: (call: MembershipMetricCall) => void): MembershipMetrics {
  const metrics = createMembershipMetrics(new Registry());
  for (const [key, metric] of Object.entries(metrics)) {
    const methods = metric as unknown as Record<string, unknown>;
    for (const method of METHODS) {
      if (typeof methods[method] === 'function') methods[method] = (...args: unknown[]) => record([key, method, args]);
    }
  }
  return metrics;
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
