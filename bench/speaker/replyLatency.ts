// ARP/NDP reply latency with a large owned set: herald's Announcer (the speaker's responder, dist/), driven
// directly by fixtures/announcerHost.ts in the node namespace of a one-node LAN, no Kubernetes.
// Owned: 10,000 IPv6 addresses (2001:db8:1::1000 + i, a contiguous pool, so 10,000 distinct
// solicited-node groups) and every usable IPv4 documentation address (760: 198.51.100.1-254,
// 203.0.113.1-254, 192.0.2.1-254 without the node's and the client's own). ARP is measured on the IPv4
// set, NDP on the IPv6 set, for addresses owned first / in the middle / last, against a baseline that
// owns 10 + 10. Latency is taken twice: round trip at the client (fixtures/neighbourProbe.mjs, user
// space) and request-in → reply-out at the node's eth0 (tcpdump kernel timestamps): the speaker's own time.
// Every phase runs with the node namespace's default sysctls (recorded): NDP is received on an AF_PACKET
// socket with link-layer multicast membership, which net.core.optmem_max does not limit. Phase "large"
// uses the speaker's default (all-multicast beyond NDP_EXACT_GROUPS_MAX distinct groups); phase
// "largeExactGroups" forces one exact link-layer group per address to show what that costs.
// Run: node --import tsx bench/speaker/replyLatency.ts     (root)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lan, type LanNode } from '../../test/lan/lan.js';
import { waitFor, type Spawned } from '../../test/processes.js';
import { run } from '../../test/run.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round, summarize } from './stats.js';
import { checkBuild, processMemory } from './speakerBench.js';

const log = progress('replyLatency');
const HOST = join(import.meta.dirname, 'fixtures/announcerHost.ts');
const PROBE = join(import.meta.dirname, 'fixtures/neighbourProbe.mjs');
const V6_COUNT = Number(process.env.REPLY_LATENCY_V6 ?? 10_000);
const ROUNDS = Number(process.env.REPLY_LATENCY_ROUNDS ?? 200);
// REPLY_LATENCY_RT=1 runs the prober, and the responder once it owns its set (not while it is busy
// taking it), under SCHED_FIFO (chrt -f 10): on a shared machine whose load is far above its core count,
// the p99 otherwise measures the run queue, not herald.
const REALTIME = process.env.REPLY_LATENCY_RT === '1' ? ['chrt', '-f', '10'] : [];

const v4: string[] = [];
for (const prefix of ['198.51.100', '203.0.113', '192.0.2']) {
  for (let h = 1; h <= 254; h++) {
    const ip = `${prefix}.${h}`;
    if (ip !== '192.0.2.11' && ip !== '192.0.2.100') v4.push(ip); // the node's and the client's own addresses
  }
}
const v6 = Array.from({ length: V6_COUNT }, (_, i) => `2001:db8:1::${(0x1000 + i).toString(16)}`);

interface HostReport {
  pid: number;
  requested: number;
  owned: number;
  ownedIPv4: number;
  ownedIPv6: number;
  failed: number;
  failuresByCode: Record<string, number>;
  setMs: number;
  longestEventLoopTurnMs: number;
  linkGroupCalls: number;
  linkGroupMs: number;
  allMulticast: boolean;
  idleRssKiB: number;
  idleHeapUsedKiB: number;
  ownedHeapUsedKiB: number;
  ownedRssJustAfterKiB: number;
  ownedRssAfterBurstsKiB: number;
}

/** Starts announcerHost owning `addresses`; resolves once every address is owned and the bursts are over. */
async function startHost(lan: Lan, node: LanNode, name: string, addresses: string[], exactGroups?: number): Promise<{ proc: Spawned; report: HostReport; finish: () => Promise<Released> }> {
  const file = join(lan.logDir, `${name}.addresses`);
  writeFileSync(file, `${addresses.join('\n')}\n`);
  const env = exactGroups === undefined ? [] : ['env', `HOST_EXACT_GROUPS=${exactGroups}`];
  const proc = lan.spawn(node, [...env, process.execPath, '--expose-gc', '--import', 'tsx', HOST, 'eth0', file], { logName: `announcer-${name}` });
  const lines = () => readFileSync(proc.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{') && !l.includes('"level"'));
  let report: HostReport | undefined;
  await waitFor(`announcerHost (${name}) to own its addresses`, () => {
    const l = lines().find((x) => x.includes('"requested"'));
    if (l) report = JSON.parse(l) as HostReport;
    return report !== undefined;
  }, { timeoutMs: 120_000, intervalMs: 200, abortIf: () => (proc.child.exitCode !== null ? `it exited: ${readFileSync(proc.logFile, 'utf8').slice(-2000)}` : undefined) });
  if (REALTIME.length > 0) await run('chrt', ['-a', '-f', '-p', '10', String(report!.pid)]);
  const finish = async () => {
    await proc.stop(30_000);
    const l = lines().find((x) => x.includes('"releaseMs"'));
    return l ? (JSON.parse(l) as Released) : {};
  };
  return { proc, report: report!, finish };
}

/** What announcerHost prints when it lets go of everything (SIGTERM). */
interface Released {
  releaseMs?: number;
  longestEventLoopTurnMs?: number;
  linkGroupDropCalls?: number;
  linkGroupDropMs?: number;
}

type Groups = Record<string, { kind: 'arp' | 'ndp'; targets: string[] }>;

/** Request → reply at the node's eth0, from a tcpdump capture, per group (µs). */
async function serverSideLatency(pcap: string, groups: Groups): Promise<Record<string, number[]>> {
  const groupOf = new Map<string, string>();
  for (const [name, g] of Object.entries(groups)) for (const t of g.targets) groupOf.set(t, name);
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((n) => [n, []]));
  const r = await run('tcpdump', ['-r', pcap, '-tt', '-nn'], { timeoutMs: 120_000 });
  const pending = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const ts = /^(\d+)\.(\d{6}) /.exec(line);
    if (!ts) continue;
    const us = Number(ts[1]) * 1e6 + Number(ts[2]);
    const request = /Request who-has (\S+) |neighbor solicitation, who has (\S+),/.exec(line);
    if (request) {
      pending.set((request[1] ?? request[2])!, us);
      continue;
    }
    const reply = /Reply (\S+) is-at|neighbor advertisement, tgt is (\S+),/.exec(line);
    if (!reply) continue;
    const target = (reply[1] ?? reply[2])!;
    const at = pending.get(target);
    const group = groupOf.get(target);
    if (at === undefined || group === undefined) continue;
    pending.delete(target);
    out[group]!.push(us - at);
  }
  // The probe's unrecorded warm-up request is each group's first exchange here too.
  for (const samples of Object.values(out)) samples.shift();
  return out;
}

/** Probes the groups from the client while capturing at the node; returns both views and the host's RSS. */
async function measure(lan: Lan, node: LanNode, name: string, groups: Groups, hostPid: number) {
  const groupsFile = join(lan.logDir, `${name}.groups.json`);
  writeFileSync(groupsFile, JSON.stringify(groups));
  const capture = await lan.capture(node, 'arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))');
  const load1Before = loadAverage()[0]!;
  const probe = await lan.tryExec(lan.client.netns, [...REALTIME, process.execPath, PROBE, 'eth0', lan.client.ipv4, groupsFile, String(ROUNDS), '500', '5'], { timeoutMs: 600_000 });
  const rssDuringKiB = processMemory(hostPid)?.rssKiB;
  await capture.stop();
  if (probe.code !== 0) throw new Error(`neighbourProbe failed (${probe.code}): ${probe.stderr}`);
  const client = (JSON.parse(probe.stdout) as { groups: Record<string, { sent: number; answered: number; rttUs: number[] }> }).groups;
  const server = await serverSideLatency(capture.file, groups);
  const figures = Object.fromEntries(Object.entries(groups).map(([g, def]) => [g, {
    kind: def.kind,
    targets: `${def.targets[0]} … ${def.targets.at(-1)} (${def.targets.length})`,
    sent: client[g]?.sent,
    answered: client[g]?.answered,
    clientRoundTripUs: summarize(client[g]?.rttUs ?? [], 0),
    nodeRequestToReplyUs: summarize(server[g] ?? [], 0),
  }]));
  return { groups: figures, rssDuringProbeKiB: rssDuringKiB, load1: [load1Before, loadAverage()[0]!] };
}

const started = Date.now();
const env = machine();
checkBuild();
let lan: Lan | undefined;
const results: Record<string, unknown> = {};
let failure: string | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  log(`${signal}: cleaning up`);
  void (lan?.destroy() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  lan = await Lan.create({ nodes: 1 });
  const node = lan.nodes[0]!;
  const sysctl = async (name: string) => (await lan!.exec(node.netns, ['sysctl', '-n', name])).trim();
  const all = [...v4, ...v6];
  const sysctls = Object.fromEntries(await Promise.all(['net.core.optmem_max', 'net.core.rmem_default'].map(async (n) => [n, await sysctl(n)])));
  results.nodeSysctls = { ...sysctls, note: 'the node namespace\'s values, untouched by this benchmark' };

  // 1. Baseline: 10 + 10 owned.
  {
    const small = [...v4.slice(0, 10), ...v6.slice(0, 10)];
    log('baseline: owning 10 IPv4 + 10 IPv6');
    const host = await startHost(lan, node, 'baseline', small);
    const groups: Groups = { arp: { kind: 'arp', targets: v4.slice(0, 10) }, ndp: { kind: 'ndp', targets: v6.slice(0, 10) } };
    const m = await measure(lan, node, 'baseline', groups, host.report.pid);
    const released = await host.finish();
    results.baseline = { owned: host.report.owned, idleRssKiB: host.report.idleRssKiB, ownedRssKiB: host.report.ownedRssAfterBurstsKiB, setMs: host.report.setMs, released, ...m };
  }

  // 2. The large set, with the speaker's default multicast filtering and with one exact group per address.
  for (const [phase, exactGroups] of [['large', undefined], ['largeExactGroups', V6_COUNT]] as const) {
    log(`${phase}: owning ${v4.length} IPv4 + ${v6.length} IPv6 (exact link-layer groups: ${exactGroups ?? 'speaker default'})`);
    const host = await startHost(lan, node, phase, all, exactGroups);
    if (host.report.owned !== all.length) throw new Error(`${phase}: owned ${host.report.owned} of ${all.length}: ${JSON.stringify(host.report.failuresByCode)}`);
    const slice = (list: string[], at: 'start' | 'middle' | 'end') => {
      const n = 20;
      const from = at === 'start' ? 0 : at === 'middle' ? Math.floor(list.length / 2) - n / 2 : list.length - n;
      return list.slice(from, from + n);
    };
    const groups: Groups = {};
    for (const at of ['start', 'middle', 'end'] as const) {
      groups[`arp:${at}`] = { kind: 'arp', targets: slice(v4, at) };
      groups[`ndp:${at}`] = { kind: 'ndp', targets: slice(v6, at) };
    }
    const m = await measure(lan, node, phase, groups, host.report.pid);
    const released = await host.finish();
    results[phase] = {
      ...host.report,
      released,
      eventLoop: {
        ownAllMs: host.report.setMs,
        ofWhichLinkGroupMs: host.report.linkGroupMs,
        longestTurnMs: host.report.longestEventLoopTurnMs,
        releaseAllMs: released.releaseMs ?? null,
        ofWhichLinkGroupDropMs: released.linkGroupDropMs ?? null,
        longestTurnWhileReleasingMs: released.longestEventLoopTurnMs ?? null,
        note: 'the Announcer applies changes in chunks of 200 per event-loop turn; longestTurnMs is the worst wait heartbeats and replies saw (dead-after is 500 ms by default)',
      },
      rss: {
        idleMiB: mib(host.report.idleRssKiB),
        ownedMiB: mib(host.report.ownedRssAfterBurstsKiB),
        duringProbeMiB: m.rssDuringProbeKiB === undefined ? null : mib(m.rssDuringProbeKiB),
        ownedMinusIdleMiB: mib(host.report.ownedRssAfterBurstsKiB - host.report.idleRssKiB),
        bytesPerOwnedAddress: Math.round(((host.report.ownedRssAfterBurstsKiB - host.report.idleRssKiB) * 1024) / Math.max(1, host.report.owned)),
        heapUsedIdleMiB: mib(host.report.idleHeapUsedKiB),
        heapUsedOwnedMiB: mib(host.report.ownedHeapUsedKiB),
        note: 'the fixture process (node --import tsx + the Announcer), after a full GC; idle = built with nothing owned; not a whole herald-speaker',
      },
      ...m,
    };
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await lan?.destroy();
}

writeReport('replyLatency', {
  benchmark: 'ARP/NDP reply latency with ~10,000 owned addresses (Announcer driven directly, one-node LAN)',
  setup: {
    owned: `${v4.length} IPv4 (ARP measured on these) + ${v6.length} IPv6 (NDP measured on these)`,
    ipv4: '198.51.100.1-254, 203.0.113.1-254, 192.0.2.1-254 without .11 (node) and .100 (client)',
    ipv6: `2001:db8:1::1000 … 2001:db8:1::${(0x1000 + V6_COUNT - 1).toString(16)}`,
    groups: 'start/middle/end = 20 addresses owned first / in the middle / last; one request at a time, groups round-robin, 5 ms gap',
    rounds: ROUNDS,
    scheduling: REALTIME.length > 0 ? 'prober, and responder after owning its set, under SCHED_FIFO priority 10 (chrt -f 10)' : 'default (SCHED_OTHER)',
    clientRoundTrip: 'request sent → reply received in the client prober (user space, includes its event loop)',
    nodeRequestToReply: "tcpdump kernel timestamps on the node's eth0: request in → reply out (the speaker's turnaround)",
  },
  ...results,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
