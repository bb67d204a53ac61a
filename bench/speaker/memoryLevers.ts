// Where an idle speaker's resident memory goes, and what V8 flags and allocator settings take off it at
// what cost (issue 11, goal 7). The e2e world of rss.ts (three nodes, seven addresses announced); for every
// variant (Node flags and environment) in turn, in MEM_ROUNDS interleaved rounds so host load hits them
// alike, all three speakers are restarted with it, then, once they see each other and announce every
// address again, 10 s of settling and a MEM_IDLE_MS window (default 30 s). Per speaker: CPU of one core by
// thread (/proc/<pid>/task), RSS and the memory map split (idleWindow.ts), and, per V8 isolate (the main
// thread and the membership worker, through threadMemoryPreload.mjs), the heap by space, code and
// bytecode, and every garbage-collection pause in the window (count, total, longest). Then that the
// variant still works: the client's ARP probe of one address, its owner SIGKILLed, and the time until
// the client sees the successor's MAC. Not run by CI. Prints JSON (bench/results/memoryLevers.json).
// Run: nice node --import tsx bench/speaker/memoryLevers.ts    (root; MEM_VARIANTS=chart,arena2 picks from
// the table below; MEM_ROUNDS, MEM_IDLE_MS; MEM_BEFORE_SPEAKER_MAIN=<another build's herald-speaker.mjs>
// adds the variants before and beforeArena2 running it)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpuTicks, memoryMap, threadSplit, threadStats } from './idleWindow.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round, summarize } from './stats.js';
import { announceIdleWorkload, expectedOwner, processMemory, sleep, startArpProbe, startBenchWorld } from './speakerBench.js';
import { IMAGE_NODE_FLAGS, waitFor } from '../../test/processes.js';
import { SPEAKER_MAIN } from '../../test/speaker/speakerWorld.js';

const log = progress('memoryLevers');
const idleMs = Number(process.env.MEM_IDLE_MS ?? 30_000);
const rounds = Number(process.env.MEM_ROUNDS ?? 2);
const PRELOAD = resolve(import.meta.dirname, 'threadMemoryPreload.mjs');
/** As the chart runs the speaker with its default 256Mi limit: the image's flags and a 160 MiB heap cap. */
const CHART = [...IMAGE_NODE_FLAGS, '--max-old-space-size=160'];
const without = (flags: readonly string[], prefix: string) => flags.filter((f) => !f.startsWith(prefix));

interface Variant { nodeFlags: readonly string[]; env?: Record<string, string>; speakerMain?: string }
/** Another build of the speaker bundle (e.g. a copy of main's) for the variants named before*. */
const BEFORE_MAIN = process.env.MEM_BEFORE_SPEAKER_MAIN;
const VARIANTS: Record<string, Variant> = {
  chart: { nodeFlags: CHART },
  ...(BEFORE_MAIN ? { before: { nodeFlags: CHART, speakerMain: BEFORE_MAIN }, beforeArena2: { nodeFlags: CHART, env: { MALLOC_ARENA_MAX: '2' }, speakerMain: BEFORE_MAIN } } : {}),
  // glibc gives each thread that allocates its own arena (up to 8 per core); freed memory stays in them.
  arena2: { nodeFlags: CHART, env: { MALLOC_ARENA_MAX: '2' } },
  arena1: { nodeFlags: CHART, env: { MALLOC_ARENA_MAX: '1' } },
  // Fixed thresholds turn off glibc's dynamic mmap threshold, which after the first large free keeps
  // allocations up to 32 MiB in the arenas (and their free space resident) instead of in mmaps.
  fixedThresholds: { nodeFlags: CHART, env: { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' } },
  arena1Fixed: { nodeFlags: CHART, env: { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' } },
  semi1: { nodeFlags: [...without(CHART, '--max-semi-space-size'), '--max-semi-space-size=1'] },
  // V8's platform threads (concurrent marking, compilation): 4 by default.
  pool1: { nodeFlags: [...CHART, '--v8-pool-size=1'] },
  singleThreadedGc: { nodeFlags: [...CHART, '--single-threaded-gc'] },
  noOpt: { nodeFlags: [...CHART, '--max-lazy', '--no-opt'] },
  liteMode: { nodeFlags: [...CHART, '--lite-mode'] },
};
const names = (process.env.MEM_VARIANTS ?? 'chart,arena2,semi1,pool1').split(',').filter(Boolean);
for (const n of names) if (!VARIANTS[n]) throw new Error(`unknown variant ${n}; known: ${Object.keys(VARIANTS).join(', ')}`);

interface ThreadFile {
  thread: string;
  atMs: number;
  spaces: Record<string, { sizeMiB: number; usedMiB: number; residentMiB: number }>;
  heap: Record<string, number>;
  code: Record<string, number>;
  process?: Record<string, number>;
  pauses: [number, number, string][];
}

/** The preload's latest file per thread of one process. */
function threadFiles(dir: string, pid: number): ThreadFile[] {
  const out: ThreadFile[] = [];
  for (const thread of ['main', 'worker1']) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, `${pid}-${thread}.json`), 'utf8')) as ThreadFile);
    } catch {
      // not written yet, or no worker (--membership-thread main)
    }
  }
  return out;
}

/** Pauses that ended inside [from, to]: count, total and longest by kind, and p99 over all kinds. */
function pausesIn(f: ThreadFile, from: number, to: number): Record<string, unknown> {
  const inWindow = f.pauses.filter(([end]) => end >= from && end <= to);
  const byKind: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  for (const [, ms, kind] of inWindow) {
    const k = (byKind[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count++;
    k.totalMs = round(k.totalMs + ms, 2);
    k.maxMs = Math.max(k.maxMs, ms);
  }
  return { byKind, all: summarize(inWindow.map(([, ms]) => ms), 2) };
}

const started = Date.now();
const env = machine();
const statsDir = mkdtempSync('/tmp/hrl-memlevers-');
const bw = await startBenchWorld({ log });
const results: Record<string, unknown>[] = [];
let failure: string | undefined;
try {
  const { world } = bw;
  const ips = await announceIdleWorkload(world, bw.names);
  const v4 = ips.filter((ip) => !ip.includes(':'));
  let kills = 0;
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const v = VARIANTS[name]!;
      for (const s of [...world.speakers.values()]) await s.proc.stop(5_000);
      world.speakerNodeFlags = v.nodeFlags;
      world.speakerMain = v.speakerMain ?? SPEAKER_MAIN;
      world.speakerEnv = { ...v.env, NODE_OPTIONS: `--import=${PRELOAD}`, HERALD_THREAD_MEMORY_DIR: statsDir };
      for (const n of world.lan.nodes) await world.startSpeaker(n);
      await world.waitForMembership(60_000);
      await waitFor('every address announced again', async () => {
        let announced = 0;
        for (const s of world.speakers.values()) {
          for (const m of (await world.speakerMetrics(s.node)).matchAll(/^herald_speaker_addresses_announced\{[^}]*\} (\d+)$/gm)) announced += Number(m[1]);
        }
        return announced === ips.length;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      log(`round ${r + 1}, ${name}: speakers up and announcing; settling 10 s, then ${idleMs / 1000} s idle`);
      await sleep(10_000);
      const procs = [...world.speakers.values()].map((s) => ({ node: s.node.name, pid: s.proc.pid }));
      const before = procs.map((p) => ({ ticks: cpuTicks(p.pid), threads: threadStats(p.pid) }));
      const load = loadAverage();
      const t0 = Date.now();
      await sleep(idleMs);
      // The preload writes every 2 s: wait for a file written after the window.
      await sleep(2_500);
      const t1 = t0 + idleMs;
      const seconds = idleMs / 1000;
      const speakers = procs.map((p, i) => {
        const files = threadFiles(statsDir, p.pid);
        return {
          node: p.node,
          cpuPercentOfOneCore: round(((cpuTicks(p.pid) - before[i]!.ticks) / 100 / (seconds + 2.5)) * 100, 2),
          cpuByThread: threadSplit(before[i]!.threads, threadStats(p.pid), seconds + 2.5),
          rssMiB: mib(processMemory(p.pid)?.rssKiB ?? 0),
          memoryMap: memoryMap(p.pid),
          isolates: Object.fromEntries(files.map((f) => [f.thread, {
            heap: f.heap, spaces: f.spaces, code: f.code, ...(f.process ? { process: f.process } : {}), gcInWindow: pausesIn(f, t0, t1),
          }])),
        };
      });
      // Still answering and still failing over: the client probes an address, its owner is killed.
      const ip = v4[kills++ % v4.length]!;
      const owner = world.nodeByName(expectedOwner(bw.names, ip));
      const probe = startArpProbe(world.lan, { target: ip, intervalMs: 10, durationMs: 3_000 });
      await probe.ready;
      await sleep(300);
      const killedAt = Date.now();
      world.speakers.get(owner.name)!.proc.kill('SIGKILL');
      const result = await probe.done;
      const beforeKill = result.changes[0]?.mac;
      const moved = result.changes.find((c) => c.atEpochMs > killedAt && c.mac !== beforeKill);
      const row = {
        variant: name, round: r + 1, nodeFlags: v.nodeFlags, env: v.env ?? {}, speakerMain: world.speakerMain, loadAvgAtStart: load, loadAvgAtEnd: loadAverage(),
        rssMiB: summarize(speakers.map((s) => s.rssMiB)),
        cpuPercentOfOneCore: summarize(speakers.map((s) => s.cpuPercentOfOneCore), 2),
        failover: { address: ip, answeredBeforeKill: beforeKill !== undefined, killToClientNewMacMs: moved ? moved.atEpochMs - killedAt : null, sent: result.sent, answered: result.answered },
        speakers,
      };
      log(`round ${r + 1}, ${name}: RSS ${JSON.stringify(row.rssMiB)}, CPU ${JSON.stringify(row.cpuPercentOfOneCore)}, failover ${row.failover.killToClientNewMacMs} ms`);
      results.push(row);
    }
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await bw.stop();
  rmSync(statsDir, { recursive: true, force: true });
}

const byVariant = Object.fromEntries(names.map((n) => {
  const rows = results.filter((r) => r.variant === n) as { speakers: { rssMiB: number; cpuPercentOfOneCore: number; isolates: Record<string, { gcInWindow: { all: { max?: number } } }> }[]; failover: { killToClientNewMacMs: number | null } }[];
  const speakers = rows.flatMap((r) => r.speakers);
  return [n, {
    rssMiB: summarize(speakers.map((s) => s.rssMiB)),
    cpuPercentOfOneCore: summarize(speakers.map((s) => s.cpuPercentOfOneCore), 2),
    longestGcPauseMs: { main: summarize(speakers.map((s) => s.isolates.main?.gcInWindow.all.max), 2), worker: summarize(speakers.map((s) => s.isolates.worker1?.gcInWindow.all.max), 2) },
    killToClientNewMacMs: rows.map((r) => r.failover.killToClientNewMacMs),
  }];
}));
writeReport(process.env.MEM_REPORT ?? 'memoryLevers', {
  benchmark: 'idle herald-speaker memory by V8 isolate and the cost of memory levers (flags, allocator), 3 nodes, 7 addresses',
  setup: { rounds, idleWindowMs: idleMs, settleMs: 10_000, variants: Object.fromEntries(names.map((n) => [n, VARIANTS[n]])), speakerLogLevel: 'debug (the e2e world)', gcPauses: 'perf_hooks gc entries per isolate, ended inside the window' },
  byVariant,
  runs: results,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
