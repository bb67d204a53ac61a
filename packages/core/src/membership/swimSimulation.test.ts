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

/** Sent + received by one member in its busiest second (heartbeats alone are 60). */
const PEAK = 200;

describe('SWIM simulation (small; bench/membership/simulate.ts runs 50 to 5,000 members)', () => {
  it.each([
    { name: 'seed 5', seed: 5 },
    // A crashed node's monitor had stalled over the crash, read the node's last queued heartbeats on waking
    // and vouched for it to the two that suspected it ("heard 208 ms ago"): crashes caught at 1,008 and
    // 881 ms with these seeds; both rows failed before heartbeats read on waking were dated
    // (heartbeatHeardAt). Seeds 1-64: 6 above the bound before (at most 1,042 ms), none now (at most 776).
    { name: 'seed 3 (1,008 ms before)', seed: 3 },
    { name: 'seed 21 (881 ms before)', seed: 21 },
  ])('40 members, 1 % loss, 300 ms stalls, a crash every second: no false death, crashes detected within suspectAfter + probeTimeout (+ a stall), under 100 datagrams/s per member: $name', { timeout: 120_000 }, ({ seed }) => {
    const r = runSwimSimulation({
      nodes: 40,
      durationMs: 10_000,
      loss: 0.01,
      seed,
      stalls: { meanGapMs: 5_000, durationMs: 300 },
      crashes: { everyMs: 1_000, restartAfterMs: 3_000 },
      wire,
    });
    expect(r.stalls).toBeGreaterThan(40);
    expect(r.crashes).toBeGreaterThanOrEqual(6);
    expect(r.falseDeaths).toBe(0);
    expect(r.detectionMs).toHaveLength(r.crashes);
    // Crashed at a random phase: declared 450-550 ms after the crash by a healthy monitor. A monitor that
    // stalled meanwhile forgives the silence it slept through (up to the 300 ms stall), and with a stall
    // every 5 s per member (far more than a real cluster sees) a crash now and then is caught that late.
    const d = DEFAULT_SWIM_TUNING.suspectAfterMs + DEFAULT_SWIM_TUNING.probeTimeoutMs;
    const sorted = [...r.detectionMs].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(d + 5);
    for (const x of sorted) expect(x).toBeLessThanOrEqual(d + 300 + 5);
    expect(r.crashesNotConverged).toBe(0);
    expect(r.sentPerNodePerSec.max).toBeLessThanOrEqual(100);
    expect(r.receivedPerNodePerSec.max).toBeLessThanOrEqual(100);
  });

  it.each([
    { name: 'the tick runs before the queued datagrams are read (the adapter, when its timer fired just before the stall)', wakeOrder: 'judgeFirst' as const },
    { name: 'the queued datagrams are read first', wakeOrder: 'drainFirst' as const },
  ])('40 members stalling 300-500 ms (each every 2 s on average), 1 % loss: a member that just woke declares nobody dead: $name', { timeout: 120_000 }, ({ wakeOrder }) => {
    // Before local health stretched the suspicions pending across a stall, the judge-first order had
    // 21 such false deaths in this run. (Members stalled longer than suspectAfter + probeTimeout − one
    // interval are rightly declared dead by their healthy monitors: falseDeaths is not 0 here.)
    const r = runSwimSimulation({ nodes: 40, durationMs: 20_000, loss: 0.01, seed: 3, stalls: { meanGapMs: 2_000, durationMs: 300, maxDurationMs: 500 }, wakeOrder });
    expect(r.stalls).toBeGreaterThan(250);
    expect(r.falseDeathsByStalled).toBe(0);
  });

  it('a 200 ms flapping link kills nobody; a partition longer than the timeouts is detected and heals', { timeout: 120_000 }, () => {
    const flap = runSwimSimulation({ nodes: 40, durationMs: 8_000, loss: 0.01, seed: 5, flapping: { count: 3, downMs: 200, periodMs: 1_000 } });
    expect(flap.falseDeaths + flap.cutDeaths).toBe(0);
    const part = runSwimSimulation({ nodes: 40, durationMs: 14_000, loss: 0.01, seed: 5, partition: { fraction: 0.1, atMs: 3_000, durationMs: 2_000 } });
    expect(part.falseDeaths).toBe(0);
    expect(part.cutDeaths).toBeGreaterThan(0);
    expect(part.partitionHealMs).toBeDefined();
  });

  it('a 10 % partition of 200 members for 3 s heals within 3 s (every member holds every running member alive), within the datagram budget', { timeout: 120_000 }, () => {
    // Before anti-entropy this did not heal within the 4 s simulated after the heal: members on the small
    // side held majority members dead that nobody told, and a member that had already refuted ignored a
    // stale death.
    const r = runSwimSimulation({ nodes: 200, durationMs: 10_000, loss: 0.01, seed: 11, partition: { fraction: 0.1, atMs: 3_000, durationMs: 3_000 } });
    expect(r.falseDeaths).toBe(0);
    expect(r.cutDeaths).toBeGreaterThan(0);
    expect(r.partitionHealMs).toBeDefined();
    // The heal is quantised by the 1 s rounds (pull, dead probes): 1.1, 2.0 or 3.0 s depending on which
    // datagrams the random loss hits. Seed 11 healed in 3.006 s until dead probes went on where they left
    // off, a lost pull was retried during a heal and an answer carried the teller's death. Within three rounds.
    expect(r.partitionHealMs!).toBeLessThanOrEqual(3_000);
    expect(r.sentPerNodePerSec.max).toBeLessThanOrEqual(100);
    expect(r.receivedPerNodePerSec.max).toBeLessThanOrEqual(100);
    expect(r.peakPerNodePerSec).toBeLessThanOrEqual(PEAK);
  });

  it('a 10 % partition of 500 members for 3 s heals within 4 s, and no member sends or receives more than 100 datagrams in any second', { timeout: 120_000 }, () => {
    // Before the fix (tells gated per node and second, one push datagram per target without token debt,
    // SyncReply datagrams capped) the heal's busiest member-second was 108 sent / 112 received here (seed
    // 11), and at N = 5,000 one member received ~900 "you are dead" tells in one second.
    const r = runSwimSimulation({ nodes: 500, durationMs: 10_000, loss: 0.01, seed: 11, partition: { fraction: 0.1, atMs: 3_000, durationMs: 3_000 } });
    expect(r.falseDeaths).toBe(0);
    expect(r.cutDeaths).toBeGreaterThan(0);
    expect(r.partitionHealMs).toBeDefined();
    expect(r.partitionHealMs!).toBeLessThanOrEqual(4_000);
    expect(r.peakSentPerNodePerSec).toBeLessThanOrEqual(100);
    expect(r.peakReceivedPerNodePerSec).toBeLessThanOrEqual(100);
  });
});
