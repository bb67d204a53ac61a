// The speaker's own share of the whole bench's first announcement (wholeSpeaker.ts, setup), without the API
// server, the controller or the wire: the real SpeakerController and Announcer of a build (--root, so main and
// a branch are measured by the same script) in one process (inProcessSpeaker.ts), with the bench's shape —
// this node and two peers excluded from load balancers (it owns everything), ADDRESSES IPv6 LBAddresses
// each with its own Service and a ready endpoint — fed straight into the caches. From the readiness gate
// passing (caches synced) to the announcer answering every address and its gauge saying so, it counts what
// does not depend on host load: election rounds, flush calls, SHA-256 digests, announcer slices; and
// reports the wall and CPU time beside them. Status writes come back as watch updates of the LBAddress
// (--echo, default on), as the API server's would.
// Run: node --import tsx bench/speaker/firstAnnouncement.ts [--root DIR] [--addresses 10000] [--echo false]
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { inProcessSpeaker, type BenchPeer, type InProcessSpeaker } from './inProcessSpeaker.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round } from './stats.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string' }, addresses: { type: 'string', default: '10000' }, echo: { type: 'string', default: 'true' },
    name: { type: 'string', default: 'firstAnnouncement' },
  },
});
const root = resolve(values.root ?? join(import.meta.dirname, '../..'));
const ADDRESSES = Number(values.addresses);
const ECHO = values.echo !== 'false';
const log = progress('firstAnnouncement');
const env = machine();

/* eslint-disable @typescript-eslint/no-explicit-any -- the measured checkout's classes are loaded at run time, and the bench reaches into them */
const load = async (p: string): Promise<any> => import(pathToFileURL(join(root, p)).href);
const { SpeakerController } = await load('packages/speaker/dist/election/speakerController.js');
const { Announcer } = await load('packages/speaker/dist/announce/announcer.js');
const { createSpeakerMetrics } = await load('packages/speaker/dist/metrics.js');
const core = await load('packages/core/dist/index.js');
const commit = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 100);

const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';
const self = 'n1';
const peers = new Map<string, BenchPeer>();
for (const n of ['n2', 'n3']) {
  peers.set(n, {
    alive: true, ready: true, draining: false, judgedBy: 'heartbeat', heartbeatsBroken: false,
    interfaces: [{ name: 'eth0', subnets: ['2001:db8:1::20/64'] }], announcing: [], macs: [`02:00:00:00:01:0${n.slice(1)}`],
  });
}
/** The world, once made: its writer needs the version counter and the cache it belongs to. */
const box: { world?: InProcessSpeaker } = {};
let statusWrites = 0;
const speaker = inProcessSpeaker({
  herald: { SpeakerController, Announcer, createSpeakerMetrics }, self, peers, heartbeatAddress: '2001:db8:1::b', log: pino({ level: 'warn' }),
  // A written status comes back from the watch a moment later, with a new resourceVersion.
  writer: (facts) => ({
    patchStatus: async (name: string, status: unknown) => {
      statusWrites++;
      const written = { ...facts().addresses.store.get(name), status };
      written.metadata = { ...written.metadata, resourceVersion: box.world!.nextVersion() };
      if (ECHO) setTimeout(() => box.world!.put(facts().addresses, name, written), 1);
      return written;
    },
    read: async (name: string) => facts().addresses.store.get(name),
    lbAddressEvent: () => undefined,
    event: () => undefined,
  }),
});
box.world = speaker;
const { ctl, facts, rounder, announcer, put, meta } = speaker;

log(`building ${ADDRESSES} addresses, 3 nodes (n2, n3 excluded); measuring ${commit} (${root})`);
for (const n of ['n1', 'n2', 'n3']) put(facts.nodes, n, { metadata: meta(n, undefined, { 'kubernetes.io/os': 'linux', ...(n === self ? {} : { [EXCLUDE]: '' }) }), status: { conditions: [] } });
put(facts.pools, 'p', { metadata: meta('p'), spec: { addresses: ['2001:db8:1::1000-2001:db8:1::ffff'] } });
put(facts.ads, 'all', { metadata: meta('all'), spec: {} });
for (let i = 0; i < ADDRESSES; i++) {
  const ip = `2001:db8:1::${(0x1000 + i).toString(16)}`;
  put(facts.services, `ns/s${i}`, { metadata: meta(`s${i}`, 'ns'), spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' } });
  put(facts.slices, `ns/s${i}-x`, { metadata: meta(`s${i}-x`, 'ns', { 'kubernetes.io/service-name': `s${i}` }), endpoints: [{ nodeName: self, conditions: { ready: true } }] });
  const name = core.lbAddressName(core.parseAddress(ip).value);
  put(facts.addresses, name, { metadata: meta(name), spec: { address: ip, pool: 'p', services: [{ namespace: 'ns', name: `s${i}` }] } });
}
speaker.setLink('2001:db8:1::b/64');

// Counted, not timed: each election round (first election and applied), each flush call, each digest.
const counts = { rounds: 0, roundsBeforeElecting: 0, flushCalls: 0, announcerSlices: 0 };
const roundMs: number[] = [];
const roundCpuMs: number[] = [];
const scheduleRound = rounder.round.bind(rounder);
rounder.round = () => {
  counts.rounds++;
  if (!ctl.electing) counts.roundsBeforeElecting++;
  const t = performance.now();
  const c = process.cpuUsage();
  const more = scheduleRound();
  roundMs.push(performance.now() - t);
  const used = process.cpuUsage(c);
  roundCpuMs.push((used.user + used.system) / 1000);
  return more;
};
const election = ctl.election;
const flush = election.flush.bind(election);
election.flush = (limit: number) => {
  counts.flushCalls++;
  return flush(limit);
};
// Each slice of starts the announcer works off in one turn (set/update run one, the rest continue on later turns).
const drain = announcer.drain.bind(announcer);
announcer.drain = () => {
  counts.announcerSlices++;
  return drain();
};
const announced = async (): Promise<number> => {
  const g = await announcer.o.metrics.announced.get();
  return (g.values as { value: number }[]).reduce((a, v) => a + v.value, 0);
};

const t0 = performance.now();
const c0 = process.cpuUsage();
ctl.cachesSynced = true;
ctl.checkReadiness();
let electingMs: number | undefined;
let allStartedMs: number | undefined;
for (;;) {
  await new Promise((r) => setTimeout(r, 5));
  electingMs ??= ctl.electing ? performance.now() - t0 : undefined;
  if (allStartedMs === undefined && announcer.active.size === ADDRESSES) allStartedMs = performance.now() - t0;
  if (allStartedMs !== undefined && (await announced()) === ADDRESSES) break;
  if (performance.now() - t0 > 600_000) throw new Error(`not every address announced within 600 s (${await announced()} of ${ADDRESSES})`);
}
const gaugeMs = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const hashes = election.ranks?.hashes as number | undefined;
ctl.stop();
announcer.close();
writeReport(values.name, {
  what: 'SpeakerController + Announcer in one process (fake sockets, caches fed directly, 3 nodes of which 2 excluded): readiness gate passed → every address announced',
  commit, addresses: ADDRESSES, statusEcho: ECHO,
  electingMs: round(electingMs ?? Number.NaN), everyAddressStartedMs: round(allStartedMs), gaugeSaysAllMs: round(gaugeMs), cpuMs: round((cpu.user + cpu.system) / 1000),
  ...counts, sha256: hashes, statusWrites,
  // Wall time includes time the process was not scheduled (a shared host); CPU time is this thread's work.
  longestRoundMs: round(Math.max(0, ...roundMs)),
  longestRoundCpuMs: round(Math.max(0, ...roundCpuMs)),
  loadAvgAtEnd: loadAverage(),
  ...env,
});
process.exit(0);
