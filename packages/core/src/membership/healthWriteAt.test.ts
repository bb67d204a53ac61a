import { describe, expect, it } from 'vitest';
import { healthWriteAt, type HealthWriteFacts } from './healthWriteAt.js';

const base = { nowMs: 100_000, settleMs: 2_000, minIntervalMs: 10_000, burst: 3, refreshMs: 60_000, retryMs: 1_000, recentWritesMs: [] as number[] };
type Row = { name: string; f: Omit<HealthWriteFacts, keyof typeof base> & Partial<typeof base>; at: number };

describe('healthWriteAt: a change once it lasts 2 s, at most 3 writes per 30 s, a refresh per minute, retries with backoff', () => {
  it.each<Row>([
    { name: 'never written, started just now: once settled', f: { key: 'a', differentSinceMs: 100_000 }, at: 102_000 },
    { name: 'never written, started 5 s ago: due already (write now)', f: { key: 'a', differentSinceMs: 95_000 }, at: 97_000 },
    { name: 'changed just now, last write long ago: once settled', f: { key: 'b', written: { key: 'a', atMs: 50_000 }, recentWritesMs: [50_000], differentSinceMs: 100_000 }, at: 102_000 },
    { name: 'changed 3 s ago: due already', f: { key: 'b', written: { key: 'a', atMs: 50_000 }, recentWritesMs: [50_000], differentSinceMs: 97_000 }, at: 99_000 },
    { name: 'changed, 2 writes in the last 30 s: once settled (a problem and its repair both show)', f: { key: 'b', written: { key: 'a', atMs: 97_000 }, recentWritesMs: [90_000, 97_000], differentSinceMs: 99_000 }, at: 101_000 },
    { name: 'changed, 3 writes in the last 30 s: 30 s after the oldest of them', f: { key: 'b', written: { key: 'a', atMs: 97_000 }, recentWritesMs: [80_000, 90_000, 97_000], differentSinceMs: 99_000 }, at: 110_000 },
    { name: 'unchanged: at the refresh', f: { key: 'a', written: { key: 'a', atMs: 97_000 }, recentWritesMs: [97_000] }, at: 157_000 },
    { name: 'unchanged and the refresh is overdue: due already', f: { key: 'a', written: { key: 'a', atMs: 30_000 }, recentWritesMs: [30_000] }, at: 90_000 },
    { name: 'first write failed just now: retry after 1 s', f: { key: 'a', differentSinceMs: 90_000, failed: { atMs: 100_000, count: 1 } }, at: 101_000 },
    { name: 'fourth failure: 8 s', f: { key: 'a', differentSinceMs: 90_000, failed: { atMs: 100_000, count: 4 } }, at: 108_000 },
    { name: 'many failures: backoff capped at the refresh', f: { key: 'a', differentSinceMs: 90_000, failed: { atMs: 100_000, count: 30 } }, at: 160_000 },
    { name: 'a failure never brings a write before the burst rule allows', f: { key: 'b', written: { key: 'a', atMs: 99_000 }, recentWritesMs: [80_000, 90_000, 99_000], differentSinceMs: 99_500, failed: { atMs: 99_500, count: 1 } }, at: 110_000 },
  ])('$name', ({ f, at }) => {
    expect(healthWriteAt({ ...base, ...f })).toBe(at);
  });

  /** Drives healthWriteAt as the speaker's writer does, every 100 ms for a minute; returns the writes. */
  function drive(keyAt: (now: number) => string): { atMs: number; key: string }[] {
    const writes: { atMs: number; key: string }[] = [];
    let written: { key: string; atMs: number } | undefined;
    let differentSinceMs: number | undefined = 0;
    for (let now = 0; now < 60_000; now += 100) {
      const key = keyAt(now);
      if (written && written.key === key) differentSinceMs = undefined;
      else differentSinceMs ??= now;
      const recentWritesMs = writes.slice(-base.burst).map((w) => w.atMs);
      if (healthWriteAt({ ...base, nowMs: now, key, recentWritesMs, ...(written ? { written } : {}), ...(differentSinceMs === undefined ? {} : { differentSinceMs }) }) <= now) {
        written = { key, atMs: now };
        differentSinceMs = undefined;
        writes.push(written);
      }
    }
    return writes;
  }

  it('a peer that joins (Joining for 300 ms, then Healthy) is one write of the settled state', () => {
    expect(drive((now) => (now < 20_000 ? 'healthy-2' : now < 20_300 ? 'joining-3' : 'healthy-3'))).toEqual([{ atMs: 2_000, key: 'healthy-2' }, { atMs: 22_000, key: 'healthy-3' }]);
  });

  it('a problem and its repair a few seconds later both show within 2 s', () => {
    expect(drive((now) => (now >= 20_000 && now < 25_000 ? 'cut-off' : 'healthy'))).toEqual([{ atMs: 2_000, key: 'healthy' }, { atMs: 22_000, key: 'cut-off' }, { atMs: 27_000, key: 'healthy' }]);
  });

  it('blips shorter than 2 s are not written', () => {
    expect(drive((now) => (now % 5_000 < 3_500 ? 'healthy' : 'peer-dead')).map((w) => w.key)).toEqual(['healthy']);
  });

  it('a health that keeps changing (a peer flapping over seconds) costs at most 3 writes per 30 s', () => {
    const writes = drive((now) => String(Math.floor(now / 2_500)));
    expect(writes.length).toBeGreaterThan(3);
    writes.slice(3).forEach((w, i) => expect(w.atMs - writes[i]!.atMs).toBeGreaterThanOrEqual(30_000));
  });
});
