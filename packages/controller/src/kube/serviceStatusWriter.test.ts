import { pino } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceStatusWriter } from './serviceStatusWriter.js';

// A narrow unit test: the apiserver is a scripted function (real-apiserver behaviour is in
// test/controller/statusWrites.test.ts); timers are fake so backoff is checked to the millisecond.

class ApiError extends Error {
  constructor(readonly code: number, readonly headers: Record<string, string> = {}) {
    super(`HTTP ${code}`);
  }
}

function setup(script: (call: number, status: object) => Promise<{ metadata: { resourceVersion: string } }>) {
  const registry = new Registry();
  const metrics = {
    failures: new Counter({ name: 'f', help: 'f', labelNames: ['kind', 'reason'], registers: [registry] }),
    backoffObjects: new Gauge({ name: 'g', help: 'g', labelNames: ['kind', 'reason', 'state'], registers: [registry] }),
  };
  const calls: { at: number; status: object }[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const writer = new ServiceStatusWriter({
    apply: (_ns, _name, status) => {
      calls.push({ at: Date.now(), status });
      return script(calls.length, status);
    },
    release: (_ns, _name, types) => {
      calls.push({ at: Date.now(), status: { release: types } });
      return script(calls.length, { release: types });
    },
    event: (_t, type, reason, message) => events.push({ type, reason, message }),
    log: pino({ level: 'silent' }),
    metrics,
    initialBackoffMs: 1_000,
    maxBackoffMs: 8_000,
    random: () => 0,
  });
  const gauge = async () => (await metrics.backoffObjects.get()).values.reduce((n, v) => n + v.value, 0);
  return { writer, calls, events, gauge, metrics };
}

const ok = (rv: string) => Promise.resolve({ metadata: { resourceVersion: rv } });
const target = (resourceVersion = '1') => ({ namespace: 'ns', name: 'web', resourceVersion });

describe('ServiceStatusWriter', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('writes once and reports the resourceVersion it produced', async () => {
    const { writer, calls } = setup(() => ok('7'));
    await expect(writer.apply(target(), { a: 1 })).resolves.toEqual({ outcome: 'written', resourceVersion: '7' });
    expect(calls).toHaveLength(1);
  });

  it('coalesces: while one write is in flight, only the newest of later states is sent next', async () => {
    let release!: () => void;
    const { writer, calls } = setup((n) => (n === 1 ? new Promise((r) => (release = () => r({ metadata: { resourceVersion: '2' } }))) : ok(String(n + 1))));
    const first = writer.apply(target(), { v: 1 });
    const second = writer.apply(target(), { v: 2 });
    const third = writer.apply(target(), { v: 3 });
    release();
    await expect(second).resolves.toEqual({ outcome: 'superseded' });
    await expect(first).resolves.toEqual({ outcome: 'superseded' });
    await expect(third).resolves.toEqual({ outcome: 'written', resourceVersion: '3' });
    expect(calls.map((c) => c.status)).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('a 403 backs off exponentially to the cap, with one Warning event, and recovers with one Normal event', async () => {
    let forbidden = true;
    const { writer, calls, events, gauge } = setup((n) => (forbidden ? Promise.reject(new ApiError(403)) : ok(String(n))));
    const done = writer.apply(target(), { v: 1 });
    await vi.advanceTimersByTimeAsync(40_000);
    // Attempts at 0, 1, 3, 7, 15, 23, 31, 39 s: delays 1, 2, 4, 8 (cap), 8, 8, 8.
    expect(calls.map((c) => c.at / 1000)).toEqual([0, 1, 3, 7, 15, 23, 31, 39]);
    expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'StatusWriteFailed', message: expect.stringContaining('Forbidden 403') })]);
    expect(await gauge()).toBe(1);
    expect(writer.failingCount()).toBe(1);
    forbidden = false;
    await vi.advanceTimersByTimeAsync(8_000);
    await expect(done).resolves.toMatchObject({ outcome: 'written' });
    expect(events.map((e) => e.reason)).toEqual(['StatusWriteFailed', 'StatusWriteRecovered']);
    expect(await gauge()).toBe(0);
    expect(writer.failingCount()).toBe(0);
  });

  it('new content during a 403 backoff keeps the scheduled delay instead of hammering', async () => {
    const { writer, calls } = setup(() => Promise.reject(new ApiError(403)));
    void writer.apply(target(), { v: 1 });
    await vi.advanceTimersByTimeAsync(1_500); // attempts at 0 and 1 s; next at 3 s
    void writer.apply(target('2'), { v: 2 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls.map((c) => c.status)).toEqual([{ v: 1 }, { v: 1 }, { v: 2 }]);
  });

  it('honours Retry-After on 429', async () => {
    const { writer, calls } = setup((n) => (n === 1 ? Promise.reject(new ApiError(429, { 'retry-after': '3' })) : ok('2')));
    const done = writer.apply(target(), { v: 1 });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toMatchObject({ outcome: 'written' });
    expect(calls.map((c) => c.at)).toEqual([0, 3_000]);
  });

  it('a 422 stops retrying until the Service changes, then tries again at once', async () => {
    let invalid = true;
    const { writer, calls, events, gauge } = setup((n) => (invalid ? Promise.reject(new ApiError(422)) : ok(String(n))));
    await expect(writer.apply(target('1'), { v: 1 })).resolves.toEqual({ outcome: 'stopped', reason: 'Invalid' });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
    // The same content for the same object version: still stopped, nothing sent.
    await expect(writer.apply(target('1'), { v: 1 })).resolves.toEqual({ outcome: 'stopped', reason: 'Invalid' });
    expect(calls).toHaveLength(1);
    expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'StatusWriteFailed', message: expect.stringContaining('not retrying') })]);
    expect(await gauge()).toBe(1);
    invalid = false;
    await expect(writer.apply(target('5'), { v: 1 })).resolves.toMatchObject({ outcome: 'written' });
    expect(calls).toHaveLength(2);
    expect(await gauge()).toBe(0);
  });

  it('a 422 stop is lifted by new content too', async () => {
    const { writer, calls } = setup((n) => (n === 1 ? Promise.reject(new ApiError(422)) : ok('2')));
    await writer.apply(target('1'), { v: 1 });
    await expect(writer.apply(target('1'), { v: 2 })).resolves.toMatchObject({ outcome: 'written' });
    expect(calls.map((c) => c.status)).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('a 404 drops the write: the Service is gone', async () => {
    const { writer, calls, events } = setup(() => Promise.reject(new ApiError(404)));
    await expect(writer.apply(target(), { v: 1 })).resolves.toEqual({ outcome: 'gone' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('dropAll() forgets queued and backing-off writes; an in-flight answer is ignored', async () => {
    let release!: () => void;
    const { writer, calls, gauge } = setup((n) => (n === 1 ? Promise.reject(new ApiError(500)) : new Promise((r) => (release = () => r({ metadata: { resourceVersion: 'x' } })))));
    const a = writer.apply({ namespace: 'ns', name: 'a' }, { v: 1 });
    await vi.advanceTimersByTimeAsync(0);
    const b = writer.apply({ namespace: 'ns', name: 'b' }, { v: 1 });
    expect(await gauge()).toBe(1);
    writer.dropAll();
    await expect(a).resolves.toEqual({ outcome: 'dropped' });
    await expect(b).resolves.toEqual({ outcome: 'dropped' });
    release();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    expect(await gauge()).toBe(0);
    expect(writer.failingCount()).toBe(0);
  });

  it('forget() stops the retries of a deleted Service', async () => {
    const { writer, calls } = setup(() => Promise.reject(new ApiError(503)));
    void writer.apply(target(), { v: 1 });
    await vi.advanceTimersByTimeAsync(0);
    writer.forget('ns/web');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });
});
