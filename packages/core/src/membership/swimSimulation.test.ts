import { describe, expect, it } from 'vitest';
import { decodeSwimMessage, encodeSwimMessage } from './swimCodec.js';
import { runSwimSimulation } from './swimSimulation.js';
import { DEFAULT_SWIM_TUNING } from './swimMember.js';

/** The datagram path without the HMAC (node:crypto is the adapter's): encode, then decode. */
const wire = (m: Parameters<typeof encodeSwimMessage>[0]) => {
  const r = decodeSwimMessage(encodeSwimMessage(m));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('SWIM simulation (small; bench/membership/simulate.ts runs 50 to 5,000 members)', () => {
  it('40 members, 1 % loss, 300 ms stalls, a crash every second: no false death, every crash detected within suspectAfter + probeTimeout, under 100 datagrams/s per member', { timeout: 120_000 }, () => {
    const r = runSwimSimulation({
      nodes: 40,
      durationMs: 10_000,
      loss: 0.01,
      seed: 3,
      stalls: { meanGapMs: 5_000, durationMs: 300 },
      crashes: { everyMs: 1_000, restartAfterMs: 3_000 },
      wire,
    });
    expect(r.stalls).toBeGreaterThan(40);
    expect(r.crashes).toBeGreaterThanOrEqual(6);
    expect(r.falseDeaths).toBe(0);
    expect(r.detectionMs).toHaveLength(r.crashes);
    const bound = DEFAULT_SWIM_TUNING.suspectAfterMs + DEFAULT_SWIM_TUNING.probeTimeoutMs + 5;
    for (const d of r.detectionMs) expect(d).toBeLessThanOrEqual(bound);
    expect(r.crashesNotConverged).toBe(0);
    expect(r.sentPerNodePerSec.max).toBeLessThanOrEqual(100);
    expect(r.receivedPerNodePerSec.max).toBeLessThanOrEqual(100);
  });

  it('a 200 ms flapping link kills nobody; a partition longer than the timeouts is detected and heals', { timeout: 120_000 }, () => {
    const flap = runSwimSimulation({ nodes: 40, durationMs: 8_000, loss: 0.01, seed: 5, flapping: { count: 3, downMs: 200, periodMs: 1_000 } });
    expect(flap.falseDeaths + flap.cutDeaths).toBe(0);
    const part = runSwimSimulation({ nodes: 40, durationMs: 10_000, loss: 0.01, seed: 5, partition: { fraction: 0.1, atMs: 3_000, durationMs: 2_000 } });
    expect(part.falseDeaths).toBe(0);
    expect(part.cutDeaths).toBeGreaterThan(0);
    expect(part.partitionHealMs).toBeDefined();
  });
});
