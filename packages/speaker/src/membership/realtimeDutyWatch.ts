import { readFileSync } from 'node:fs';
import { judgeRealtimeDutyCycle, NICE_SCHEDULING, type ThreadScheduling } from '@herald/core';
import type { Logger } from 'pino';
import { setThreadScheduling } from '../native/index.js';
import type { Timers } from './timers.js';

/** CPU time a thread of this process has used (ns, first field of its schedstat), or undefined once it is gone. */
export function threadCpuNs(tid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

export interface RealtimeDutyWatchOptions {
  readonly tid: number;
  readonly log: Logger;
  readonly timers: Timers;
  /** Monotonic ns. */
  readonly nowNs?: () => number;
  readonly cpuNs?: (tid: number) => number | undefined;
  readonly set?: (tid: number, s: ThreadScheduling) => void;
  /** The thread left real time: what it runs at now (undefined: as started). */
  readonly onDemoted: (now: ThreadScheduling | undefined) => void;
  readonly lookMs?: number;
}

/**
 * The bound on a real-time membership thread, kept from the main thread (a thread stuck in a loop cannot
 * watch itself): once a second it reads the thread's CPU time from /proc and judges it
 * (core judgeRealtimeDutyCycle); a thread that kept more than half a CPU busy for three looks in a row is
 * demoted for good to nice -10 (or to the default if even that is refused), and the watch ends.
 */
export class RealtimeDutyWatch {
  private timer: unknown;
  private last: { cpuNs: number; atNs: number } | undefined;
  private over = 0;

  constructor(private readonly o: RealtimeDutyWatchOptions) {}

  start(): void {
    this.last = this.sample();
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private sample(): { cpuNs: number; atNs: number } | undefined {
    const cpuNs = (this.o.cpuNs ?? threadCpuNs)(this.o.tid);
    return cpuNs === undefined ? undefined : { cpuNs, atNs: (this.o.nowNs ?? (() => Number(process.hrtime.bigint())))() };
  }

  private schedule(): void {
    this.timer = this.o.timers.setTimeout(() => this.look(), this.o.lookMs ?? 1_000);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private look(): void {
    this.timer = undefined;
    const now = this.sample();
    if (!now || !this.last) return; // the thread is gone: nothing left to bound
    const j = judgeRealtimeDutyCycle({ cpuNs: now.cpuNs - this.last.cpuNs, windowNs: now.atNs - this.last.atNs, overBefore: this.over });
    this.last = now;
    this.over = j.over;
    if (j.decision === 'Keep') return this.schedule();
    const set = this.o.set ?? setThreadScheduling;
    let demotedTo: ThreadScheduling | undefined;
    try {
      set(this.o.tid, NICE_SCHEDULING);
      demotedTo = NICE_SCHEDULING;
    } catch {
      try {
        // Lowering to the default needs no privilege; only a thread that ended refuses it.
        set(this.o.tid, { policy: 'other', nice: 0 });
      } catch {
        return;
      }
    }
    this.o.log.error(
      { event: 'membershipThreadDemoted', tid: this.o.tid, cpuShare: Math.round(j.share * 100) / 100, looks: j.over, now: demotedTo ?? 'default' },
      `the real-time membership thread kept ${Math.round(j.share * 100)} % of a CPU busy for ${j.over} looks in a row: demoted for good to ${demotedTo?.policy === 'other' ? `nice ${demotedTo.nice}` : 'normal priority'} so that it cannot starve the node`,
    );
    this.o.onDemoted(demotedTo);
  }
}
