// The status-write storm scenario of issue 8, as a soak: three nodes, one healthy address probed by ARP
// every 20 ms, and 500 Services in a pool that no L2Advertisement announces. Every 10 s it samples each
// speaker: LBAddress status writes (by result), VmRSS, event-loop lag p99 (prom-client's monitor) and its
// status queue. Prints writes in total and in steady state, the worst
// RSS and lag, and the probe's lost replies and answering MACs (the healthy owner must never change).
// writesAfterAllWritten: writes after every no-owner status was in place (steady state: should be 0).
// Run: node --import tsx bench/speaker/statusStorm.ts [--minutes 10]     (root)
import { parseArgs } from 'node:util';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round } from './stats.js';
import { processMemory, sleep, startArpProbe, startBenchWorld } from './speakerBench.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, services: { type: 'string', default: '500' } } });
const durationMs = Number(values.minutes) * 60_000;
const serviceCount = Number(values.services);
const SAMPLE_MS = 10_000;
const log = progress('statusStorm');
const started = Date.now();
const env = machine();
const bw = await startBenchWorld({ log });
const figures: Record<string, unknown> = {};
let failure: string | undefined;

const metric = (text: string, name: string, label = '') =>
  text.split('\n').filter((l) => l.startsWith(name) && (l[name.length] === '{' || l[name.length] === ' ') && l.includes(label)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

try {
  const { world } = bw;
  await world.pool('lan', ['192.0.2.200-192.0.2.220']);
  await world.readyPod('healthy', world.lan.nodes[0]!);
  await world.service('healthy');
  const [ip] = await world.waitForAddress('healthy');
  const owner = await world.announcer(ip!);
  const transitionsBefore = (await world.objects.lbAddress(ip!))?.status?.transitions ?? 0;
  const probe = startArpProbe(world.lan, { target: ip!, intervalMs: 20, durationMs });
  await probe.ready;
  let probeFinished = false;
  void probe.done.finally(() => (probeFinished = true)).catch(() => undefined);
  const t0 = Date.now();
  await world.objects.createPool('dark', { addresses: ['2001:db8:dd::1-2001:db8:dd::ffff'] });
  for (let i = 0; i < serviceCount; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, serviceCount - i) }, (_, j) => world.service(`dark${i + j}`, { pool: 'dark', families: ['IPv6'] })));
  }
  const createdAfterS = round((Date.now() - t0) / 1000);
  log(`${serviceCount} Services created in ${createdAfterS} s; sampling every ${SAMPLE_MS / 1000} s until ${values.minutes} min after the first`);
  const per = new Map<string, { writesWhenAllWritten?: number; writes: number; byResult: Record<string, number>; rssMaxMiB: number; lagP99MaxMs: number; queueMax: number }>();
  let allSaidAfterS: number | null = null;
  // Samples for as long as the probe runs (the whole soak, creation included), and at least once.
  do {
    await sleep(SAMPLE_MS);
    for (const s of world.speakers.values()) {
      const text = await world.speakerMetrics(s.node);
      const e = per.get(s.node.name) ?? { writes: 0, byResult: {}, rssMaxMiB: 0, lagP99MaxMs: 0, queueMax: 0 };
      e.writes = metric(text, 'herald_speaker_status_writes_total');
      for (const r of ['ok', '409', 'error']) e.byResult[r] = metric(text, 'herald_speaker_status_writes_total', `result="${r}"`);
      e.rssMaxMiB = Math.max(e.rssMaxMiB, mib(processMemory(s.proc.pid)?.rssKiB ?? 0));
      e.lagP99MaxMs = Math.max(e.lagP99MaxMs, round(metric(text, 'herald_speaker_nodejs_eventloop_lag_p99_seconds') * 1000));
      e.queueMax = Math.max(e.queueMax, metric(text, 'herald_speaker_status_queue'));
      per.set(s.node.name, e);
    }
    if (allSaidAfterS === null) {
      const said = (await world.objects.lbAddresses()).filter((a) => a.spec.pool === 'dark' && a.status?.conditions?.some((c) => c.reason === 'NoL2Advertisement')).length;
      if (said === serviceCount) {
        allSaidAfterS = round((Date.now() - t0) / 1000);
        for (const e of per.values()) e.writesWhenAllWritten = e.writes;
      }
    }
    log(JSON.stringify(Object.fromEntries([...per].map(([n, e]) => [n, { writes: e.writes, rss: e.rssMaxMiB, lag: e.lagP99MaxMs }]))));
  } while (!probeFinished);
  const result = await probe.done;
  const status = (await world.objects.lbAddress(ip!))?.status;
  figures.services = serviceCount;
  figures.minutes = Number(values.minutes);
  figures.servicesCreatedAfterS = createdAfterS;
  figures.allNoOwnerStatusesWrittenAfterS = allSaidAfterS;
  figures.perSpeaker = Object.fromEntries([...per].map(([n, e]) => [n, { ...e, writesAfterAllWritten: e.writesWhenAllWritten === undefined ? null : e.writes - e.writesWhenAllWritten }]));
  figures.statusWritesTotal = [...per.values()].reduce((s, e) => s + e.writes, 0);
  figures.rssMaxMiB = Math.max(...[...per.values()].map((e) => e.rssMaxMiB));
  figures.eventLoopLagP99MaxMs = Math.max(...[...per.values()].map((e) => e.lagP99MaxMs));
  figures.healthy = {
    probesSent: result.sent, lostProbes: result.lost.length, answeringMacs: Object.keys(result.perMac).length, worstDelayMs: result.worstDelayMs,
    ownerChanged: status?.node !== owner || (status?.transitions ?? 0) !== transitionsBefore,
  };
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await bw.stop();
}

writeReport('statusStorm', {
  benchmark: 'herald-speaker with Services in a pool no L2Advertisement announces (issue 8, defect 0)',
  setup: { nodes: 3, healthy: '1 IPv4 address probed by ARP every 20 ms', sampled: `metrics and /proc every ${SAMPLE_MS / 1000} s`, logLevel: 'debug (as the e2e world runs it)' },
  ...figures,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
