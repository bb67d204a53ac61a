import { describe, expect, it } from 'vitest';
import { chooseIncarnation } from './incarnation.js';
import { SentLog } from './sentLog.js';

describe('chooseIncarnation', () => {
  it.each([
    { name: 'no previous incarnation: the start time', now: 1_700_000_000_000, previous: undefined, want: 1_700_000_000_000 },
    { name: 'an older previous one: the start time', now: 1_700_000_000_000, previous: 1_600_000_000_000, want: 1_700_000_000_000 },
    { name: 'a clock stepped back below the previous one: previous + 1', now: 1_000, previous: 1_700_000_000_000, want: 1_700_000_000_001 },
    { name: 'the same millisecond as the previous one: previous + 1', now: 5_000, previous: 5_000, want: 5_001 },
    { name: 'a fractional clock: floored', now: 5_000.9, previous: undefined, want: 5_000 },
  ])('$name', ({ now, previous, want }) => {
    expect(chooseIncarnation(now, previous)).toBe(want);
  });

  it('refuses a clock that is not a positive ms timestamp', () => {
    expect(() => chooseIncarnation(0)).toThrow(RangeError);
    expect(() => chooseIncarnation(Number.NaN)).toThrow(RangeError);
  });
});

describe('SentLog', () => {
  it('remembers the last `capacity` sequences and forgets older ones', () => {
    const log = new SentLog(4);
    for (let s = 1; s <= 6; s++) log.record(s, 1000 + s);
    expect([1, 2, 3, 4, 5, 6, 7].map((s) => log.sentAt(s))).toEqual([undefined, undefined, 1003, 1004, 1005, 1006, undefined]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new SentLog(0)).toThrow(RangeError);
  });
});
