import { describe, expect, it } from 'vitest';
import { judgeMainLoop, type MainLoopFacts, type MainLoopJudgement } from './judgeMainLoop.js';

describe('judgeMainLoop: the worker heartbeats while the main thread turns, and stops once it stood still for the bound', () => {
  it.each<{ name: string; f: MainLoopFacts; want: MainLoopJudgement }>([
    { name: 'first look: turning, still since now', f: { counter: 7, nowMs: 1_000, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: 7, sinceMs: 1_000 }, stillForMs: 0 } },
    { name: 'counter moved: turning, still since now', f: { counter: 8, seen: { counter: 7, sinceMs: 0 }, nowMs: 5_000, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: 8, sinceMs: 5_000 }, stillForMs: 0 } },
    { name: 'counter wrapped around (Int32): still a move', f: { counter: -2_147_483_648, seen: { counter: 2_147_483_647, sinceMs: 0 }, nowMs: 9_000, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: -2_147_483_648, sinceMs: 9_000 }, stillForMs: 0 } },
    { name: 'still for 300 ms (a GC pause): turning', f: { counter: 7, seen: { counter: 7, sinceMs: 1_000 }, nowMs: 1_300, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: 7, sinceMs: 1_000 }, stillForMs: 300 } },
    { name: 'still for 1,499 ms: turning', f: { counter: 7, seen: { counter: 7, sinceMs: 1_000 }, nowMs: 2_499, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: 7, sinceMs: 1_000 }, stillForMs: 1_499 } },
    { name: 'still for exactly the bound: stalled', f: { counter: 7, seen: { counter: 7, sinceMs: 1_000 }, nowMs: 2_500, boundMs: 1_500 }, want: { state: 'Stalled', seen: { counter: 7, sinceMs: 1_000 }, stillForMs: 1_500 } },
    { name: 'still for 10 s (wedged): stalled', f: { counter: 7, seen: { counter: 7, sinceMs: 1_000 }, nowMs: 11_000, boundMs: 1_500 }, want: { state: 'Stalled', seen: { counter: 7, sinceMs: 1_000 }, stillForMs: 10_000 } },
    { name: 'moves again after a stall: turning at once', f: { counter: 9, seen: { counter: 7, sinceMs: 1_000 }, nowMs: 11_000, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: 9, sinceMs: 11_000 }, stillForMs: 0 } },
    { name: 'clock read before the last look (never negative)', f: { counter: 7, seen: { counter: 7, sinceMs: 1_000 }, nowMs: 900, boundMs: 1_500 }, want: { state: 'Turning', seen: { counter: 7, sinceMs: 1_000 }, stillForMs: 0 } },
  ])('$name', ({ f, want }) => {
    expect(judgeMainLoop(f)).toEqual(want);
  });

  it('refuses a bound that is not positive, naming it', () => {
    expect(() => judgeMainLoop({ counter: 1, nowMs: 0, boundMs: 0 })).toThrow(/main-loop bound must be positive/);
  });
});
