// Graceful handover: SIGTERM of the owner's speaker (proc.stop()) while the client probes the address with
// an ARP request every 20 ms, ≥ 10 times, in the e2e world. Per run: requests lost and the worst reply
// delay as the client sees them, plus from the logs the make-before-break overlap (the old owner's
// announceStopped − the successor's announceStarted; positive = both answered for a while).
// Run: node --import tsx bench/speaker/graceful.ts [runs]     (root)
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round, summarize } from './stats.js';
import { addressPerNode, expectedOwner, firstEvent, restartOwner, sleep, speakerLog, startArpProbe, startBenchWorld, waitForAnnouncer } from './speakerBench.js';

const log = progress('graceful');
const runs = Number(process.argv[2] ?? 12);
const probeIntervalMs = 20;

interface Run {
  run: number;
  address: string;
  owner: string;
  successor: string;
  load1: number;
  lost: number;
  sent: number;
  worstDelayMs: number;
  meanDelayMs: number | null;
  /** SIGTERM → the successor's announceStarted. */
  termToSuccessorGarpMs?: number;
  /** SIGTERM → the old owner's announceStopped for the address. */
  termToOwnerStopMs?: number;
  /** announceStopped (old) − announceStarted (new): > 0 means make-before-break held. */
  overlapMs?: number;
  /** SIGTERM → the process exited. */
  termToExitMs: number;
  /** The client saw the successor's MAC this long after SIGTERM. */
  termToClientNewMacMs?: number;
  macsSeen: number;
  /** Times the answering MAC changed at the client (1 = a clean switch; more = both answered, interleaved). */
  macChanges: number;
}

const started = Date.now();
const env = machine();
const bw = await startBenchWorld({ log });
const rows: Run[] = [];
let failure: string | undefined;
try {
  const { world, names } = bw;
  await world.pool('lan', ['192.0.2.200-192.0.2.230']);
  const addresses = await addressPerNode(bw, 'gr', log);
  for (let k = 0; k < runs; k++) {
    const a = addresses[k % addresses.length]!;
    const successor = expectedOwner(names.filter((n) => n !== a.owner), a.ip);
    const successorNode = world.nodeByName(successor);
    await waitForAnnouncer(world, a.ip, a.owner);
    const probe = startArpProbe(world.lan, { target: a.ip, intervalMs: probeIntervalMs, durationMs: 3_000 });
    await probe.ready;
    await sleep(700);
    const termAt = Date.now();
    await world.speakers.get(a.node.name)!.proc.stop(10_000);
    const exitedAt = Date.now();
    const result = await probe.done;
    const successorStart = firstEvent(speakerLog(world, successorNode), termAt, (l) => l.event === 'announceStarted' && l.address === a.ip);
    const ownerStop = firstEvent(speakerLog(world, a.node), termAt, (l) => l.event === 'announceStopped' && l.address === a.ip);
    const firstNew = result.changes.find((c) => c.mac === successorNode.mac && c.atEpochMs >= termAt);
    const row: Run = {
      run: k + 1,
      address: a.ip,
      owner: a.owner,
      successor,
      load1: loadAverage()[0]!,
      lost: result.lost.length,
      sent: result.sent,
      worstDelayMs: result.worstDelayMs,
      meanDelayMs: result.meanDelayMs,
      ...(successorStart ? { termToSuccessorGarpMs: successorStart.time - termAt } : {}),
      ...(ownerStop ? { termToOwnerStopMs: ownerStop.time - termAt } : {}),
      ...(successorStart && ownerStop ? { overlapMs: ownerStop.time - successorStart.time } : {}),
      termToExitMs: exitedAt - termAt,
      ...(firstNew ? { termToClientNewMacMs: firstNew.atEpochMs - termAt } : {}),
      macsSeen: Object.keys(result.perMac).length,
      macChanges: Math.max(0, result.changes.length - 1),
    };
    rows.push(row);
    log(`run ${k + 1}/${runs}: ${a.owner} → ${successor}: lost ${row.lost}/${row.sent}, worst ${row.worstDelayMs} ms, overlap ${row.overlapMs} ms, exit after ${row.termToExitMs} ms`);
    await restartOwner(bw, a);
    await sleep(300);
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed after ${rows.length} runs: ${failure}`);
} finally {
  await bw.stop();
}

const pick = (f: (r: Run) => number | undefined) => rows.map(f);
writeReport('graceful', {
  benchmark: 'loss during graceful handover (SIGTERM of the owner speaker)',
  setup: { nodes: 3, runs, probe: `ARP request every ${probeIntervalMs} ms from the client for 3 s, SIGTERM 700 ms in (reply timeout 500 ms)`, handoverTimeout: 'default 2000 ms' },
  lostPerRun: rows.map((r) => r.lost),
  lostTotal: rows.reduce((s, r) => s + r.lost, 0),
  sentTotal: rows.reduce((s, r) => s + r.sent, 0),
  worstDelayMsPerRun: rows.map((r) => r.worstDelayMs),
  worstDelayMs: summarize(pick((r) => r.worstDelayMs)),
  termToSuccessorGarpMs: summarize(pick((r) => r.termToSuccessorGarpMs)),
  termToClientNewMacMs: summarize(pick((r) => r.termToClientNewMacMs)),
  makeBeforeBreakOverlapMs: summarize(pick((r) => r.overlapMs)),
  termToExitMs: summarize(pick((r) => r.termToExitMs)),
  macChangesPerRun: rows.map((r) => r.macChanges),
  runs: rows,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
