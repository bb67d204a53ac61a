import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { applyMembershipMetricCalls, recordedMembershipMetrics, type MembershipMetricCall } from './membershipMetricCalls.js';
import { createMembershipMetrics } from './membershipMetrics.js';

describe('membership metrics counted in the worker, served by the main thread', () => {
  it('counters, labelled counters, gauges and histograms arrive as counted; the worker registers nothing it serves', async () => {
    const calls: MembershipMetricCall[] = [];
    const worker = recordedMembershipMetrics((c) => calls.push(c));
    worker.sent.inc(3);
    worker.sent.inc();
    worker.rejected.inc({ reason: 'BadMac' });
    worker.swimSent.inc({ type: 'Heartbeat' }, 5);
    worker.peersAlive.set(7);
    worker.rtt.observe(0.002);
    worker.mainLoopStalled.set(1);
    expect(calls).toHaveLength(7);
    // Through structured clone, as postMessage does.
    const received = structuredClone(calls);

    const registry = new Registry();
    const main = createMembershipMetrics(registry);
    applyMembershipMetricCalls(main, received);
    const text = await registry.metrics();
    expect(text).toMatch(/^herald_membership_heartbeats_sent_total 4$/m);
    expect(text).toMatch(/^herald_membership_heartbeats_rejected_total\{reason="BadMac"\} 1$/m);
    expect(text).toMatch(/^herald_membership_swim_datagrams_sent_total\{type="Heartbeat"\} 5$/m);
    expect(text).toMatch(/^herald_membership_peers_alive 7$/m);
    expect(text).toMatch(/^herald_membership_heartbeat_rtt_seconds_count 1$/m);
    expect(text).toMatch(/^herald_membership_heartbeat_rtt_seconds_bucket\{le="0.0025"\} 1$/m);
    expect(text).toMatch(/^herald_membership_main_loop_stalled 1$/m);
  });

  it('skips a metric or method the main thread does not have (a newer worker), applying the rest', async () => {
    const registry = new Registry();
    const main = createMembershipMetrics(registry);
    applyMembershipMetricCalls(main, [['noSuchMetric', 'inc', []], ['sent', 'observe', [1]], ['sent', 'inc', [2]]]);
    expect(await registry.metrics()).toMatch(/^herald_membership_heartbeats_sent_total 2$/m);
  });
});
