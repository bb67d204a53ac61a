// Preload of bench/speaker/memoryLevers.ts (NODE_OPTIONS=--import=<this file>; Node runs it in the main
// thread and again in every worker thread started from a file, so the membership worker too). Each thread
// writes, every HERALD_THREAD_MEMORY_MS (default 2,000 ms), $HERALD_THREAD_MEMORY_DIR/<pid>-<thread>.json:
// V8's heap by space (size, used, physically resident), its heap and code statistics, and the garbage
// collections it ran since it started (count, total and longest pause by kind, from perf_hooks 'gc'
// entries), so a bench can take the difference over an idle window. The timer is unref'd: it never keeps
// a thread alive, and at 2 s it adds nothing a 0.1 % CPU figure could see.
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { getHeapCodeStatistics, getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.HERALD_THREAD_MEMORY_DIR;
const everyMs = Number(process.env.HERALD_THREAD_MEMORY_MS ?? 2_000);
const thread = isMainThread ? 'main' : `worker${threadId}`;
const MiB = 2 ** 20;
const round = (bytes) => Math.round((bytes / MiB) * 100) / 100;

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
/** By kind: pauses seen, their sum and the longest, in ms; `pauses` keeps every pause's end and length for windows. */
const gc = {};
const pauses = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[e.detail?.kind] ?? String(e.detail?.kind);
    const k = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count++;
    k.totalMs += e.duration;
    k.maxMs = Math.max(k.maxMs, e.duration);
    pauses.push([Math.round(performance.timeOrigin + e.startTime + e.duration), Math.round(e.duration * 1000) / 1000, kind]);
    if (pauses.length > 5_000) pauses.splice(0, pauses.length - 5_000);
  }
}).observe({ entryTypes: ['gc'] });

function write() {
  const h = getHeapStatistics();
  const c = getHeapCodeStatistics();
  const out = {
    pid: process.pid,
    thread,
    atMs: Date.now(),
    spaces: Object.fromEntries(getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, { sizeMiB: round(s.space_size), usedMiB: round(s.space_used_size), residentMiB: round(s.physical_space_size) }])),
    heap: {
      totalResidentMiB: round(h.total_physical_size), usedMiB: round(h.used_heap_size), limitMiB: round(h.heap_size_limit),
      mallocedMiB: round(h.malloced_memory), peakMallocedMiB: round(h.peak_malloced_memory), externalMiB: round(h.external_memory),
    },
    code: { codeMiB: round(c.code_and_metadata_size), bytecodeMiB: round(c.bytecode_and_metadata_size), scriptSourceMiB: round(c.external_script_source_size) },
    ...(isMainThread ? { process: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, round(v)])) } : {}),
    gc,
    pauses,
  };
  const file = join(dir, `${process.pid}-${thread}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(out));
  renameSync(`${file}.tmp`, file);
}

if (dir) {
  setInterval(() => {
    try {
      write();
    } catch {
      // the directory is gone: the bench ended
    }
  }, everyMs).unref();
}
