import perfHooks from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSpeakerMetrics } from './metrics.js';

describe('createSpeakerMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('samples event-loop delay every 100 ms, not prom-client\'s default 10 ms (100 wake-ups a second in an idle speaker)', () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    createSpeakerMetrics(new Registry());
    expect(monitor).toHaveBeenCalledTimes(1);
    expect(monitor.mock.calls[0]?.[0]).toEqual({ resolution: 100 });
  });

  it('still exports the event-loop lag percentiles the dashboard plots', async () => {
    const registry = new Registry();
    createSpeakerMetrics(registry);
    expect(await registry.metrics()).toMatch(/^herald_speaker_nodejs_eventloop_lag_p99_seconds /m);
  });
});
