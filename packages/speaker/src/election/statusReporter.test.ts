import { DEFAULT_STATUS_WRITE_WINDOW, type ElectionResult, type LBAddress, type LBAddressStatusPatch, type NodeFacts, type StatusWriteWindowLimits } from '@herald/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import { createSpeakerMetrics } from '../metrics.js';
import { StatusReporter } from './statusReporter.js';

// The queueing rules of StatusReporter with a narrow fake writer (the real API server version is
// test/speaker/statusRace.test.ts): bounded, coalesced per object, one in flight per object, backoff.
const node = (name: string): NodeFacts => ({ name, labels: {}, networkUnavailable: false, member: true, draining: false, interfaces: [] });
const noOwner = (message: string): ElectionResult => ({ owner: undefined, reason: 'NoL2Advertisement', message, ranked: [], excluded: new Map() });
const lba = (name: string, rv: string, status?: LBAddress['status']): LBAddress => ({ metadata: { name, resourceVersion: rv }, spec: { address: name, pool: 'p', services: [] }, ...(status ? { status } : {}) });

function setup(o: { fail?: (call: number) => Error | undefined; window?: StatusWriteWindowLimits } = {}) {
  const addresses = new Map<string, LBAddress>();
  const calls: { name: string; status: LBAddressStatusPatch; rv: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const writer = {
    patchStatus: (name: string, status: LBAddressStatusPatch, rv: string) => new Promise<LBAddress>((resolve, reject) => {
      const call = {
        name, status, rv, reject,
        resolve: () => {
          const before = addresses.get(name)!;
          resolve({ ...before, metadata: { ...before.metadata, resourceVersion: `${rv}+` }, status: status as LBAddress['status'] });
        },
      };
      calls.push(call);
      const e = o.fail?.(calls.length);
      if (e) reject(e);
    }),
    read: vi.fn(),
  } as unknown as LBAddressWriter;
  const reporter = new StatusReporter({ node: 'a', log: pino({ level: 'silent' }), metrics: createSpeakerMetrics(new Registry()), writer, addresses, services: new Map(), window: o.window ?? FIXED_4, retry: { initialMs: 1_000, maxMs: 8_000 } });
  const round = (message: string) => reporter.observe([...addresses.values()].map((obj) => ({ obj, ip: obj.spec.address, result: noOwner(message) })), [node('a'), node('b')], new Map());
  return { addresses, calls, reporter, round };
}
/** The old fixed limit: the queueing tests below count exactly 4 in flight. */
const FIXED_4: StatusWriteWindowLimits = { min: 4, max: 4, slowMs: 1_000 };
const tick = () => new Promise((r) => setImmediate(r));
/** Answers every write promptly until the window is at its maximum; returns how many writes were answered. */
async function answerUntilWindowFull(t: ReturnType<typeof setup>): Promise<number> {
  let settled = 0;
  for (let guard = 0; guard < 100 && t.reporter.sizes().inFlight < DEFAULT_STATUS_WRITE_WINDOW.max; guard++) {
    const open = t.calls.slice(settled);
    settled = t.calls.length;
    for (const c of open) c.resolve();
    await tick();
    await tick();
  }
  return settled;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('StatusReporter', () => {
  it('500 objects and 100 rounds of the same facts: at most 4 writes in flight, one per object, 500 in all', async () => {
    const t = setup();
    for (let i = 0; i < 500; i++) t.addresses.set(`x${i}`, lba(`x${i}`, '1'));
    for (let r = 0; r < 100; r++) t.round('no L2Advertisement');
    expect(t.calls).toHaveLength(4);
    // The queue is a set of names: never more entries than objects, whatever the number of rounds.
    expect(t.reporter.sizes()).toMatchObject({ dirty: 500, inFlight: 4 });
    let settled = 0;
    for (let guard = 0; guard < 1_000 && settled < t.calls.length; guard++) {
      const open = t.calls.slice(settled);
      settled = t.calls.length;
      for (const c of open) c.resolve();
      await tick();
      await tick();
      t.round('no L2Advertisement');
      expect(t.reporter.sizes().inFlight).toBeLessThanOrEqual(4);
    }
    expect(t.calls).toHaveLength(500);
    expect(new Set(t.calls.map((c) => c.name)).size).toBe(500);
    expect(t.reporter.sizes()).toMatchObject({ dirty: 0, inFlight: 0, written: 500 });
  });

  it('a backlog with a prompt API server widens the writes in flight up to the window\'s maximum, never beyond', async () => {
    // Issue 11: a fixed 4 in flight wrote 16–36 statuses a second after a takeover of 10,000 addresses.
    const t = setup({ window: DEFAULT_STATUS_WRITE_WINDOW });
    for (let i = 0; i < 500; i++) t.addresses.set(`x${i}`, lba(`x${i}`, '1'));
    t.round('no L2Advertisement');
    let settled = 0;
    let most = 0;
    for (let guard = 0; guard < 1_000 && settled < t.calls.length; guard++) {
      most = Math.max(most, t.reporter.sizes().inFlight);
      const open = t.calls.slice(settled);
      settled = t.calls.length;
      for (const c of open) c.resolve();
      await tick();
      await tick();
    }
    expect({ most, writes: t.calls.length, distinct: new Set(t.calls.map((c) => c.name)).size }).toEqual({ most: DEFAULT_STATUS_WRITE_WINDOW.max, writes: 500, distinct: 500 });
  });

  it('halves the writes in flight when the API server throttles (429), down to the minimum', async () => {
    const t = setup({ window: DEFAULT_STATUS_WRITE_WINDOW });
    for (let i = 0; i < 500; i++) t.addresses.set(`x${i}`, lba(`x${i}`, '1'));
    t.round('no L2Advertisement');
    const settled = await answerUntilWindowFull(t);
    expect(t.reporter.sizes().inFlight).toBe(DEFAULT_STATUS_WRITE_WINDOW.max);
    const open = t.calls.slice(settled);
    for (const c of open) c.reject(Object.assign(new Error('Too Many Requests'), { code: 429 }));
    await tick();
    await tick();
    expect(t.reporter.sizes().inFlight).toBe(DEFAULT_STATUS_WRITE_WINDOW.min);
    t.reporter.stop();
  });

  it('a connection reset (no HTTP answer, a string code) narrows the window as a throttle does', async () => {
    const t = setup({ window: DEFAULT_STATUS_WRITE_WINDOW });
    for (let i = 0; i < 500; i++) t.addresses.set(`x${i}`, lba(`x${i}`, '1'));
    t.round('no L2Advertisement');
    const settled = await answerUntilWindowFull(t);
    const open = t.calls.slice(settled);
    for (const c of open) c.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await tick();
    await tick();
    expect(t.reporter.sizes().inFlight).toBe(DEFAULT_STATUS_WRITE_WINDOW.min);
    t.reporter.stop();
  });

  it('a failover\'s status goes before a backlog of routine writes', async () => {
    const t = setup();
    for (let i = 0; i < 500; i++) t.addresses.set(`x${i}`, lba(`x${i}`, '1'));
    t.round('no L2Advertisement');
    expect(t.calls).toHaveLength(4);
    // Node b, named by this status, no longer answers: users read a wrong owner until it is written.
    t.addresses.set('moved', lba('moved', '1', { node: 'b', interface: 'eth0', mac: '02:00:00:00:00:0b', conditions: [{ type: 'Announced', status: 'True', reason: 'Announcing', message: 'announced by b on eth0', lastTransitionTime: '2026-01-01T00:00:00Z' }] }));
    t.round('no L2Advertisement');
    for (const c of t.calls.slice(0, 4)) c.resolve();
    await tick();
    await tick();
    expect(t.calls[4]?.name).toBe('moved');
  });

  it('coalesces: while a write is in flight, newer facts replace the queued body (the latest wins)', async () => {
    const t = setup();
    t.addresses.set('x', lba('x', '1'));
    t.round('first');
    t.round('second');
    t.round('third');
    expect(t.calls.map((c) => c.status.conditions?.[0]?.message)).toEqual(['first']);
    t.calls[0]!.resolve();
    await tick();
    await tick();
    expect(t.calls.map((c) => c.status.conditions?.[0]?.message)).toEqual(['first', 'third']);
    expect(t.calls[1]!.rv).toBe('1+');
  });

  it('backs off per object after a failure and retries with the latest facts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const t = setup({ fail: (n) => (n <= 2 ? Object.assign(new Error('connection refused'), { code: undefined }) : undefined) });
    t.addresses.set('x', lba('x', '1'));
    t.round('m');
    await tick();
    expect(t.calls).toHaveLength(1);
    for (let i = 0; i < 50; i++) t.round('m');
    await tick();
    expect(t.calls).toHaveLength(1);
    // Jitter at its top: waits of exactly 1 s, then 2 s.
    await vi.advanceTimersByTimeAsync(999);
    await tick();
    expect(t.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await tick();
    expect(t.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_999);
    await tick();
    expect(t.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await tick();
    expect(t.calls).toHaveLength(3);
  });

  it('keeps no copy of its own write once the cache holds it, whichever of the watch and the response comes first', async () => {
    // With thousands of owned addresses, a copy kept per write was ~750 bytes each (bench/speaker/heapBreakdown.ts).
    const t = setup();
    t.addresses.set('x', lba('x', '1'));
    t.addresses.set('y', lba('y', '1'));
    t.round('m');
    expect(t.calls.map((c) => c.name)).toEqual(['x', 'y']);
    // x: the watch delivers the written version before the write's response.
    t.addresses.set('x', { ...lba('x', '1+'), status: t.calls[0]!.status as LBAddress['status'] });
    t.reporter.recheck('x');
    t.calls[0]!.resolve();
    // y: the response first, then the watch.
    t.calls[1]!.resolve();
    await tick();
    await tick();
    expect(t.reporter.sizes().written).toBe(1);
    t.addresses.set('y', { ...lba('y', '1+'), status: t.calls[1]!.status as LBAddress['status'] });
    t.reporter.recheck('y');
    expect(t.reporter.sizes().written).toBe(0);
    // Nothing was written twice.
    expect(t.calls).toHaveLength(2);
  });

  it('forgets everything about a deleted LBAddress', async () => {
    const t = setup();
    t.addresses.set('x', lba('x', '1'));
    t.round('m');
    t.calls[0]!.resolve();
    await tick();
    t.addresses.delete('x');
    t.reporter.forget('x');
    expect(Object.values(t.reporter.sizes()).every((n) => n === 0)).toBe(true);
  });
});
