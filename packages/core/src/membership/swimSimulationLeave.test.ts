import { describe, expect, it } from 'vitest';
import { decodeSwimMessage, encodeSwimMessage } from './swimCodec.js';
import { runSwimSimulation } from './swimSimulation.js';

/** The datagram path without the HMAC (node:crypto is the adapter's): encode, then decode. */
const wire = (m: Parameters<typeof encodeSwimMessage>[0]) => {
  const r = decodeSwimMessage(encodeSwimMessage(m));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('SWIM simulation: members leaving on purpose (rolling upgrade)', () => {
  it.each([
    { name: '40 members, 1 % loss', nodes: 40, loss: 0.01, seed: 3 },
    { name: '40 members, 5 % loss', nodes: 40, loss: 0.05, seed: 4 },
    { name: '100 members, 1 % loss', nodes: 100, loss: 0.01, seed: 5 },
  ])('$name: a member leaving every second causes no death in any view, every view converges to Left, and the restarted member comes back alive everywhere', { timeout: 120_000 }, ({ nodes, loss, seed }) => {
    const r = runSwimSimulation({ nodes, durationMs: 12_000, loss, seed, leaves: { everyMs: 1_000, restartAfterMs: 3_000 }, wire });
    expect(r.leaves).toBeGreaterThanOrEqual(5);
    expect(r.leaveDeathsDeclared).toBe(0);
    expect(r.leaveDeathsSeen).toBe(0);
    expect(r.falseDeaths).toBe(0);
    expect(r.leavesNotConverged).toBe(0);
    expect(r.leaveConvergenceMs).toHaveLength(r.leaves);
    // Leave → every view Left: the notice's infection (6 random + 3 successors per learner) takes a few
    // hops of < 1 ms each; lost copies are made up by the next heartbeat rounds (100 ms each).
    for (const ms of r.leaveConvergenceMs) expect(ms).toBeLessThan(400);
    expect(r.notAliveAtEnd).toBe(0);
    expect(r.sentPerNodePerSec.max).toBeLessThanOrEqual(100);
  });

  it('the same members crashing instead (no Leave) are declared dead: the figures above can fail', { timeout: 120_000 }, () => {
    const r = runSwimSimulation({ nodes: 40, durationMs: 8_000, loss: 0.01, seed: 3, crashes: { everyMs: 1_000, restartAfterMs: 3_000 } });
    expect(r.leaves).toBe(0);
    expect(r.detectionMs.length).toBeGreaterThan(0);
  });
});
