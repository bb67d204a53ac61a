import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeDutyWatch } from '../../packages/speaker/src/membership/realtimeDutyWatch.js';
import { realTimers } from '../../packages/speaker/src/membership/timers.js';
import { setThreadScheduling } from '../../packages/speaker/src/native/index.js';
import { waitFor } from '../processes.js';

const ADDON = fileURLToPath(new URL('../../packages/speaker/native/build/Release/herald_net.node', import.meta.url));

/** policy (field 41), rt_priority (40) and nice (19) of a thread of this process. */
function scheduling(tid: number): { policy: number; rtPriority: number; nice: number } {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { policy: Number(f[38]), rtPriority: Number(f[37]), nice: Number(f[16]) };
}

/**
 * A worker thread that reports its kernel id, raises itself to SCHED_RR priority 1 if asked, then either
 * sleeps, or runs `busyMs` out of every 10 ms (busy waiting, then Atomics.wait) — a real-time thread that
 * keeps more than half a CPU busy — until it is terminated.
 */
function thread(o: { rr: boolean; busyMs: number }): Promise<{ worker: Worker; tid: number }> {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const addon = require(${JSON.stringify(ADDON)});
    const tid = addon.threadId();
    if (${o.rr}) addon.setThreadScheduling(0, 'rr', 1);
    parentPort.postMessage(tid);
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const end = performance.now() + ${o.busyMs};
      while (performance.now() < end) {}
      Atomics.wait(cell, 0, 0, ${10 - o.busyMs});
    }
  `, { eval: true, name: 'duty-probe' });
  return new Promise((resolve, reject) => {
    worker.once('message', (tid: number) => resolve({ worker, tid }));
    worker.once('error', reject);
  });
}

describe('thread scheduling by thread id (herald_net) and the real-time membership thread\'s bound', () => {
  const workers: Worker[] = [];
  const watches: RealtimeDutyWatch[] = [];
  afterEach(async () => {
    for (const w of watches.splice(0)) w.stop();
    for (const w of workers.splice(0)) await w.terminate();
  });

  it('sets one thread to SCHED_RR priority 1 or to nice -10, and nothing else; refuses values out of range and unknown threads', async () => {
    const { worker, tid } = await thread({ rr: true, busyMs: 0 });
    workers.push(worker);
    expect(scheduling(tid)).toEqual({ policy: 2, rtPriority: 1, nice: 0 });
    expect(scheduling(process.pid)).toEqual({ policy: 0, rtPriority: 0, nice: 0 });
    setThreadScheduling(tid, { policy: 'other', nice: -10 });
    expect(scheduling(tid)).toEqual({ policy: 0, rtPriority: 0, nice: -10 });
    expect(() => setThreadScheduling(tid, { policy: 'rr', priority: 0 })).toThrow(/priority is 1 to 99/);
    expect(() => setThreadScheduling(tid, { policy: 'other', nice: -21 })).toThrow(/nice value is -20 to 19/);
    expect(() => setThreadScheduling(2 ** 22 + 12345, { policy: 'other', nice: 0 })).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'sched_setscheduler' }));
  });

  it('a real-time thread that keeps 70 % of a CPU busy is demoted to nice -10 after three one-second looks; an idle one is kept', async () => {
    const lines: { event?: string; cpuShare?: number; looks?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { event?: string }) });
    const busy = await thread({ rr: true, busyMs: 7 });
    const idle = await thread({ rr: true, busyMs: 0 });
    workers.push(busy.worker, idle.worker);
    const demoted: unknown[] = [];
    for (const t of [busy, idle]) {
      const w = new RealtimeDutyWatch({ tid: t.tid, log, timers: realTimers, onDemoted: (now) => demoted.push([t.tid, now]) });
      watches.push(w);
      w.start();
    }
    expect(scheduling(busy.tid)).toMatchObject({ policy: 2, rtPriority: 1 });
    await waitFor('the busy real-time thread to be demoted', () => demoted.length > 0, { timeoutMs: 10_000, intervalMs: 100 });
    expect(demoted).toEqual([[busy.tid, { policy: 'other', nice: -10 }]]);
    expect(scheduling(busy.tid)).toEqual({ policy: 0, rtPriority: 0, nice: -10 });
    const event = lines.filter((l) => l.event === 'membershipThreadDemoted');
    expect(event).toHaveLength(1);
    expect(event[0]!.looks).toBe(3);
    expect(event[0]!.cpuShare).toBeGreaterThan(0.5);
    // The idle thread has been looked at as often and stays real-time.
    expect(scheduling(idle.tid)).toEqual({ policy: 2, rtPriority: 1, nice: 0 });
  }, 20_000);
});
