import { describe, expect, it } from 'vitest';
import { claimHandling, conflictResponse, DEFAULT_CONFLICT_LIMITS, type ConflictMemory } from './conflictResponse.js';

const limits = DEFAULT_CONFLICT_LIMITS;
const mem = (actedAtMs: number, eventAtMs: number, suppressed = 0): ConflictMemory => ({ actedAtMs, eventAtMs, suppressed });

describe('conflictResponse', () => {
  it.each([
    ['the first claim acts and records an Event', undefined, 0, { act: true, event: true, suppressedBefore: 0 }],
    ['a claim 10 ms later is only counted', mem(0, 0), 10, { act: false, event: false, suppressedBefore: 0 }],
    ['a claim a second later acts again but records no Event', mem(0, 0, 5), 1_000, { act: true, event: false, suppressedBefore: 0 }],
    ['a claim a minute later records an Event that counts the quiet ones', mem(59_500, 0, 42), 60_000, { act: false, event: true, suppressedBefore: 42 }],
    ['a claim a minute after the last action does both', mem(0, 0, 3), 60_000, { act: true, event: true, suppressedBefore: 3 }],
  ] as const)('%s', (_name, memory, nowMs, expected) => {
    expect(conflictResponse({ nowMs, memory, limits })).toMatchObject(expected);
  });

  it('10,000 claims from 10,000 MACs within 10 s: ≤ 11 actions and 1 Event, constant memory', () => {
    let memory: ConflictMemory | undefined;
    let acts = 0;
    let events = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = conflictResponse({ nowMs: i, memory, limits });
      memory = r.memory;
      if (r.act) acts++;
      if (r.event) events++;
    }
    expect(acts).toBe(10);
    expect(events).toBe(1);
    expect(memory?.suppressed).toBe(9_999);
    const next = conflictResponse({ nowMs: 60_000, memory, limits });
    expect(next).toMatchObject({ event: true, suppressedBefore: 9_999 });
    expect(next.memory.suppressed).toBe(0);
  });
});

describe('claimHandling', () => {
  it.each([
    ['a foreign MAC: a conflict now', false, false, { step: 'respond' }],
    ['a herald node held dead: a conflict now (it must see our claim to learn we live)', false, true, { step: 'respond' }],
    ['a live peer: wait out the grace (the elections agree again on their own)', true, false, { step: 'wait', untilMs: 12_000 }],
    ['a live peer again while waiting: nothing more', true, true, { step: 'waiting' }],
  ] as const)('%s', (_name, fromLivePeer, waiting, expected) => {
    expect(claimHandling({ fromLivePeer, waiting, nowMs: 10_000, limits })).toEqual(expected);
  });
});
