import { describe, expect, it } from 'vitest';
import { heartbeatHeardAt } from './heartbeatHeardAt.js';

const stall = { fromMs: 1_000, wokeMs: 1_300 };

describe('heartbeatHeardAt', () => {
  it.each([
    { name: 'no stall of ours: now', nowMs: 5_000, previousMs: 4_900, expected: 5_000 },
    { name: 'a stall long ago: now', nowMs: 5_000, previousMs: 4_900, stall, expected: 5_000 },
    { name: 'one interval after waking: now again', nowMs: 1_400, previousMs: 1_200, stall, expected: 1_400 },
    { name: 'read on waking, the first queued one: an interval after the last heard before the stall', nowMs: 1_300, previousMs: 980, stall, expected: 1_080 },
    { name: 'read on waking, the third queued one: counted from the second', nowMs: 1_300, previousMs: 1_180, stall, expected: 1_280 },
    { name: 'read on waking, a fourth from a node that crashed at 1,269: never after now', nowMs: 1_300, previousMs: 1_280, stall, expected: 1_300 },
    { name: 'the node was silent before the stall (lost heartbeats): not before the stall began', nowMs: 1_300, previousMs: 500, stall, expected: 1_000 },
    { name: 'never heard before: when the stall began', nowMs: 1_300, stall, expected: 1_000 },
    { name: 'read 40 ms after waking (a loaded host drains slowly): still counted', nowMs: 1_340, previousMs: 980, stall, expected: 1_080 },
  ])('$name', ({ nowMs, previousMs, stall: s, expected }) => {
    expect(heartbeatHeardAt({ nowMs, intervalMs: 100, ...(previousMs === undefined ? {} : { previousMs }), ...(s ? { stall: s } : {}) })).toBe(expected);
  });
});
