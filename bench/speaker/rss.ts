// Speaker memory in the e2e world, idle: three nodes, the e2e test's pool, a dual-stack Service and five
// IPv4 ones (as speaker.e2e.test.ts makes), then 10 s of nothing. VmRSS/VmHWM from /proc/<pid>/status of
// each herald-speaker (and the controller, for scale), sampled 5 times 1 s apart; the speakers' own
// process_resident_memory_bytes and heap figures from /metrics as a cross-check.
// RSS_SPEAKER_ARGS adds speaker flags (e.g. "--membership-thread main" to compare with membership in its
// worker thread, the default); RSS_REPORT names the report (default rss).
// Run: node --import tsx bench/speaker/rss.ts     (root)
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round, summarize } from './stats.js';
import { announceIdleWorkload, processMemory, sleep, startBenchWorld } from './speakerBench.js';

const log = progress('rss');
const started = Date.now();
const env = machine();
const speakerArgs = (process.env.RSS_SPEAKER_ARGS ?? '').split(' ').filter(Boolean);
const bw = await startBenchWorld({ log, ...(speakerArgs.length > 0 ? { speakerArgs } : {}) });
const figures: Record<string, unknown> = {};
let failure: string | undefined;
try {
  const { world, names } = bw;
  // After start: membership settled, caches synced, nothing to announce yet.
  await sleep(5_000);
  const empty = Object.fromEntries([...world.speakers.values()].map((s) => [s.node.name, processMemory(s.proc.pid)?.rssKiB]));
  const ips = await announceIdleWorkload(world, names);
  log(`${ips.length} addresses announced; idling 10 s`);
  await sleep(10_000);
  const samples = new Map<string, { rss: number[]; hwm: number[] }>();
  for (let i = 0; i < 5; i++) {
    for (const s of world.speakers.values()) {
      const m = processMemory(s.proc.pid);
      if (!m) continue;
      const e = samples.get(s.node.name) ?? { rss: [], hwm: [] };
      e.rss.push(m.rssKiB);
      e.hwm.push(m.hwmKiB);
      samples.set(s.node.name, e);
    }
    await sleep(1_000);
  }
  const perSpeaker: Record<string, unknown> = {};
  for (const s of world.speakers.values()) {
    const text = await world.speakerMetrics(s.node);
    const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    const e = samples.get(s.node.name)!;
    perSpeaker[s.node.name] = {
      rssMiB: mib(Math.max(...e.rss)),
      vmHwmMiB: mib(Math.max(...e.hwm)),
      rssWithNothingAnnouncedMiB: empty[s.node.name] === undefined ? null : mib(empty[s.node.name]!),
      announcing: metric('herald_speaker_addresses_announced'),
      metricResidentMiB: round(metric('herald_speaker_process_resident_memory_bytes') / 2 ** 20, 1),
      heapUsedMiB: round(metric('herald_speaker_nodejs_heap_size_used_bytes') / 2 ** 20, 1),
      heapTotalMiB: round(metric('herald_speaker_nodejs_heap_size_total_bytes') / 2 ** 20, 1),
      externalMiB: round(metric('herald_speaker_nodejs_external_memory_bytes') / 2 ** 20, 1),
    };
  }
  const controller = processMemory(world.controller.proc.pid);
  figures.speakerRssMiB = summarize([...samples.values()].map((e) => mib(Math.max(...e.rss))));
  figures.perSpeaker = perSpeaker;
  figures.controllerRssMiB = controller ? mib(controller.rssKiB) : null;
  figures.addresses = ips.length;
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await bw.stop();
}

writeReport(process.env.RSS_REPORT ?? 'rss', {
  benchmark: 'herald-speaker RSS in the e2e world, idle',
  setup: { nodes: 3, services: 'web (dual-stack) + spread1..5 (IPv4) → 7 addresses', sampled: 'VmRSS/VmHWM from /proc/<pid>/status, max of 5 samples 1 s apart after 10 s idle', logLevel: 'debug (as the e2e world runs it)', speakerArgs },
  ...figures,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
