// Graceful handover through whole rolling restarts: while the client probes every address (ARP for IPv4,
// NDP for IPv6) every 20 ms, each speaker in turn is stopped with SIGTERM, started again, waits until it
// is ready and has taken its addresses back (failback). Per restart: probes lost and the worst gap between
// answers over the whole cycle (drain hand-over AND failback), time to exit, to ready and to failback, and
// from the logs the make-before-break overlaps (old owner's announceStopped − new owner's announceStarted;
// positive = both answered for a while, i.e. make-before-break held), and how the other speakers logged
// the stop: peerLeft (the Leave notice) or peerDead (what a stop looked like before it).
// Run: node --import tsx bench/speaker/graceful.ts [rounds]     (root; default 2 rounds of 3 restarts)
import { startNeighbourProbe } from '../../test/speaker/neighbourProbe.js';
import { waitFor } from '../../test/processes.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round, summarize } from './stats.js';
import { expectedOwner, sleep, speakerLog, startBenchWorld, type LogLine } from './speakerBench.js';

const log = progress('graceful');
const rounds = Number(process.argv[2] ?? 2);
const probeIntervalMs = 20;

interface Restart {
  round: number;
  node: string;
  load1: number;
  /** Addresses whose owner (by the hash) is this node: they move away on SIGTERM and back after start. */
  owned: number;
  lost: number;
  sent: number;
  lostPerAddress: Record<string, number>;
  /** Longest time between two answered probes for any address during this restart's cycle. */
  worstGapMs: number;
  termToExitMs: number;
  startToReadyMs: number;
  readyToFailbackMs: number;
  /** Per moved address: old owner's announceStopped − new owner's announceStarted (ms). */
  overlapsMs: number[];
  /** Other speakers that logged peerLeft / peerDead (or declared it dead) for the stopped one. */
  peersLoggedLeft: number;
  peersLoggedDead: number;
}

const started = Date.now();
const env = machine();
const bw = await startBenchWorld({ log });
const rows: Restart[] = [];
let failure: string | undefined;
try {
  const { world, names } = bw;
  await world.pool('lan', ['192.0.2.200-192.0.2.230', '2001:db8:1::200-2001:db8:1::230']);
  const ips: string[] = [];
  for (let i = 0; i < 3; i++) {
    await world.readyPod(`gr${i}`, world.lan.nodes[i % 3]!);
    await world.service(`gr${i}`, { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' });
    ips.push(...(await world.waitForAddress(`gr${i}`, 2)));
  }
  const lbName = (ip: string) => (ip.includes(':') ? ip.replaceAll(':', '-') : ip);
  const ownersSettled = async () => {
    for (const ip of ips) if ((await world.objects.lbAddress(lbName(ip)))?.status?.node !== expectedOwner(names, ip)) return false;
    return true;
  };
  await waitFor('owners', ownersSettled, { timeoutMs: 30_000, intervalMs: 100 }).catch(async (e: Error) => {
    for (const ip of ips) log(`${ip}: status ${(await world.objects.lbAddress(lbName(ip)))?.status?.node ?? 'none'}, expected ${expectedOwner(names, ip)}`);
    throw e;
  });
  log(`addresses: ${ips.map((ip) => `${ip}→${expectedOwner(names, ip)}`).join(', ')}`);
  for (let r = 1; r <= rounds; r++) {
    for (const n of world.lan.nodes) {
      const name = world.nodeName(n);
      const probe = await startNeighbourProbe(world, ips, { intervalMs: probeIntervalMs });
      await sleep(300);
      const termAt = Date.now();
      await world.speakers.get(n.name)!.proc.stop(10_000);
      const exitedAt = Date.now();
      await world.startSpeaker(n);
      await waitFor(`${name} ready`, () => world.speakerReady(n), { timeoutMs: 60_000, intervalMs: 50 });
      const readyAt = Date.now();
      await waitFor('failback', ownersSettled, { timeoutMs: 30_000, intervalMs: 50 });
      const failbackAt = Date.now();
      await world.waitForMembership(30_000);
      await sleep(300);
      const results = await probe.finish();
      const logs = new Map(world.lan.nodes.map((x) => [x, speakerLog(world, x).filter((l) => l.time >= termAt)]));
      const owned = ips.filter((ip) => expectedOwner(names, ip) === name);
      const overlapsMs: number[] = [];
      const started_ = (ip: string) => [...logs.values()].flat().filter((l: LogLine) => l.event === 'announceStarted' && l.address === ip).sort((a, b) => a.time - b.time);
      const stopped_ = (ip: string) => [...logs.values()].flat().filter((l: LogLine) => l.event === 'announceStopped' && l.address === ip).sort((a, b) => a.time - b.time);
      for (const ip of owned) {
        const s = started_(ip);
        const e = stopped_(ip);
        // Drain: successor starts (s[0]), old owner stops (e[0]); failback: owner starts (s[1]), successor stops (e[1]).
        for (let i = 0; i < Math.min(s.length, e.length); i++) overlapsMs.push(e[i]!.time - s[i]!.time);
      }
      const row: Restart = {
        round: r,
        node: name,
        load1: loadAverage()[0]!,
        owned: owned.length,
        lost: results.reduce((x, t) => x + t.lost, 0),
        sent: results.reduce((x, t) => x + t.sent, 0),
        lostPerAddress: Object.fromEntries(results.filter((t) => t.lost > 0).map((t) => [t.target, t.lost])),
        worstGapMs: Math.max(...results.map((t) => t.worstGapMs)),
        termToExitMs: exitedAt - termAt,
        startToReadyMs: readyAt - exitedAt,
        readyToFailbackMs: failbackAt - readyAt,
        overlapsMs,
        peersLoggedLeft: [...logs.entries()].filter(([x, lines]) => x !== n && lines.some((l: LogLine) => l.event === 'peerLeft' && l.peer === name)).length,
        peersLoggedDead: [...logs.entries()].filter(([x, lines]) => x !== n && lines.some((l: LogLine) => (l.event === 'peerDead' || l.event === 'membershipDeathDeclared') && l.peer === name)).length,
      };
      rows.push(row);
      log(`round ${r} ${name}: lost ${row.lost}/${row.sent}, worst gap ${row.worstGapMs} ms, exit ${row.termToExitMs} ms, ready ${row.startToReadyMs} ms, failback ${row.readyToFailbackMs} ms, overlaps ${overlapsMs.join(',')}, peers logging peerLeft ${row.peersLoggedLeft}, peerDead ${row.peersLoggedDead}`);
    }
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed after ${rows.length} restarts: ${failure}`);
} finally {
  await bw.stop();
}

writeReport('graceful', {
  benchmark: 'rolling restart (SIGTERM → start → ready → failback of each speaker in turn), client probing every address',
  setup: { nodes: 3, rounds, addresses: '3 dual-stack Services: 3 IPv4 + 3 IPv6', probe: `ARP request / Neighbor Solicitation per address every ${probeIntervalMs} ms for the whole cycle (reply timeout 500 ms)`, handoverTimeout: 'default 2000 ms' },
  lostTotal: rows.reduce((s, r) => s + r.lost, 0),
  sentTotal: rows.reduce((s, r) => s + r.sent, 0),
  lostPerRestart: rows.map((r) => r.lost),
  worstGapMsPerRestart: rows.map((r) => r.worstGapMs),
  worstGapMs: summarize(rows.map((r) => r.worstGapMs)),
  termToExitMs: summarize(rows.map((r) => r.termToExitMs)),
  startToReadyMs: summarize(rows.map((r) => r.startToReadyMs)),
  readyToFailbackMs: summarize(rows.map((r) => r.readyToFailbackMs)),
  makeBeforeBreakOverlapMs: summarize(rows.flatMap((r) => r.overlapsMs)),
  peersLoggedLeftTotal: rows.reduce((s, r) => s + r.peersLoggedLeft, 0),
  peersLoggedDeadTotal: rows.reduce((s, r) => s + r.peersLoggedDead, 0),
  restarts: rows,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
