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

/** One process's threads by name (comm): CPU and run-queue wait in % of wall time, mean wait per slice, nice. */
export interface ThreadWait {
  readonly threads: number;
  readonly cpuPercent: number;
  readonly waitingForCpuPercent: number;
  readonly meanWaitPerSliceMs: number;
  readonly nice: number[];
}

/** The comm and nice (field 19 of /proc/<pid>/task/<tid>/stat) of each thread of `pid`. */
function threadNames(pid: number): Map<string, { comm: string; nice: number }> {
  const out = new Map<string, { comm: string; nice: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      out.set(`${pid}:${tid}`, { comm: stat.slice(stat.indexOf('(') + 1, close), nice: Number(fields[16]) });
    } catch {
      // a thread that just ended
    }
  }
  return out;
}

/**
 * Run-queue wait of one process's threads grouped by name (Node names a worker thread by its `name`
 * option: the speaker's membership thread is `herald-membersh`; V8's helpers are `V8Worker`), between
 * two snapshots taken with schedSnapshot([pid]).
 */
export function threadWaitsByName(pid: number, before: SchedSnapshot, after: SchedSnapshot): Record<string, ThreadWait> {
  const windowS = (after.atMs - before.atMs) / 1000;
  const names = threadNames(pid);
  const sums = new Map<string, { threads: number; run: number; wait: number; slices: number; nice: Set<number> }>();
  for (const [key, b] of after.threads) {
    const a = before.threads.get(key);
    const t = names.get(key);
    if (!a || !t) continue;
    const s = sums.get(t.comm) ?? { threads: 0, run: 0, wait: 0, slices: 0, nice: new Set<number>() };
    s.threads++;
    s.run += b[0] - a[0];
    s.wait += b[1] - a[1];
    s.slices += b[2] - a[2];
    s.nice.add(t.nice);
    sums.set(t.comm, s);
  }
  const pct = (ns: number) => Math.round((ns / 1e9 / windowS) * 1000) / 10;
  return Object.fromEntries([...sums].map(([comm, s]) => [comm, {
    threads: s.threads,
    cpuPercent: pct(s.run),
    waitingForCpuPercent: pct(s.wait),
    meanWaitPerSliceMs: s.slices > 0 ? Math.round((s.wait / s.slices / 1e6) * 100) / 100 : 0,
    nice: [...s.nice].sort((x, y) => x - y),
  }]));
}
