// Where an idle speaker's and controller's CPU and memory go (issue 11, goal 7). The e2e world of rss.ts
// (three nodes, seven addresses announced); after PROFILE_IDLE_MS (default 30 s) of idling: CPU% from /proc,
// the memory map split into the node binary's pages (shared by every Node process on a host) and the rest,
// and V8's heap by space from /metrics. PROFILE_CPU=1 runs every herald process under cpuWindowPreload.mjs
// and sums the idle window's CPU profile by function and by package (self time; the profiler's own
// sampling inflates CPU%, so take CPU% from a run without it). PROFILE_HEAP=1 writes heap snapshots
// (SIGUSR1) next to the profiles for DevTools. The binaries run as bundles (one file), so for the CPU
// profile's split by package run the unbundled build: HERALD_SPEAKER_MAIN=packages/speaker/dist/main.js
// HERALD_CONTROLLER_MAIN=packages/controller/dist/main.js (absolute paths).
// PROFILE_CPU=threads profiles every thread instead, the membership worker included (node --cpu-prof, one
// profile per thread written at exit, cut to the idle window by the samples' monotonic timestamps).
// Every run prints each process's CPU by thread (main, the membership worker, V8's and libuv's workers)
// and its wake-ups per second, from /proc/<pid>/task. PROFILE_MEMBERSHIP_THREAD=main runs membership on
// the main thread (--membership-thread main), PROFILE_LOG_LEVEL the speakers' log level.
// PROFILE_NODES: nodes (default 3). PROFILE_TREND_WINDOWS=n: n windows measured by thread before the profiled one
// (an idle speaker's CPU falls for minutes while V8 still compiles). Wake-ups are voluntary context switches
// (sleepsPerS), which a loaded host does not inflate as it does time slices (wakeupsPerS).
// Run: nice node --import tsx bench/speaker/idleProfile.ts    (root)
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpuTicks, memoryMap, threadSplit, threadStats } from './idleWindow.js';
import { join, resolve } from 'node:path';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round } from './stats.js';
import { announceIdleWorkload, processMemory, sleep, startBenchWorld } from './speakerBench.js';
import { HERALD_NODE_FLAGS, waitFor } from '../../test/processes.js';

const log = progress('idleProfile');
const idleMs = Number(process.env.PROFILE_IDLE_MS ?? 30_000);
const profileDir = mkdtempSync('/tmp/hrl-profile-');
process.env.HERALD_CPU_PROF_DIR = profileDir;
// Inherited by the controller and the speakers (the control plane's Go binaries ignore it).
const profileCpu = process.env.PROFILE_CPU === '1';
const profileThreads = process.env.PROFILE_CPU === 'threads';
process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS ?? '', ...(profileCpu ? [`--import=${resolve(import.meta.dirname, 'cpuWindowPreload.mjs')}`] : []),
  ...(profileThreads ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ...(process.env.PROFILE_HEAP === '1' ? ['--heapsnapshot-signal=SIGUSR1', `--diagnostic-dir=${profileDir}`] : [])].join(' ').trim();

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }

/**
 * Self time by function (and by package) as a share of the busy samples: an idle process is (idle) in
 * ~99 % of samples, so shares of all samples would round every function to 0. busyPercent is the share of
 * samples not (idle), an upper bound on CPU% since the profiler's own sampling is in it.
 */
function summarizeProfile(file: string, top = 15, window?: { fromUs: number; toUs: number }): { samples: number; busyPercent: number; byFunction: [string, number][]; byArea: [string, number][] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; startTime: number; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const count = new Map<number, number>();
  let at = profile.startTime;
  let samples = 0;
  for (const [i, s] of profile.samples.entries()) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    samples++;
    count.set(s, (count.get(s) ?? 0) + 1);
  }
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let busy = 0;
  for (const [id, hits] of count) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    busy += hits;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const name = `${n.callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + hits);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/packages/') ? `herald:${/packages\/([^/]+)\/(?:dist|src)\/([^/]+)/.exec(url)?.slice(1).join('/')}` : url.startsWith('node:') ? 'node core' : n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : 'native (send, writev, crypto, …)');
    area.set(pkg, (area.get(pkg) ?? 0) + hits);
  }
  const pct = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, round((v / Math.max(busy, 1)) * 100, 1)] as [string, number]);
  return { samples, busyPercent: round((busy / Math.max(samples, 1)) * 100, 2), byFunction: pct(fn), byArea: pct(area) };
}

/** A heap snapshot summed by node type (code, strings, objects, …) and by constructor name, self sizes in MiB. */
function summarizeHeap(file: string, top = 15): { totalMiB: number; byType: [string, number][]; byName: [string, number][] } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const types = snap.snapshot.meta.node_types[0];
  const byType = new Map<string, number>();
  const byName = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const size = snap.nodes[i + sizeAt]!;
    total += size;
    byType.set(type, (byType.get(type) ?? 0) + size);
    const name = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt]!]}` : type;
    byName.set(name, (byName.get(name) ?? 0) + size);
  }
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, round(v / 2 ** 20, 2)] as [string, number]);
  return { totalMiB: round(total / 2 ** 20, 1), byType: list(byType), byName: list(byName) };
}

const started = Date.now();
const env = machine();
// PROFILE_LOG_LEVEL=info runs the speakers at the chart's level (the e2e world's default is debug).
const logLevel = process.env.PROFILE_LOG_LEVEL ?? 'debug';
const membershipThread = process.env.PROFILE_MEMBERSHIP_THREAD ?? 'worker';
// PROFILE_SPEAKER_ARGS: more speaker flags, e.g. "--heartbeat-interval 400" (the heartbeat rate is most of the idle cost).
const extraArgs = (process.env.PROFILE_SPEAKER_ARGS ?? '').split(' ').filter((a) => a !== '');
// PROFILE_NODES: more nodes than the e2e world's three (each a speaker on the same LAN).
const nodes = Number(process.env.PROFILE_NODES ?? 3);
const bw = await startBenchWorld({ log, nodes, speakerArgs: ['--log-level', logLevel, ...(membershipThread === 'main' ? ['--membership-thread', 'main'] : []), ...extraArgs] });
/** Membership datagrams a speaker sent and accepted so far (version 2 and version 1), from its /metrics. */
const datagrams = (text: string) => {
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  return {
    sent: sum('herald_membership_swim_datagrams_sent_total') + sum('herald_membership_heartbeats_sent_total'),
    received: sum('herald_membership_swim_datagrams_received_total') + sum('herald_membership_heartbeats_received_total'),
    // Logged at debug (heartbeatRejected) or dropped quietly (replays, our own, old incarnations).
    rejectedOrDropped: sum('herald_membership_heartbeats_rejected_total') + sum('herald_membership_swim_datagrams_dropped_total'),
  };
};
// PROFILE_TREND_WINDOWS: windows of PROFILE_IDLE_MS measured (by thread, from /proc) before the one profiled.
const trendWindows = Number(process.env.PROFILE_TREND_WINDOWS ?? 0);
/** A process's split by thread, one line each: % of one core and voluntary sleeps a second. */
const threadSplitShort = (split: ReturnType<typeof threadSplit>) => Object.fromEntries(Object.entries(split).filter(([, v]) => v.cpuPercentOfOneCore >= 0.01).map(([k, v]) => [k, `${v.cpuPercentOfOneCore} % ${v.sleepsPerS}/s`]));
const hrUs = () => Number(process.hrtime.bigint() / 1000n);
let idleWindowUs: { fromUs: number; toUs: number } | undefined;
const profiled: { name: string; pid: number }[] = [];
const figures: Record<string, unknown> = { profileDir };
let failure: string | undefined;
try {
  const { world, names } = bw;
  const ips = await announceIdleWorkload(world, names);
  const announcedAt = Date.now();
  log(`${ips.length} addresses announced; settling 10 s, then ${trendWindows} windows of ${idleMs / 1000} s for the trend, then ${idleMs / 1000} s idle`);
  await sleep(10_000);
  const procs = [...[...world.speakers.values()].map((s) => ({ name: `speaker ${s.node.name}`, pid: s.proc.pid, node: s.node })), { name: 'controller', pid: world.controller.proc.pid, node: undefined }];
  // An idle speaker's CPU falls for minutes after start-up while V8 still compiles its hot functions
  // (Maglev, then TurboFan, in V8's helper threads): the trend shows where the measured window sits on it.
  const trend: Record<string, unknown>[] = [];
  for (let w = 0; w < trendWindows; w++) {
    const b = procs.map((p) => threadStats(p.pid));
    const at = Date.now();
    await sleep(idleMs);
    const s = (Date.now() - at) / 1000;
    trend.push({ sinceAnnouncedS: round((at - announcedAt) / 1000), loadAvg: loadAverage(), ...Object.fromEntries(procs.filter((p) => p.node).map((p, i) => [p.name, threadSplitShort(threadSplit(b[i]!, threadStats(p.pid), s))])) });
  }
  figures.trend = trend;
  // Start the idle window: the profiles so far (start-up) go to <pid>-0, the idle window to <pid>-1.
  if (profileCpu) for (const p of procs) process.kill(p.pid, 'SIGUSR2');
  const datagramsBefore = await Promise.all(procs.map(async (p) => (p.node ? datagrams(await world.speakerMetrics(p.node)) : undefined)));
  const before = procs.map((p) => cpuTicks(p.pid));
  const threadsBefore = procs.map((p) => threadStats(p.pid));
  const t0 = Date.now();
  const fromUs = hrUs();
  await sleep(idleMs);
  const seconds = (Date.now() - t0) / 1000;
  const threadsAfter = procs.map((p) => threadStats(p.pid));
  idleWindowUs = { fromUs, toUs: hrUs() };
  profiled.push(...procs.map((p) => ({ name: p.name, pid: p.pid })));
  const out: Record<string, unknown> = {};
  for (const [i, p] of procs.entries()) {
    const metrics = p.node ? await world.speakerMetrics(p.node) : await world.controller.metrics();
    const prefix = p.node ? 'herald_speaker_' : 'herald_controller_';
    const heapSpaces = Object.fromEntries([...metrics.matchAll(new RegExp(`^${prefix}nodejs_heap_space_size_used_bytes\\{space="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], round(Number(m[2]) / 2 ** 20, 1)]));
    const spaceTotals = Object.fromEntries([...metrics.matchAll(new RegExp(`^${prefix}nodejs_heap_space_size_total_bytes\\{space="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], round(Number(m[2]) / 2 ** 20, 1)]).filter(([, v]) => v !== 0));
    const metric = (name: string) => round(Number(new RegExp(`^${prefix}${name} (\\S+)$`, 'm').exec(metrics)?.[1]) / 2 ** 20, 1);
    out[p.name] = {
      cpuPercentOfOneCore: round(((cpuTicks(p.pid) - before[i]!) / 100 / seconds) * 100, 2),
      byThread: threadSplit(threadsBefore[i]!, threadsAfter[i]!, seconds),
      ...(p.node ? { membershipDatagramsPerS: ((d0, d1) => ({ sent: round((d1.sent - d0.sent) / seconds, 1), received: round((d1.received - d0.received) / seconds, 1), rejectedOrDropped: round((d1.rejectedOrDropped - d0.rejectedOrDropped) / seconds, 1) }))(datagramsBefore[i]!, datagrams(metrics)) } : {}),
      rssMiB: mib(processMemory(p.pid)?.rssKiB ?? 0),
      heapUsedMiB: metric('nodejs_heap_size_used_bytes'),
      heapTotalMiB: metric('nodejs_heap_size_total_bytes'),
      externalMiB: metric('nodejs_external_memory_bytes'),
      memoryMap: memoryMap(p.pid),
      heapUsedBySpaceMiB: Object.fromEntries(Object.entries(heapSpaces).filter(([, v]) => v !== 0)),
      heapReservedBySpaceMiB: spaceTotals,
    };
    if (profileCpu) process.kill(p.pid, 'SIGUSR2');
    if (process.env.PROFILE_HEAP === '1') process.kill(p.pid, 'SIGUSR1');
  }
  if (profileCpu) {
    await waitFor('the CPU profiles', () => procs.every((p) => readdirSync(profileDir).includes(`${p.pid}-1.cpuprofile`)), { timeoutMs: 30_000, intervalMs: 200 });
    for (const p of procs) {
      const file = join(profileDir, `${p.pid}-1.cpuprofile`);
      (out[p.name] as Record<string, unknown>).cpuProfileIdle = { file, ...summarizeProfile(file) };
    }
  }
  if (process.env.PROFILE_HEAP === '1') {
    // One speaker's and the controller's snapshots are enough to see where the heap goes.
    for (const p of [procs[0]!, procs.at(-1)!]) {
      let file: string | undefined;
      await waitFor(`${p.name}'s heap snapshot`, () => (file = readdirSync(profileDir).find((f) => f.endsWith('.heapsnapshot') && f.includes(`.${p.pid}.`))) !== undefined, { timeoutMs: 60_000, intervalMs: 500 });
      await sleep(3_000); // written in one go, but give it time to finish
      (out[p.name] as Record<string, unknown>).heap = { file: join(profileDir, file!), ...summarizeHeap(join(profileDir, file!)) };
    }
  }
  figures.processes = out;
  figures.idleWindowS = round(seconds);
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await bw.stop();
}
if (profileThreads && idleWindowUs && !failure) {
  // Written by each thread as it ends: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile (thread 0 is main).
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  const out = figures.processes as Record<string, Record<string, unknown>>;
  for (const p of profiled) {
    const mine = files.filter((f) => f.split('.')[3] === String(p.pid));
    out[p.name]!.cpuProfileIdleByThread = Object.fromEntries(mine.map((f) => [`thread ${f.split('.')[4]}`, { file: join(profileDir, f), ...summarizeProfile(join(profileDir, f), 15, idleWindowUs) }]));
  }
}

writeReport(process.env.PROFILE_REPORT ?? 'idleProfile', {
  benchmark: 'where an idle speaker and controller spend CPU and memory',
  setup: { nodes, addresses: 7, profiler: profileThreads ? 'every thread (--cpu-prof)' : profileCpu, membershipThread, speakerArgs: extraArgs, nodeOptions: process.env.NODE_OPTIONS, speakerLogLevel: logLevel, controllerLogLevel: 'debug (the e2e world)', nodeFlags: HERALD_NODE_FLAGS },
  ...figures,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
