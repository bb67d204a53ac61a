import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { residentAnonKiB, startFreePageRelease } from './freePageRelease.js';

function recordingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  return { log, lines };
}

describe('startFreePageRelease', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('releases once after firstAfterMs, then every everyMs, logging the resident memory around each call', () => {
    const release = vi.fn(() => true);
    const { log, lines } = recordingLog();
    let anon = 1_000;
    const stop = startFreePageRelease({ release, log, firstAfterMs: 15_000, everyMs: 60_000, residentAnonKiB: () => (anon -= 100) });
    vi.advanceTimersByTime(14_999);
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(release).toHaveBeenCalledTimes(1);
    expect(lines[0]).toMatchObject({ event: 'freePagesReleased', released: true, anonBeforeKiB: 900, anonAfterKiB: 800 });
    vi.advanceTimersByTime(59_999);
    expect(release).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(release).toHaveBeenCalledTimes(2);
    stop();
    vi.advanceTimersByTime(600_000);
    expect(release).toHaveBeenCalledTimes(2);
  });

  it('stops before the first release too', () => {
    const release = vi.fn(() => true);
    const stop = startFreePageRelease({ release, log: recordingLog().log, firstAfterMs: 1_000 });
    stop();
    vi.advanceTimersByTime(3_600_000);
    expect(release).not.toHaveBeenCalled();
  });

  it('logs a failing release as a warning and keeps going', () => {
    let calls = 0;
    const { log, lines } = recordingLog();
    const stop = startFreePageRelease({ release: () => { calls++; throw new Error('no addon'); }, log, firstAfterMs: 10, everyMs: 10 });
    vi.advanceTimersByTime(30);
    stop();
    expect(calls).toBe(3);
    expect(lines.map((l) => l.event)).toEqual(['freePagesReleaseFailed', 'freePagesReleaseFailed', 'freePagesReleaseFailed']);
  });
});

describe('residentAnonKiB', () => {
  it("reads this process's RssAnon", () => {
    const kib = residentAnonKiB();
    expect(kib).toBeGreaterThan(1_024);
    expect(kib! * 1024).toBeLessThan(process.memoryUsage().rss);
  });
});
