import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createControllerMetrics } from './metrics.js';

describe('createControllerMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('samples event-loop delay every 100 ms, not prom-client\'s default 10 ms (100 wake-ups a second when idle)', () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    createControllerMetrics();
    expect(monitor).toHaveBeenCalledTimes(1);
    expect(monitor.mock.calls[0]?.[0]).toEqual({ resolution: 100 });
  });
});
