import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { threadSchedulingRefusal, type ThreadScheduling } from '@herald/core';
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

/** A SCHED_DEADLINE thread's budget as the kernel returns it (chrt -p: sched_getattr), ns. */
function deadlineBudget(tid: number): { policy: string; runtime: number; deadline: number; period: number } {
  const out = execFileSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
  const budget = /runtime\/deadline\/period parameters: (\d+)\/(\d+)\/(\d+)/.exec(out);
  return {
    policy: /scheduling policy: (\S+)/.exec(out)![1]!,
    runtime: Number(budget?.[1]),
    deadline: Number(budget?.[2]),
    period: Number(budget?.[3]),
  };
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

  it('sets one thread to SCHED_DEADLINE with a budget, reset on fork: a thread it starts runs as normal; it ends as any thread', async () => {
    // The deadline thread starts a worker of its own (pthread_create from it): without
    // SCHED_FLAG_RESET_ON_FORK the kernel refuses a deadline thread's clone (EAGAIN).
    const worker = new Worker(`
      const { parentPort, Worker } = require('node:worker_threads');
      const addon = require(${JSON.stringify(ADDON)});
      addon.setThreadScheduling(0, 'deadline', 2000000, 10000000, 10000000);
      const child = new Worker(${JSON.stringify(`require('node:worker_threads').parentPort.postMessage(require(${JSON.stringify(ADDON)}).threadId()); setInterval(() => {}, 1000)`)}, { eval: true });
      child.once('message', (childTid) => parentPort.postMessage([addon.threadId(), childTid]));
      child.once('error', (e) => parentPort.postMessage(String(e)));
      setInterval(() => {}, 1000);
    `, { eval: true, name: 'deadline-probe' });
    workers.push(worker);
    const got = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(Array.isArray(got), String(got)).toBe(true);
    const [tid, childTid] = got as [number, number];
    expect(scheduling(tid)).toMatchObject({ policy: 6, rtPriority: 0 });
    expect(deadlineBudget(tid)).toEqual({ policy: 'SCHED_DEADLINE|SCHED_RESET_ON_FORK', runtime: 2_000_000, deadline: 10_000_000, period: 10_000_000 });
    expect(scheduling(childTid)).toEqual({ policy: 0, rtPriority: 0, nice: 0 });
    expect(scheduling(process.pid)).toEqual({ policy: 0, rtPriority: 0, nice: 0 });
    workers.splice(workers.indexOf(worker), 1);
    expect(await worker.terminate()).toBe(1);
    expect(() => scheduling(tid)).toThrow(/ENOENT/);
  });

  it('admission control: budgets past what the host admits are refused with EBUSY (not admitted), and an ended thread\'s budget is free again', async () => {
    // A whole CPU each (runtime = deadline = period): the kernel admits deadline threads up to 95 % of each
    // CPU (less what it keeps for normal threads), so of as many threads as CPUs at least the last is refused.
    const whole: ThreadScheduling = { policy: 'deadline', runtimeUs: 100_000, deadlineUs: 100_000, periodUs: 100_000 };
    const outcomes: (string | undefined)[] = [];
    const threads = await Promise.all(Array.from({ length: availableParallelism() }, () => thread({ rr: false, busyMs: 0 })));
    workers.push(...threads.map((t) => t.worker));
    for (const t of threads) {
      try {
        setThreadScheduling(t.tid, whole);
        outcomes.push(undefined);
        expect(scheduling(t.tid).policy).toBe(6);
      } catch (e) {
        expect(e).toMatchObject({ syscall: 'sched_setattr' });
        outcomes.push((e as { code?: string }).code);
        expect(scheduling(t.tid).policy).toBe(0);
      }
    }
    const refused = outcomes.filter((c) => c !== undefined);
    expect(outcomes[0], 'the first whole-CPU budget is admitted (unless others hold deadline bandwidth on this host)').toBeUndefined();
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['EBUSY']));
    expect(threadSchedulingRefusal(whole, refused[0])).toEqual({ reason: 'NotAdmitted', detail: expect.stringMatching(/^not admitted: the deadline threads on this host already hold/) });
    // A runtime longer than the period is no budget at all: EINVAL, before admission.
    expect(() => setThreadScheduling(threads[0]!.tid, { policy: 'deadline', runtimeUs: 20_000, deadlineUs: 10_000, periodUs: 10_000 })).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'sched_setattr' }));
    // The admitted threads end: their bandwidth goes back (at the end of their period) and a refused one is admitted.
    const admitted = threads.filter((_t, i) => outcomes[i] === undefined);
    const later = threads[outcomes.indexOf('EBUSY')]!;
    for (const t of admitted) {
      workers.splice(workers.indexOf(t.worker), 1);
      await t.worker.terminate();
    }
    await waitFor('the ended threads\' deadline bandwidth to be free again', () => {
      try {
        setThreadScheduling(later.tid, whole);
        return true;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EBUSY') throw e;
        return false;
      }
    }, { timeoutMs: 5_000, intervalMs: 20 });
    expect(scheduling(later.tid).policy).toBe(6);
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
