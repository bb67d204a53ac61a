// Event-loop cost of the speaker's election at scale: the real SpeakerController and Announcer (from a
// build's dist/, so the same script measures main and a branch: --root <checkout>), in one process, fed
// 10,000 LBAddresses (each with its own Service and EndpointSlice, 10 % externalTrafficPolicy Local) and
// 100 nodes (this one and 99 peers) straight into its caches; no API server, fake sockets (the wire is
// measured by replyLatency.ts). Measures the first election, then per event — a peer leaving, the same
// peer joining again, one Service's endpoints changing — the longest single election round (maxSingleBlock:
// time the event loop could not answer ARP or heartbeats), the total election time and number of rounds, and event-loop delay
// (perf_hooks monitorEventLoopDelay: how late a timer — a heartbeat, a reply — ran) while it settled.
// Memory: heap and ArrayBuffer bytes (the old rank cache's Float64Arrays live outside the JS heap) after a
// full GC, before the first election and after it, and what the rank cache itself says it holds.
// Run: node --expose-gc --import tsx bench/speaker/electionLoop.ts [--root DIR] [--addresses 10000] [--nodes 100] [--trials 20]
// [--interfaces one|lan]: each peer publishes one IPv6 subnet (default), or what a test-LAN node publishes (LAN
// port with IPv4, IPv6 and link-local subnets, management port). Last, standbyPlanMs: one whole standby plan (who
// takes each address over at its owner's death), which the speaker redoes up to twice a second while anything changes,
// 20 in a row (standbyPlanCpuMs: CPU time), then one after each of a peer leaving and joining again (standbyPlanAfterPeer*).
// Kubernetes' maximum: --nodes 5000 --trials 5 --name electionLoop5000 (the first election ranks every node
// for every address: 50 million hashes, minutes of CPU on a busy host before the batch hash).
// --hash native (default: the addon's batch), crypto (the batch with node:crypto, one digest per node) or
// single (no batch: one crypto.hash per pair through the core's sha256, as before the batch existed).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SeededRandom } from '@herald/core';
import { inProcessSpeaker, type BenchPeer } from './inProcessSpeaker.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string' }, addresses: { type: 'string', default: '10000' }, nodes: { type: 'string', default: '100' },
    trials: { type: 'string', default: '20' }, profile: { type: 'string' }, name: { type: 'string', default: 'electionLoop' },
    hash: { type: 'string', default: 'native' },
    interfaces: { type: 'string', default: 'one' },
  },
});
const root = resolve(values.root ?? join(import.meta.dirname, '../..'));
const ADDRESSES = Number(values.addresses);
const NODES = Number(values.nodes);
const TRIALS = Number(values.trials);
const log = progress('electionLoop');
const env = machine();

// Everything of herald's comes from the measured checkout's build.
const load = async <T>(p: string): Promise<T> => (await import(pathToFileURL(join(root, p)).href)) as T;
/* eslint-disable @typescript-eslint/no-explicit-any -- the measured checkout's classes are loaded at run time, and the bench reaches into their caches */
const { SpeakerController } = await load<any>('packages/speaker/dist/election/speakerController.js');
const { Announcer } = await load<any>('packages/speaker/dist/announce/announcer.js');
const { createSpeakerMetrics } = await load<any>('packages/speaker/dist/metrics.js');
const core = await load<any>('packages/core/dist/index.js');
const HASH = values.hash;
if (!['native', 'crypto', 'single'].includes(HASH)) throw new Error(`--hash must be native, crypto or single (got ${HASH})`);
const hashers = HASH === 'native' ? undefined : await load<any>('packages/speaker/dist/election/sha256Prefixes.js').catch(() => undefined);
const sha256Prefixes = HASH === 'single' ? false : HASH === 'crypto' ? hashers?.cryptoSha256Prefixes() : undefined;
const commit = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 100);

/** Seeded (this tree's SeededRandom, whichever checkout is measured): both checkouts see the same world. */
const seeded = new SeededRandom(42);
const random = () => seeded.next();

const self = 'n000';
const nodeNames = Array.from({ length: NODES }, (_, i) => `n${String(i).padStart(3, '0')}`);
const ips = Array.from({ length: ADDRESSES }, (_, i) => `2001:db8:1::${(0x1000 + i).toString(16)}`);

/**
 * A peer's published interfaces: --interfaces one (the default, as before), or lan: what a node of the
 * test LAN publishes (the LAN port with IPv4, IPv6 and link-local subnets, and a management port).
 */
const INTERFACES = values.interfaces;
if (!['one', 'lan'].includes(INTERFACES)) throw new Error(`--interfaces must be one or lan (got ${INTERFACES})`);
const peerInterfaces = (i: number) => (INTERFACES === 'one'
  ? [{ name: 'eth0', subnets: [`2001:db8:1::${(i + 0x20).toString(16)}/64`] }]
  : [
    { name: 'eth0', subnets: [`192.0.2.${(i % 200) + 20}/24`, `2001:db8:1::${(i + 0x20).toString(16)}/64`, `fe80::48:52ff:fe4c:${i.toString(16)}/64`] },
    { name: 'mgmt', subnets: [`198.51.100.${(i % 200) + 20}/24`, `2001:db8:ff::${(i + 0x20).toString(16)}/64`] },
  ]);
const quiet = pino({ level: 'warn' });
const peers = new Map<string, BenchPeer>();
nodeNames.slice(1).forEach((n, i) => peers.set(n, {
  alive: true, ready: true, draining: false, judgedBy: 'heartbeat', heartbeatsBroken: false,
  interfaces: peerInterfaces(i), announcing: [], macs: [`02:00:00:00:01:${(i % 256).toString(16).padStart(2, '0')}`],
}));
const speaker = inProcessSpeaker({
  herald: { SpeakerController, Announcer, createSpeakerMetrics }, self, peers, heartbeatAddress: '2001:db8:1::b', log: quiet,
  controller: sha256Prefixes === undefined ? {} : { sha256Prefixes },
});
const { ctl, facts, rounder, announcer, membershipChanged, put, meta } = speaker;

log(`building ${ADDRESSES} addresses, ${NODES} nodes; measuring ${commit} (${root})`);
for (const n of nodeNames) put(facts.nodes, n, { metadata: meta(n, undefined, { 'kubernetes.io/os': 'linux' }), status: { conditions: [] } });
put(facts.pools, 'p', { metadata: meta('p'), spec: { addresses: ['2001:db8:1::1000-2001:db8:1::ffff'] } });
put(facts.ads, 'all', { metadata: meta('all'), spec: {} });
const sliceOf = (i: number, ready: boolean) => ({
  metadata: meta(`s${i}-x`, 'ns', { 'kubernetes.io/service-name': `s${i}` }),
  endpoints: [0, 1].map(() => ({ nodeName: nodeNames[Math.floor(random() * NODES)], conditions: { ready } })),
});
const slices = ips.map((_, i) => sliceOf(i, true));
ips.forEach((ip, i) => {
  put(facts.services, `ns/s${i}`, { metadata: meta(`s${i}`, 'ns'), spec: { type: 'LoadBalancer', externalTrafficPolicy: i % 10 === 0 ? 'Local' : 'Cluster' } });
  put(facts.slices, `ns/s${i}-x`, slices[i]);
  const parsed = core.parseAddress(ip);
  const name = core.lbAddressName(parsed.value);
  put(facts.addresses, name, { metadata: meta(name), spec: { address: ip, pool: 'p', services: [{ namespace: 'ns', name: `s${i}` }] } });
});
speaker.setLink('2001:db8:1::b/64');

// Every election round is timed: the longest is how long the event loop could answer nothing.
// The machine is shared: wall time includes time the process was not even scheduled, so each round's
// CPU time (process.cpuUsage: this thread's work, plus any GC helper threads meanwhile) is kept too.
const rounds: number[] = [];
const roundsCpu: number[] = [];
const recompute = rounder.recompute.bind(rounder);
rounder.recompute = () => {
  const t = performance.now();
  const c = process.cpuUsage();
  recompute();
  const used = process.cpuUsage(c);
  rounds.push(performance.now() - t);
  roundsCpu.push((used.user + used.system) / 1000);
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Waits until no election round ran for `quietMs` (a hand-over's timeout included). */
async function settle(quietMs = 400): Promise<void> {
  let seen = rounds.length;
  let still = 0;
  while (still < quietMs) {
    await sleep(50);
    if (rounds.length !== seen) {
      seen = rounds.length;
      still = 0;
    } else still += 50;
  }
}

/** Heap and ArrayBuffer bytes after a full GC (run with --expose-gc; without it, whatever is live plus garbage). */
const gc = (globalThis as { gc?: () => void }).gc;
const memory = () => {
  gc?.();
  const m = process.memoryUsage();
  return { heapUsedMiB: round(m.heapUsed / 2 ** 20), arrayBuffersMiB: round(m.arrayBuffers / 2 ** 20), rssMiB: round(m.rss / 2 ** 20), bytes: m.heapUsed + m.arrayBuffers };
};
const election = ctl.election;
/** What the rank cache says it holds (main's and the branch's both have size()). */
const rankCacheSize = () => election?.ranks?.size?.() as { addresses: number; nodes: number; bytes: number } | undefined;
const beforeElection = memory();

// First election: on main one synchronous call; on the branch spread over turns.
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const t0 = performance.now();
const c0 = process.cpuUsage();
ctl.cachesSynced = true;
ctl.checkReadiness();
while (!ctl.electing) await sleep(5);
const firstElectionMs = performance.now() - t0;
const firstCpu = process.cpuUsage(c0);
await settle();
delay.disable();
const firstElection = { wallMs: round(firstElectionMs), cpuMs: round((firstCpu.user + firstCpu.system) / 1000), maxSingleBlockMs: round(Math.max(0, ...rounds)), loopDelayMaxMs: round(delay.max / 1e6), ownedBySelf: announcer.announcing().length };
log(`first election ${firstElection.wallMs} ms (longest loop delay ${firstElection.loopDelayMaxMs} ms), this node owns ${firstElection.ownedBySelf}`);
const afterElection = memory();
const electionMemory = {
  gcForced: gc !== undefined,
  beforeFirstElection: { heapUsedMiB: beforeElection.heapUsedMiB, arrayBuffersMiB: beforeElection.arrayBuffersMiB, rssMiB: beforeElection.rssMiB },
  afterFirstElection: { heapUsedMiB: afterElection.heapUsedMiB, arrayBuffersMiB: afterElection.arrayBuffersMiB, rssMiB: afterElection.rssMiB },
  // The election's state (results, owner index, rank cache) and the announcer's for what this node owns.
  grownByFirstElectionMiB: round((afterElection.bytes - beforeElection.bytes) / 2 ** 20),
  rankCache: rankCacheSize(),
};
log(`memory: ${JSON.stringify(electionMemory)}`);

// Peers announce what they own, as their heartbeats would.
const ownerOf = (i: number) => ctl.status.lastResult(core.lbAddressName(core.parseAddress(ips[i]).value))?.owner?.node as string | undefined;
ips.forEach((ip, i) => peers.get(ownerOf(i) ?? '')?.announcing.push(ip));
membershipChanged();
await settle();

type Sample = { maxSingleBlockMs: number; maxSingleBlockCpuMs: number; electionMs: number; electionCpuMs: number; rounds: number; loopDelayMaxMs: number };
const samples: Record<'peerLeaves' | 'peerJoins' | 'serviceChanges', Sample[]> = { peerLeaves: [], peerJoins: [], serviceChanges: [] };
const allDelay = monitorEventLoopDelay({ resolution: 1 });
allDelay.enable();
// --profile FILE: a CPU profile of the events phase only (the first election would drown it).
const session = values.profile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
async function measure(kind: keyof typeof samples, act: () => void): Promise<void> {
  const from = rounds.length;
  const d = monitorEventLoopDelay({ resolution: 1 });
  d.enable();
  act();
  await settle();
  d.disable();
  const mine = rounds.slice(from);
  const cpu = roundsCpu.slice(from);
  samples[kind].push({
    maxSingleBlockMs: Math.max(0, ...mine), maxSingleBlockCpuMs: Math.max(0, ...cpu), electionMs: mine.reduce((s, v) => s + v, 0), electionCpuMs: cpu.reduce((s, v) => s + v, 0),
    rounds: mine.length, loopDelayMaxMs: d.max / 1e6,
  });
}
for (let t = 0; t < TRIALS; t++) {
  const peer = nodeNames[1 + Math.floor(random() * (NODES - 1))]!;
  const p = peers.get(peer)!;
  await measure('peerLeaves', () => {
    p.alive = false;
    membershipChanged();
  });
  await measure('peerJoins', () => {
    p.alive = true;
    membershipChanged();
  });
  const i = Math.floor(random() * ADDRESSES);
  const ready = !slices[i]!.endpoints[0]!.conditions.ready;
  slices[i] = sliceOf(i, ready);
  await measure('serviceChanges', () => put(facts.slices, `ns/s${i}-x`, slices[i]));
  const last = (k: keyof typeof samples) => `max block ${round(samples[k].at(-1)!.maxSingleBlockMs)} ms (cpu ${round(samples[k].at(-1)!.maxSingleBlockCpuMs)}), total ${round(samples[k].at(-1)!.electionMs)} ms in ${samples[k].at(-1)!.rounds} blocks`;
  log(`trial ${t + 1}/${TRIALS}: leave ${last('peerLeaves')}, join ${last('peerJoins')}, service ${last('serviceChanges')}`);
}
allDelay.disable();
if (session) writeFileSync(values.profile!, JSON.stringify((await session.post('Profiler.stop')).profile));
const summary = (xs: Sample[]) => ({
  // The goal: no single stretch of election work (one turn of the event loop) over 50 ms.
  maxSingleBlockMs: summarize(xs.map((x) => x.maxSingleBlockMs)),
  maxSingleBlockCpuMs: summarize(xs.map((x) => x.maxSingleBlockCpuMs)),
  eventsWithABlockOver50Ms: xs.filter((x) => x.maxSingleBlockMs > 50).length,
  eventsWithABlockOver50MsCpu: xs.filter((x) => x.maxSingleBlockCpuMs > 50).length,
  electionMsPerEvent: summarize(xs.map((x) => x.electionMs)),
  electionCpuMsPerEvent: summarize(xs.map((x) => x.electionCpuMs)),
  roundsPerEvent: summarize(xs.map((x) => x.rounds), 0),
  loopDelayMaxMs: summarize(xs.map((x) => x.loopDelayMaxMs)),
});
// The standby plan (issue 11): who takes each address over if its owner dies, the election again without
// each owner; the speaker redoes it (in slices) up to twice a second while anything changes.
// Wall time (the host is shared) and this process's CPU time of each plan. The first plan of the series is
// also reported alone (standbyPlanFirst*): an election that keeps answers between plans pays it in full once.
const standbyPlanMs: number[] = [];
const standbyPlanCpuMs: number[] = [];
const timedPlan = (ms: number[], cpuMs: number[]) => {
  const t0 = performance.now();
  const c = process.cpuUsage();
  core.standbyPlan({ self, results: [...election.results()], successorIfGone: (n: string) => election.successorIfGone(n), alive: () => true });
  const used = process.cpuUsage(c);
  ms.push(performance.now() - t0);
  cpuMs.push((used.user + used.system) / 1000);
};
for (let t = 0; t < TRIALS; t++) timedPlan(standbyPlanMs, standbyPlanCpuMs);
log(`standby plan over ${ADDRESSES} addresses: ${JSON.stringify(summarize(standbyPlanMs))} ms, cpu ${JSON.stringify(summarize(standbyPlanCpuMs))} ms`);
// What the speaker actually replans after: one peer's facts changed (it leaves, then joins again), the
// election settled, then one whole plan. Another peer each trial.
const afterChange = { leaveMs: [] as number[], leaveCpuMs: [] as number[], joinMs: [] as number[], joinCpuMs: [] as number[] };
for (let t = 0; t < TRIALS; t++) {
  const p = peers.get(nodeNames[1 + Math.floor(random() * (NODES - 1))]!)!;
  p.alive = false;
  membershipChanged();
  await settle();
  timedPlan(afterChange.leaveMs, afterChange.leaveCpuMs);
  p.alive = true;
  membershipChanged();
  await settle();
  timedPlan(afterChange.joinMs, afterChange.joinCpuMs);
}
ctl.stop();
announcer.close();
log(`standby plan after a peer leaves: cpu ${JSON.stringify(summarize(afterChange.leaveCpuMs))} ms; after it joins: cpu ${JSON.stringify(summarize(afterChange.joinCpuMs))} ms`);

writeReport(values.name, {
  what: 'SpeakerController + Announcer in one process (fake sockets, caches fed directly): event-loop time of the election per event',
  commit, addresses: ADDRESSES, nodes: NODES, trials: TRIALS, hash: HASH, interfaces: INTERFACES,
  firstElection,
  electionMemory,
  peerLeaves: summary(samples.peerLeaves),
  peerJoins: summary(samples.peerJoins),
  serviceChanges: summary(samples.serviceChanges),
  standbyPlanMs: summarize(standbyPlanMs),
  standbyPlanCpuMs: summarize(standbyPlanCpuMs),
  standbyPlanFirstMs: round(standbyPlanMs[0] ?? NaN),
  standbyPlanFirstCpuMs: round(standbyPlanCpuMs[0] ?? NaN),
  standbyPlanAfterPeerLeaves: { ms: summarize(afterChange.leaveMs), cpuMs: summarize(afterChange.leaveCpuMs) },
  standbyPlanAfterPeerJoins: { ms: summarize(afterChange.joinMs), cpuMs: summarize(afterChange.joinCpuMs) },
  loopDelayDuringEventsMs: { p50: round(allDelay.percentile(50) / 1e6), p99: round(allDelay.percentile(99) / 1e6), max: round(allDelay.max / 1e6) },
  heapUsedMiB: round(process.memoryUsage().heapUsed / 2 ** 20),
  memoryAtEnd: (({ bytes: _b, ...m }) => m)(memory()),
  rankCacheAtEnd: rankCacheSize(),
  loadAvgAtEnd: loadAverage(),
  ...env,
});
process.exit(0);
