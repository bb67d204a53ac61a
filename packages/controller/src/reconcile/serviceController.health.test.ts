import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeWriter } from '../kube/kubeWriter.js';
import type { ServiceStatusWriter } from '../kube/serviceStatusWriter.js';
import { createControllerMetrics } from '../metrics.js';
import { ServiceController } from './serviceController.js';

// Narrow unit test of the probes' timing: the caches are never started (no API server), the writer is a
// stand-in whose idle() we control, and the clocks are fake.
function controllerWithWriter() {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  let release!: () => void;
  const idle = new Promise<void>((r) => (release = r));
  const writer = { settled: 0, idle: () => idle, event: () => undefined } as unknown as KubeWriter & { settled: number };
  // No Services exist here, so the status writer is only ever asked to drop what it holds.
  const statusWriter = { dropAll: () => undefined } as unknown as ServiceStatusWriter;
  const controller = new ServiceController({ kubeConfig, log: pino({ level: 'silent' }), metrics: createControllerMetrics(), writer, statusWriter, lbClass: undefined, writeBackoff: { initialMs: 1_000, maxMs: 300_000 } });
  return { controller, writer, release };
}

describe('ServiceController health while it becomes the leader', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout', 'setImmediate'] }));
  afterEach(() => vi.useRealTimers());

  it('a standby promoted long after it started is healthy during its first pass, and unhealthy only if that pass stops progressing', async () => {
    const { controller, writer, release } = controllerWithWriter();
    expect(controller.healthy()).toBe(true);
    // A standby for ten minutes, then promoted: its first pass waits on a long burst of writes.
    await vi.advanceTimersByTimeAsync(600_000);
    const stop = new AbortController();
    const leading = controller.lead(stop.signal);
    await vi.advanceTimersByTimeAsync(10);
    expect(controller.healthy()).toBe(true);
    expect(controller.ready()).toBe(false);

    // Writes keep finishing for 90 s: still making progress, so still alive.
    for (let s = 0; s < 90; s += 5) {
      writer.settled += 10;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(controller.healthy()).toBe(true);
    }
    // Nothing finishes for over a minute: the leader is stuck, and liveness says so.
    await vi.advanceTimersByTimeAsync(61_000);
    expect(controller.healthy()).toBe(false);

    release();
    await vi.advanceTimersByTimeAsync(1_100);
    expect(controller.healthy()).toBe(true);
    stop.abort();
    await vi.advanceTimersByTimeAsync(1_100);
    await leading;
  });
});
