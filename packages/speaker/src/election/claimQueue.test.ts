import { macFromBytes, parseAddressOrThrow } from '@herald/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Claim } from '../announce/interfaceResponder.js';
import { ClaimQueue } from './claimQueue.js';

const claim = (i: number, mac = 2): Claim => ({ address: parseAddressOrThrow(`2001:db8::${(i + 1).toString(16)}`), mac: macFromBytes(Uint8Array.of(2, 0, 0, 0, 0, mac)), interface: 'eth0' });
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('ClaimQueue', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('5,000 claims posted in one turn (a take-over\'s gratuitous bursts, each sent twice) are handled once each, at most 10 ms per turn', async () => {
    // Each claim costs 1 ms of (virtual) time: a turn handles 10, so no turn runs long, whatever arrives at once.
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const handled: Claim[] = [];
    const q = new ClaimQueue({ handle: (c) => ((clock += 1), handled.push(c)) });
    for (let i = 0; i < 2_500; i++) q.push(claim(i));
    for (let i = 0; i < 2_500; i++) q.push(claim(i));
    expect(handled).toHaveLength(0);
    const perTurn: number[] = [];
    while (q.size() > 0) {
      const before = handled.length;
      await turn();
      perTurn.push(handled.length - before);
    }
    expect(handled).toHaveLength(2_500);
    expect(Math.max(...perTurn)).toBe(10);
    // Another MAC's claim on the same address is another claim.
    q.push(claim(0, 3));
    q.push(claim(0, 2));
    await turn();
    expect(handled.slice(-2).map((c) => c.mac)).toEqual([claim(0, 3).mac, claim(0, 2).mac]);
  });

  it('beyond its bound it drops new claims and counts them (a flood of forged claims from ever-new MACs)', async () => {
    let dropped = 0;
    const handled: Claim[] = [];
    const q = new ClaimQueue({ handle: (c) => handled.push(c), maxQueued: 100, dropped: () => dropped++ });
    for (let i = 0; i < 150; i++) q.push(claim(0, i));
    expect({ queued: q.size(), dropped }).toEqual({ queued: 100, dropped: 50 });
    while (q.size() > 0) await turn();
    expect(handled).toHaveLength(100);
    // Stopped: what waits and what comes later is not handled.
    q.push(claim(1));
    q.stop();
    q.push(claim(2));
    await turn();
    expect({ handled: handled.length, queued: q.size() }).toEqual({ handled: 100, queued: 0 });
  });
});
