import { describe, expect, it } from 'vitest';
import { healthWriteAt, type HealthWriteFacts } from './healthWriteAt.js';

const base = { nowMs: 100_000, minIntervalMs: 10_000, refreshMs: 60_000, retryMs: 1_000 };

describe('healthWriteAt: changes soon, at most one write per interval, a refresh per minute, retries with backoff', () => {
  it.each<{ name: string; f: Omit<HealthWriteFacts, keyof typeof base> & Partial<typeof base>; at: number }>([
    { name: 'never written: now', f: { key: 'a' }, at: 100_000 },
    { name: 'changed, last write long ago: already due (write now)', f: { key: 'b', written: { key: 'a', atMs: 50_000 } }, at: 60_000 },
    { name: 'changed 3 s after the last write: 10 s after it', f: { key: 'b', written: { key: 'a', atMs: 97_000 } }, at: 107_000 },
    { name: 'unchanged: at the refresh', f: { key: 'a', written: { key: 'a', atMs: 97_000 } }, at: 157_000 },
    { name: 'unchanged and the refresh is overdue: already due (write now)', f: { key: 'a', written: { key: 'a', atMs: 30_000 } }, at: 90_000 },
    { name: 'first write failed just now: retry after 1 s', f: { key: 'a', failed: { atMs: 100_000, count: 1 } }, at: 101_000 },
    { name: 'fourth failure: 8 s', f: { key: 'a', failed: { atMs: 100_000, count: 4 } }, at: 108_000 },
    { name: 'many failures: backoff capped at the refresh', f: { key: 'a', failed: { atMs: 100_000, count: 30 } }, at: 160_000 },
    { name: 'a failure never brings a write before the change rule allows', f: { key: 'b', written: { key: 'a', atMs: 99_000 }, failed: { atMs: 99_500, count: 1 } }, at: 109_000 },
  ])('$name', ({ f, at }) => {
    expect(healthWriteAt({ ...base, ...f })).toBe(at);
  });

  it('a peer flapping every 600 ms for a minute costs one write per 10 s', () => {
    let written: { key: string; atMs: number } | undefined;
    let writes = 0;
    for (let now = 0; now < 60_000; now += 100) {
      const key = Math.floor(now / 600) % 2 ? 'dead' : 'alive';
      if (healthWriteAt({ ...base, nowMs: now, key, ...(written ? { written } : {}) }) <= now) {
        written = { key, atMs: now };
        writes++;
      }
    }
    expect(writes).toBe(6);
  });
});
