// Failover after SIGKILL of the owner's speaker, ≥ 20 times, in the e2e world (3 nodes, client).
// Per kill: (a) the successor's announceStarted − its peerDead for the dead node (one process, one clock);
// (b) kill → first ARP reply from the successor's MAC as the client's probe (10 ms interval) sees it;
// (c) requests lost. Also: kill → peerDead (detection), and the successor's own
// herald_speaker_failover_duration_seconds histogram (delta per kill) as a cross-check.
// Run: node --import tsx bench/speaker/failover.ts [kills]     (root; env FAILOVER_SPEAKER_ARGS="--dead-after 3")
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round, summarize } from './stats.js';
import {
  addHistograms, addressPerNode, orderedBuckets, expectedOwner, firstEvent, histogramDelta, parseHistogram, restartOwner, sleep, speakerLog,
  startArpProbe, startBenchWorld, waitForAnnouncer, waitForEvent, type Histogram,
} from './speakerBench.js';

const HISTOGRAM = 'herald_speaker_failover_duration_seconds';
const log = progress('failover');
const kills = Number(process.argv[2] ?? 24);
const speakerArgs = (process.env.FAILOVER_SPEAKER_ARGS ?? '').split(' ').filter(Boolean);
const reportName = process.env.FAILOVER_REPORT ?? 'failover';
const probeIntervalMs = 10;

interface Kill {
  kill: number;
  address: string;
  dead: string;
  successor: string;
  load1: number;
  /** kill → successor's peerDead log line for the dead node. */
  detectionMs?: number;
  /** The successor's own figure in that line: how long since the dead node's last heartbeat. */
  lastHeartbeatAgoMs?: number;
  /** kill → the third node's peerDead (it judges independently). */
  otherSurvivorDetectionMs?: number;
  /** (a) successor announceStarted − successor peerDead. */
  detectionToGarpMs?: number;
  /** kill → successor announceStarted. */
  killToGarpMs?: number;
  /** (b) kill → first reply from the successor's MAC at the client. */
  killToClientNewMacMs?: number;
  /** Last reply from the dead node's MAC, relative to the kill (≤ 0 unless a reply was in flight). */
  lastOldReplyMs?: number;
  /** (c) */
  lost: number;
  sent: number;
  worstDelayMs: number;
  /** The successor's histogram delta for this kill (seconds → ms), when it gained exactly one observation. */
  metricMs?: number;
  metricObservations: number;
}

const started = Date.now();
const env = machine();
const bw = await startBenchWorld({ log, ...(speakerArgs.length ? { speakerArgs } : {}) });
const rows: Kill[] = [];
let histogramTotal: Histogram = { buckets: {}, sum: 0, count: 0 };
let failure: string | undefined;
try {
  const { world, names } = bw;
  await world.pool('lan', ['192.0.2.200-192.0.2.230']);
  const addresses = await addressPerNode(bw, 'fo', log);
  for (let k = 0; k < kills; k++) {
    const a = addresses[k % addresses.length]!;
    const successor = expectedOwner(names.filter((n) => n !== a.owner), a.ip);
    const successorNode = world.nodeByName(successor);
    const other = world.lan.nodes.find((n) => n !== a.node && n !== successorNode)!;
    await waitForAnnouncer(world, a.ip, a.owner);
    const before = parseHistogram(await world.speakerMetrics(successorNode), HISTOGRAM);
    const probe = startArpProbe(world.lan, { target: a.ip, intervalMs: probeIntervalMs, durationMs: 3_000 });
    await probe.ready;
    await sleep(300);
    const killedAt = Date.now();
    world.speakers.get(a.node.name)!.proc.kill('SIGKILL');
    const result = await probe.done;
    // Both log lines are written within the probe's 2.7 s after the kill unless failover is very slow.
    const announce = await waitForEvent(world, successorNode, killedAt, (l) => l.event === 'announceStarted' && l.address === a.ip, `${successor} to announce ${a.ip}`, 10_000).catch(() => undefined);
    const lines = speakerLog(world, successorNode);
    const dead = firstEvent(lines, killedAt, (l) => l.event === 'peerDead' && l.peer === a.owner);
    const otherDead = firstEvent(speakerLog(world, other), killedAt, (l) => l.event === 'peerDead' && l.peer === a.owner);
    const after = parseHistogram(await world.speakerMetrics(successorNode), HISTOGRAM);
    const delta = histogramDelta(before, after);
    histogramTotal = addHistograms(histogramTotal, delta);
    const successorMac = successorNode.mac;
    const firstNew = result.changes.find((c) => c.mac === successorMac && c.atEpochMs >= killedAt);
    const row: Kill = {
      kill: k + 1,
      address: a.ip,
      dead: a.owner,
      successor,
      load1: loadAverage()[0]!,
      ...(dead ? { detectionMs: dead.time - killedAt, lastHeartbeatAgoMs: dead.lastHeartbeatAgoMs as number } : {}),
      ...(otherDead ? { otherSurvivorDetectionMs: otherDead.time - killedAt } : {}),
      ...(dead && announce ? { detectionToGarpMs: announce.time - dead.time } : {}),
      ...(announce ? { killToGarpMs: announce.time - killedAt } : {}),
      ...(firstNew ? { killToClientNewMacMs: firstNew.atEpochMs - killedAt } : {}),
      ...(result.perMacWindow[a.node.mac] ? { lastOldReplyMs: result.perMacWindow[a.node.mac]!.lastEpochMs - killedAt } : {}),
      lost: result.lost.length,
      sent: result.sent,
      worstDelayMs: result.worstDelayMs,
      ...(delta.count === 1 ? { metricMs: round(delta.sum * 1000, 1) } : {}),
      metricObservations: delta.count,
    };
    rows.push(row);
    log(`kill ${k + 1}/${kills}: ${a.owner} → ${successor}: detection ${row.detectionMs} ms, (a) ${row.detectionToGarpMs} ms, (b) ${row.killToClientNewMacMs} ms, lost ${row.lost}`);
    await restartOwner(bw, a);
    await sleep(300);
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed after ${rows.length} kills: ${failure}`);
} finally {
  await bw.stop();
}

const pick = (f: (r: Kill) => number | undefined) => rows.map(f);
writeReport(reportName, {
  benchmark: 'failover after SIGKILL of the owner speaker',
  setup: {
    nodes: 3, kills, probe: `ARP request every ${probeIntervalMs} ms from the client (test/speaker/fixtures/arpProbe.mjs; reply timeout 500 ms)`,
    speakerArgs: speakerArgs.length ? speakerArgs : 'defaults: --heartbeat-interval 100 --dead-after 5',
    clocks: '(a) from one speaker log; (b) probe and bench on the same machine clock (Date.now)',
  },
  detectionToGarpMs: summarize(pick((r) => r.detectionToGarpMs)),
  killToClientNewMacMs: summarize(pick((r) => r.killToClientNewMacMs)),
  lostTotal: rows.reduce((s, r) => s + r.lost, 0),
  sentTotal: rows.reduce((s, r) => s + r.sent, 0),
  lostPerKill: summarize(pick((r) => r.lost), 0),
  breakdown: {
    note: 'kill → peerDead ≈ dead-after (5 × 100 ms) − the age of the last heartbeat at the kill (0–100 ms) + timer slack; peerDead → GARP is the election and the first send',
    killToPeerDeadMs: summarize(pick((r) => r.detectionMs)),
    lastHeartbeatAgoAtPeerDeadMs: summarize(pick((r) => r.lastHeartbeatAgoMs)),
    otherSurvivorKillToPeerDeadMs: summarize(pick((r) => r.otherSurvivorDetectionMs)),
    killToSuccessorGarpMs: summarize(pick((r) => r.killToGarpMs)),
    // Can be slightly negative: the speaker logs announceStarted just after sending the first packet.
    successorGarpToClientMs: summarize(rows.map((r) => (r.killToClientNewMacMs !== undefined && r.killToGarpMs !== undefined ? r.killToClientNewMacMs - r.killToGarpMs : undefined))),
  },
  speakerFailoverHistogram: {
    note: 'sum of the successors\' herald_speaker_failover_duration_seconds deltas, one per kill; the speaker measures peer loss → first gratuitous packet',
    buckets: orderedBuckets(histogramTotal),
    sum: round(histogramTotal.sum, 4),
    count: histogramTotal.count,
    meanMs: histogramTotal.count ? round((histogramTotal.sum / histogramTotal.count) * 1000, 1) : null,
    perKillMs: summarize(pick((r) => r.metricMs)),
  },
  productTarget: { failoverP99Ms: 1000, measuredKillToClientP99Ms: (summarize(pick((r) => r.killToClientNewMacMs)) as { p99?: number }).p99 ?? null },
  kills: rows,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
