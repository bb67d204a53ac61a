import { readdirSync, readFileSync } from 'node:fs';

/**
 * How much a set of processes was starved of CPU, from the kernel's per-thread scheduler statistics
 * (/proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns runnable but waiting on a run queue, time slices).
 * On a shared 2-core host forty speakers wait for a CPU far longer than they run; a timer that fires late
 * or a datagram read late is then the host's doing, not the speaker's code. Split into the main thread
 * (the event loop: heartbeats, elections, ARP replies) and the other threads (V8's GC and compiler
 * workers, libuv's pool): a parallel scavenge holds the main thread until its workers got a CPU too.
 */
export interface SchedSnapshot {
  readonly atMs: number;
  /** `pid:tid` → [ns on CPU, ns waiting on a run queue, time slices]. */
  readonly threads: ReadonlyMap<string, readonly [number, number, number]>;
}

export function schedSnapshot(pids: readonly number[]): SchedSnapshot {
  const threads = new Map<string, readonly [number, number, number]>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited
    }
    for (const tid of tids) {
      try {
        const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
        threads.set(`${pid}:${tid}`, [run!, wait!, slices!]);
      } catch {
        // a thread that just ended
      }
    }
  }
  return { atMs: Date.now(), threads };
}

export interface RunQueueWait {
  readonly processes: number;
  readonly windowS: number;
  /** Main threads: CPU used and time spent runnable but not running, each in % of wall time per process. */
  readonly mainCpuPercent: number;
  readonly mainWaitingForCpuPercent: number;
  /** Mean wait on the run queue each time a main thread became runnable (a timer due, a datagram in). */
  readonly mainMeanWaitPerWakeupMs: number;
  /** Every other thread (V8 GC and compiler workers, libuv): CPU and run-queue wait, % of wall time per process. */
  readonly otherThreadsCpuPercent: number;
  readonly otherThreadsWaitingForCpuPercent: number;
}

/** Threads present in both snapshots only (a process restarted in between is left out). */
export function runQueueWait(before: SchedSnapshot, after: SchedSnapshot): RunQueueWait {
  const windowS = (after.atMs - before.atMs) / 1000;
  const main = [0, 0, 0];
  const other = [0, 0, 0];
  const pids = new Set<string>();
  for (const [key, b] of after.threads) {
    const a = before.threads.get(key);
    if (!a) continue;
    const [pid, tid] = key.split(':');
    pids.add(pid!);
    const sum = pid === tid ? main : other;
    for (let i = 0; i < 3; i++) sum[i]! += b[i]! - a[i]!;
  }
  const n = Math.max(1, pids.size);
  const pct = (ns: number) => Math.round((ns / 1e9 / windowS / n) * 1000) / 10;
  return {
    processes: pids.size,
    windowS: Math.round(windowS * 10) / 10,
    mainCpuPercent: pct(main[0]!),
    mainWaitingForCpuPercent: pct(main[1]!),
    mainMeanWaitPerWakeupMs: main[2]! > 0 ? Math.round((main[1]! / main[2]! / 1e6) * 100) / 100 : 0,
    otherThreadsCpuPercent: pct(other[0]!),
    otherThreadsWaitingForCpuPercent: pct(other[1]!),
  };
}
