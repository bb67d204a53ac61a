// Idle cost of a process as a user's node sees it, read from /proc the same way for herald's Node processes
// and MetalLB's Go ones (idleProfile.ts, idleCompare.ts): CPU time over a window, resident memory, and the
// resident memory split by mapping (a Node process's largest file mapping is the node binary itself).
import { readdirSync, readFileSync } from 'node:fs';
import { mib } from './stats.js';

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** Resident memory by mapping: the executable's file pages (node or the Go binary), other files, and anonymous (heap, stacks, malloc). */
export function memoryMap(pid: number): Record<string, number> {
  const out = { executableMiB: 0, otherFilesMiB: 0, anonymousMiB: 0, privateMiB: 0, sharedMiB: 0, pssMiB: 0 };
  let exe = '';
  try {
    exe = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    // gone; the caller sees zeros
  }
  let kind: 'exe' | 'file' | 'anon' = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1] ?? '';
      kind = path.endsWith('/bin/node') || (exe !== '' && path === exe) ? 'exe' : path.startsWith('/') ? 'file' : 'anon';
      continue;
    }
    const field = /^(Rss|Pss|Private_Clean|Private_Dirty|Shared_Clean|Shared_Dirty):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    const kib = Number(field[2]);
    if (field[1] === 'Rss') {
      if (kind === 'exe') out.executableMiB += kib;
      else if (kind === 'file') out.otherFilesMiB += kib;
      else out.anonymousMiB += kib;
    } else if (field[1] === 'Pss') out.pssMiB += kib;
    else if (field[1]!.startsWith('Private')) out.privateMiB += kib;
    else out.sharedMiB += kib;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, mib(v)]));
}

/**
 * Per thread of a process: name (comm), ns on a CPU, time slices, and voluntary context switches, from
 * /proc/<pid>/task/<tid>/. A slice is also counted each time the thread is preempted and resumed, so on a
 * loaded host slices overstate wake-ups; voluntary switches (the thread blocked: it went back to epoll)
 * count the wake-ups alone, whatever the load.
 */
export function threadStats(pid: number): Map<string, { name: string; runNs: number; waitNs: number; slices: number; sleeps: number; preemptions: number }> {
  const out = new Map<string, { name: string; runNs: number; waitNs: number; slices: number; sleeps: number; preemptions: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const sleeps = Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
      const preemptions = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
      out.set(tid, { name, runNs: run!, waitNs: wait!, slices: slices!, sleeps, preemptions });
    } catch {
      // a thread that just ended
    }
  }
  return out;
}

/**
 * Where a process's CPU went over a window, by thread name (the main thread is `main`; Node names the
 * membership worker's thread after the Worker's name, V8's GC/compiler workers `V8 Worker`, libuv's pool
 * `libuv-worker`): % of one core (CPU time, not wall time), time slices per second (wakeupsPerS, which a
 * loaded host inflates by preemptions) and voluntary sleeps per second (sleepsPerS: the wake-ups alone),
 * threads of one name summed. runQueueWaitPercent: time runnable but waiting for a CPU, % of the window
 * (what a raised priority shortens); preemptionsPerS: involuntary context switches (for a SCHED_DEADLINE
 * thread on a host with no other deadline thread, mostly its budget running out).
 */
export function threadSplit(before: ReturnType<typeof threadStats>, after: ReturnType<typeof threadStats>, seconds: number): Record<string, { cpuPercentOfOneCore: number; wakeupsPerS: number; sleepsPerS: number; runQueueWaitPercent: number; preemptionsPerS: number; threads: number }> {
  const by = new Map<string, { runNs: number; waitNs: number; slices: number; sleeps: number; preemptions: number; threads: number }>();
  for (const [tid, b] of after) {
    const a = before.get(tid) ?? { runNs: 0, waitNs: 0, slices: 0, sleeps: 0, preemptions: 0 };
    const e = by.get(b.name) ?? { runNs: 0, waitNs: 0, slices: 0, sleeps: 0, preemptions: 0, threads: 0 };
    by.set(b.name, {
      runNs: e.runNs + b.runNs - a.runNs, waitNs: e.waitNs + b.waitNs - a.waitNs, slices: e.slices + b.slices - a.slices,
      sleeps: e.sleeps + b.sleeps - a.sleeps, preemptions: e.preemptions + b.preemptions - a.preemptions, threads: e.threads + 1,
    });
  }
  return Object.fromEntries([...by].sort((x, y) => y[1].runNs - x[1].runNs).map(([name, v]) => [name, {
    cpuPercentOfOneCore: Math.round((v.runNs / 1e9 / seconds) * 100 * 100) / 100,
    wakeupsPerS: Math.round((v.slices / seconds) * 10) / 10,
    sleepsPerS: Math.round((v.sleeps / seconds) * 10) / 10,
    runQueueWaitPercent: Math.round((v.waitNs / 1e9 / seconds) * 100 * 100) / 100,
    preemptionsPerS: Math.round((v.preemptions / seconds) * 10) / 10,
    threads: v.threads,
  }]));
}
