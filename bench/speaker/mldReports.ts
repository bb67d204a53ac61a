// What herald's MLD reports cost when a node takes and releases a large IPv6 set: herald's Announcer
// (dist/) in the node namespace of a one-node LAN (fixtures/announcerHost.ts), 10,000 IPv6 addresses with
// 10,000 distinct solicited-node groups, once with MLD reports and once without (HOST_MLD=0). Per run: the
// time to own the set and the longest event-loop turn meanwhile (what heartbeats and replies wait for), the
// same for releasing it, and what a capture at the client saw: MLDv2 report frames, records per type and
// distinct groups joined and left, how long the joins took on the wire from first to last frame (repeats
// included) and until every group had been joined once; and what was lost: capture (tcpdump's kernel
// drops), qdisc and veth drop counters, and the reports the speaker could not send.
// Run: node --import tsx bench/speaker/mldReports.ts     (root; wrap in `flock /tmp/hrl-bench.lock`)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lan, type LanNode } from '../../test/lan/lan.js';
import { waitFor } from '../../test/processes.js';
import { run } from '../../test/run.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { checkBuild } from './speakerBench.js';

const log = progress('mldReports');
const HOST = join(import.meta.dirname, 'fixtures/announcerHost.ts');
const V6_COUNT = Number(process.env.MLD_REPORTS_V6 ?? 10_000);
const v6 = Array.from({ length: V6_COUNT }, (_, i) => `2001:db8:1::${(0x1000 + i).toString(16)}`);

/** Frames dropped on the path node → bridge → client: qdisc drops on the node's eth0 and the links' rx/tx drop counters. */
async function pathDrops(lan: Lan, node: LanNode): Promise<Record<string, number>> {
  const qdisc = await lan.exec(node.netns, ['tc', '-s', 'qdisc', 'show', 'dev', 'eth0']);
  const link = async (netns: string, dev: string) => (JSON.parse(await lan.exec(netns, ['ip', '-j', '-s', 'link', 'show', 'dev', dev])) as { stats64: { rx: { dropped: number }; tx: { dropped: number } } }[])[0]!.stats64;
  const n = await link(node.netns, 'eth0');
  const c = await link(lan.client.netns, 'eth0');
  const swNode = await link(lan.switchNetns, node.name);
  return {
    nodeQdisc: [...qdisc.matchAll(/dropped (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0),
    nodeTx: n.tx.dropped, bridgePortRx: swNode.rx.dropped, clientRx: c.rx.dropped,
  };
}

async function once(lan: Lan, node: LanNode, mld: boolean): Promise<object> {
  const file = join(lan.logDir, 'mld-bench.addresses');
  writeFileSync(file, `${v6.join('\n')}\n`);
  const capture = await lan.capture(lan.client, 'ip6 and ip6[6] = 0');
  const proc = lan.spawn(node, ['env', `HOST_MLD=${mld ? 1 : 0}`, process.execPath, '--expose-gc', '--import', 'tsx', HOST, 'eth0', file], { logName: `announcer-mld-${mld}` });
  const line = (key: string) => readFileSync(proc.logFile, 'utf8').split('\n').find((l) => l.startsWith('{') && l.includes(key));
  await waitFor('announcerHost to own its addresses', () => line('"requested"') !== undefined, { timeoutMs: 120_000, intervalMs: 200, abortIf: () => (proc.child.exitCode !== null ? readFileSync(proc.logFile, 'utf8').slice(-2000) : undefined) });
  const owned = JSON.parse(line('"requested"')!) as { owned: number; setMs: number; longestEventLoopTurnMs: number };
  await proc.stop(30_000);
  const released = JSON.parse(line('"releaseMs"') ?? '{}') as { releaseMs?: number; longestEventLoopTurnMs?: number };
  await new Promise((r) => setTimeout(r, 500)); // the capture's last frames
  await capture.stop();
  const captureKernelDrops = capture.kernelDrops();
  const dropsOnThePath = await pathDrops(lan, node);
  const r = await run('tcpdump', ['-r', capture.file, '-nn', '-e', '-tt', '-v'], { timeoutMs: 120_000 });
  const frames = r.stdout.split('\n').filter((l) => l.includes(` ${node.mac} >`) && l.includes('listener report v2'));
  const records: Record<string, number> = {};
  const groups: Record<string, Set<string>> = {};
  const times: number[] = [];
  let allJoinedAt: number | undefined;
  for (const f of frames) {
    let ours = false;
    for (const m of f.matchAll(/\[gaddr (ff02::1:ff00:\S+|ff02::1:ff0\S+) (\w+)[ ,]/g)) {
      const group = m[1]!;
      const low = parseInt(group.split(':').slice(-2).join(''), 16) & 0xffffff;
      if (low < 0x1000 || low >= 0x1000 + V6_COUNT) continue;
      ours = true;
      records[m[2]!] = (records[m[2]!] ?? 0) + 1;
      (groups[m[2]!] ??= new Set()).add(group);
    }
    if (ours && f.includes('to_ex')) {
      times.push(Number(f.split(' ')[0]) * 1000);
      if (allJoinedAt === undefined && (groups['to_ex']?.size ?? 0) === V6_COUNT) allJoinedAt = times.at(-1);
    }
  }
  return {
    mldReports: mld,
    owned: owned.owned,
    setMs: owned.setMs,
    longestEventLoopTurnWhileOwningMs: owned.longestEventLoopTurnMs,
    releaseMs: released.releaseMs,
    longestEventLoopTurnWhileReleasingMs: released.longestEventLoopTurnMs,
    captureKernelDrops,
    dropsOnThePath,
    mldReportsSentWhileOwning: (owned as { mldReportsSent?: object }).mldReportsSent,
    sendErrorsWhileOwning: (owned as { sendErrors?: object }).sendErrors,
    mldReportsSentInAll: (released as { mldReportsSent?: object }).mldReportsSent,
    sendErrorsInAll: (released as { sendErrors?: object }).sendErrors,
    reportFrames: frames.length,
    records,
    distinctGroups: Object.fromEntries(Object.entries(groups).map(([k, s]) => [k, s.size])),
    joinFramesSpanMs: times.length > 1 ? Math.round(times.at(-1)! - times[0]!) : 0,
    // From the first join frame to the one that completed the set (every group's first copy on the wire).
    allGroupsJoinedMs: allJoinedAt === undefined ? null : Math.round(allJoinedAt - times[0]!),
  };
}

checkBuild();
const start = machine();
log(`one-node LAN, ${V6_COUNT} IPv6 addresses, MLD reports on and off`);
const lan = await Lan.create({ nodes: 1 });
try {
  const node = lan.nodes[0]!;
  const on = await once(lan, node, true);
  log(`on: ${JSON.stringify(on)}`);
  const off = await once(lan, node, false);
  writeReport('mldReports', { machine: { ...start, loadAvgAtEnd: loadAverage() }, addresses: V6_COUNT, runs: [on, off] });
} finally {
  await lan.destroy();
}
