import { describe, expect, it } from 'vitest';
import { deadlineAfterStall, decayLocalHealth, HEALTHY, localHealthMultiplier, raiseLocalHealth, silenceAfterStall, type LocalHealth, type LocalHealthSignal } from './localHealth.js';

const t = { healthDecayMs: 1000, maxHealthMultiplier: 3 };

describe('local health (Lifeguard)', () => {
  it.each<{ name: string; steps: [LocalHealthSignal, number][]; atMs: number; multiplier: number }>([
    { name: 'healthy without signals', steps: [], atMs: 0, multiplier: 1 },
    { name: 'a late timer doubles the probe timeout', steps: [['TimerLate', 100]], atMs: 100, multiplier: 2 },
    { name: 'each signal adds one, up to the cap', steps: [['TimerLate', 100], ['Refuted', 200], ['TimerLate', 300]], atMs: 300, multiplier: 3 },
    { name: 'one step is forgiven per decay period without a signal', steps: [['TimerLate', 100], ['Refuted', 200]], atMs: 1200, multiplier: 2 },
    { name: 'fully forgiven after level × decay', steps: [['TimerLate', 100], ['Refuted', 200]], atMs: 2200, multiplier: 1 },
    { name: 'a signal restarts the decay clock (1.9 s after the first, 0.95 s after the second: nothing forgiven)', steps: [['TimerLate', 100], ['TimerLate', 1050]], atMs: 2000, multiplier: 3 },
    { name: 'just before the decay step nothing is forgiven', steps: [['Refuted', 0]], atMs: 999, multiplier: 2 },
  ])('$name', ({ steps, atMs, multiplier }) => {
    let h: LocalHealth = HEALTHY;
    for (const [signal, at] of steps) h = raiseLocalHealth(h, signal, at, t);
    expect(localHealthMultiplier(h, atMs, t)).toBe(multiplier);
  });

  it.each([
    { name: 'a multiplier cap of 1 keeps a member always healthy', max: 1, multiplier: 1 },
    { name: 'the default cap of 2', max: 2, multiplier: 2 },
  ])('$name', ({ max, multiplier }) => {
    const tt = { healthDecayMs: 1000, maxHealthMultiplier: max };
    let h: LocalHealth = HEALTHY;
    for (let i = 0; i < 5; i++) h = raiseLocalHealth(h, 'TimerLate', i, tt);
    expect(localHealthMultiplier(h, 5, tt)).toBe(multiplier);
  });

  it('decay returns the same object when nothing is due (no allocation per tick)', () => {
    const h = raiseLocalHealth(HEALTHY, 'TimerLate', 0, t);
    expect(decayLocalHealth(h, 500, t)).toBe(h);
    expect(decayLocalHealth(HEALTHY, 500, t)).toBe(HEALTHY);
  });

  it.each([
    { name: 'a deadline slept through is judged one grace after waking', deadlineMs: 550, nowMs: 900, expected: 1000 },
    { name: 'a deadline still ahead is never brought forward', deadlineMs: 2000, nowMs: 900, expected: 2000 },
    { name: 'a deadline just behind the grace is kept', deadlineMs: 1010, nowMs: 900, expected: 1010 },
    { name: 'a suspicion graced once already is judged on this wake-up (the socket was read since)', deadlineMs: 550, nowMs: 900, graced: true, expected: 550 },
  ])('deadlineAfterStall: $name', ({ deadlineMs, nowMs, graced, expected }) => {
    expect(deadlineAfterStall({ deadlineMs, nowMs, graceMs: 100, ...(graced ? { graced } : {}) })).toBe(expected);
  });

  it.each([
    { name: 'heard during the stall (drained on waking): the clock stays', heardAtMs: 1000, nowMs: 1000, lateMs: 300, expected: 1000 },
    { name: 'one long stall after a recent heartbeat: from one interval before waking', heardAtMs: 600, nowMs: 1000, lateMs: 300, expected: 900 },
    { name: 'silent long before a short stall: moved by the lateness only', heardAtMs: 500, nowMs: 1000, lateMs: 60, expected: 560 },
    { name: 'a stall longer than the silence: never past one interval before waking', heardAtMs: 850, nowMs: 1000, lateMs: 400, expected: 900 },
    { name: 'a heartbeat newer than one interval before waking: kept', heardAtMs: 950, nowMs: 1000, lateMs: 60, expected: 950 },
  ])('silenceAfterStall: $name', ({ heardAtMs, nowMs, lateMs, expected }) => {
    expect(silenceAfterStall({ heardAtMs, nowMs, lateMs, intervalMs: 100 })).toBe(expected);
  });
});
