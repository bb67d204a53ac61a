import type { MembershipView } from '@herald/core';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyMembershipMetricCalls } from './membershipMetricCalls.js';
import { createMembershipMetrics } from './membershipMetrics.js';
import type { FromMembershipThread } from './membershipThreadProtocol.js';
import { MembershipThreadOutbox } from './membershipThreadOutbox.js';
import { SentView } from './sentView.js';
import { realTimers, type Timers } from './timers.js';

const view = (atMs: number): MembershipView => ({
  atMs,
  peers: ['n1', 'n2', 'n3'].map((node) => ({ node, self: node === 'n1', alive: true, judgedBy: node === 'n1' ? 'Self' : 'Heartbeat', draining: false, ready: true, interfaces: [], announcing: [`192.0.2.${node.slice(1)}`], heartbeatsBroken: false, lastHeartbeatMs: atMs - 10 })),
});

/** The worker side (outbox, fake time) and what the main thread makes of its messages (metrics applied, views unpacked). */
function world(o: { viewRefreshMs?: number } = {}) {
  const posted: FromMembershipThread[] = [];
  let wakeups = 0;
  // Every timer callback the outbox runs is a wake-up of the worker's event loop.
  const timers: Timers = { setTimeout: (f, ms) => realTimers.setTimeout(() => (wakeups++, f()), ms), clearTimeout: realTimers.clearTimeout };
  const outbox = new MembershipThreadOutbox({ post: (m) => posted.push(structuredClone(m)), viewRefreshMs: o.viewRefreshMs ?? 1_000, timers });
  let listed = false;
  const source = { view: () => view(Date.now()), peersListed: () => listed };
  const registry = new Registry();
  const main = createMembershipMetrics(registry);
  const unpacker = new SentView();
  let mainView: MembershipView | undefined;
  let mainListed = false;
  const deliver = () => {
    for (const m of posted.splice(0)) {
      if (m.type === 'metrics') applyMembershipMetricCalls(main, m.calls);
      if (m.type === 'view' && m.calls) applyMembershipMetricCalls(main, m.calls);
      if (m.type === 'view' || m.type === 'started') {
        mainView = unpacker.unpack(m.view);
        mainListed = m.peersListed;
      }
    }
  };
  /** An idle member's traffic: a datagram out and one in every 100 ms, with the metric calls Membership makes for them. */
  const heartbeat = () => {
    outbox.metrics.sent.inc(1);
    outbox.metrics.swimSent.inc({ type: 'Probe' });
    outbox.metrics.swimProbes.inc({ path: 'direct' });
    outbox.metrics.received.inc();
    outbox.metrics.swimReceived.inc({ type: 'Ack' });
    outbox.metrics.peersV1.set(0);
  };
  return {
    outbox, source, registry, posted, deliver, heartbeat,
    setListed: (v: boolean) => (listed = v),
    wakeups: () => wakeups,
    mainView: () => mainView,
    mainListed: () => mainListed,
    metric: async (name: string, labels: Record<string, string> = {}) => (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value,
  };
}

describe('MembershipThreadOutbox: what an idle membership worker sends the main thread', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an idle second with heartbeats flowing costs one message and one timer wake-up, and every metric call arrives summed', async () => {
    const w = world();
    w.outbox.start(w.source);
    const traffic = setInterval(w.heartbeat, 100);
    await vi.advanceTimersByTimeAsync(5_000); // settle
    w.deliver();
    const before = { wakeups: w.wakeups() };
    await vi.advanceTimersByTimeAsync(10_000);
    const messages = w.posted.length;
    const wakeups = w.wakeups() - before.wakeups;
    w.deliver();
    clearInterval(traffic);
    expect({ messagesPerS: messages / 10, wakeupsPerS: wakeups / 10 }).toEqual({ messagesPerS: 1, wakeupsPerS: 1 });
    // 150 heartbeats in 15 s; the last ones may wait for the next refresh, which stop() flushes.
    w.outbox.stop();
    w.deliver();
    expect(await w.metric('herald_membership_heartbeats_sent_total')).toBe(150);
    expect(await w.metric('herald_membership_heartbeats_received_total')).toBe(150);
    expect(await w.metric('herald_membership_swim_datagrams_sent_total', { type: 'Probe' })).toBe(150);
    expect(await w.metric('herald_membership_swim_probes_total', { path: 'direct' })).toBe(150);
  });

  it('metric calls are batched into one message, counters summed per series, gauges last value, every observation kept', async () => {
    const w = world();
    w.outbox.start(w.source);
    w.deliver();
    for (let i = 0; i < 50; i++) {
      w.outbox.metrics.swimSent.inc({ type: i % 2 === 0 ? 'Probe' : 'Ack' });
      w.outbox.metrics.sent.inc(2);
      w.outbox.metrics.peersAlive.set(i);
      w.outbox.metrics.rtt.observe(0.001 * (i + 1));
      w.outbox.metrics.heartbeatTrimmed.inc({ part: 'announcing' }, 3);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(w.posted).toHaveLength(1);
    const calls = w.posted.flatMap((m) => (m.type === 'metrics' || m.type === 'view' ? (m.calls ?? []) : []));
    // 2 swimSent series + 1 sent + 1 peersAlive + 1 heartbeatTrimmed + 50 observations
    expect(calls).toHaveLength(55);
    w.deliver();
    expect(await w.metric('herald_membership_swim_datagrams_sent_total', { type: 'Probe' })).toBe(25);
    expect(await w.metric('herald_membership_swim_datagrams_sent_total', { type: 'Ack' })).toBe(25);
    expect(await w.metric('herald_membership_heartbeats_sent_total')).toBe(100);
    expect(await w.metric('herald_membership_peers_alive')).toBe(49);
    expect(await w.metric('herald_membership_heartbeat_trimmed_total', { part: 'announcing' })).toBe(150);
    const rtt = ((await w.registry.getSingleMetric('herald_membership_heartbeat_rtt_seconds')!.get()).values as { metricName?: string; value: number }[]).find((v) => v.metricName?.endsWith('_count'));
    expect(rtt?.value).toBe(50);
  });

  it('a transition is sent at once with the metric calls made so far; the listed mark as soon as the worker is told, without polling', async () => {
    const w = world();
    w.outbox.start(w.source);
    w.deliver();
    w.outbox.metrics.transitions.inc({ change: 'PeerDead' });
    w.outbox.change(view(Date.now()), [{ node: 'n2', change: 'PeerDead' } as never]);
    expect(w.posted).toHaveLength(1);
    w.deliver();
    expect(await w.metric('herald_membership_transitions_total', { change: 'PeerDead' })).toBe(1);
    expect(w.mainListed()).toBe(false);
    w.setListed(true);
    w.outbox.lookListed();
    expect(w.posted).toHaveLength(1);
    w.deliver();
    expect(w.mainListed()).toBe(true);
    // Told once: nothing more until the refresh.
    w.outbox.lookListed();
    expect(w.posted).toHaveLength(0);
  });

  it('the view the main thread holds is at most viewRefreshMs old', async () => {
    const w = world({ viewRefreshMs: 1_000 });
    w.outbox.start(w.source);
    for (let s = 0; s < 5; s++) {
      await vi.advanceTimersByTimeAsync(1_000);
      w.deliver();
      expect(Date.now() - w.mainView()!.atMs).toBeLessThanOrEqual(1_000);
    }
    w.outbox.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(w.posted.filter((m) => m.type === 'view')).toHaveLength(0);
  });
});
