// Garbage the speaker makes on the hand-over path and per heartbeat datagram (ADR 0012: a major GC of the
// speaker's heap on a starved host can outlast the 550 ms a monitor waits before declaring a death, so
// every byte the hot paths allocate brings the next collection closer). In one process, no root, no
// cluster, from a build's dist/ (so the same script measures main and a branch: --root <checkout>):
//
// (a) membership: three real Membership instances (version-2 ring, HMAC, codec) on an in-memory LAN, real
//     time. Bytes allocated per idle second (all three speakers), and by one speaker publishing an
//     announced list that grows to HANDOVER addresses in ten steps 100 ms apart and shrinks back (what the
//     taker of a hand-over publishes), beyond the idle rate.
// (b) election: the real SpeakerController and Announcer (fake sockets, caches fed directly, status writes
//     echoed back through the LBAddress cache as the watch delivers them), this node owning ADDRESSES
//     addresses with two peers; n2 joins the election (takes about half) and leaves again. Bytes allocated,
//     GC count and longest GC pause (v8.GCProfiler) through the join and the leave, live heap after.
//
// Bytes allocated are read from the heap in use before and after each collection (v8.GCProfiler), so
// they do not depend on host load; GC pauses do (noted with /proc/loadavg).
// Run: node --expose-gc --import tsx bench/speaker/handoverGarbage.ts [--root DIR] [--addresses 1500] [--name handoverGarbage]
import { execFileSync } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as v8 from 'node:v8';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { inProcessSpeaker, type BenchPeer } from './inProcessSpeaker.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round } from './stats.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string' }, addresses: { type: 'string', default: '1500' }, name: { type: 'string', default: 'handoverGarbage' },
    idleSeconds: { type: 'string', default: '10' },
    // Where the bytes go: allocation sites (sampling heap profiler, collected objects included) per phase.
    sites: { type: 'boolean', default: false },
  },
});
const root = resolve(values.root ?? join(import.meta.dirname, '../..'));
const ADDRESSES = Number(values.addresses);
const HANDOVER = Math.round(ADDRESSES / 2);
const IDLE_S = Number(values.idleSeconds);
const log = progress('handoverGarbage');
const env = machine();
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const load = async <T>(p: string): Promise<T> => (await import(pathToFileURL(join(root, p)).href)) as T;
/* eslint-disable @typescript-eslint/no-explicit-any -- the measured checkout's classes are loaded at run time, and the bench reaches into their caches */
const { Membership } = await load<any>('packages/speaker/dist/membership/membership.js');
const { createMembershipMetrics } = await load<any>('packages/speaker/dist/membership/membershipMetrics.js');
const { SpeakerController } = await load<any>('packages/speaker/dist/election/speakerController.js');
const { Announcer } = await load<any>('packages/speaker/dist/announce/announcer.js');
const { createSpeakerMetrics } = await load<any>('packages/speaker/dist/metrics.js');
const core = await load<any>('packages/core/dist/index.js');
const commit = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 100);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const quiet = pino({ level: 'warn' });

interface GcWindow { allocatedBytes: number; gcs: number; majorGcs: number; longestPauseMs: number; totalPauseMs: number }
/**
 * Runs `f` under v8.GCProfiler: bytes allocated = what the heap grew between collections (before each
 * collection minus after the previous one, and up to the end), collections and their main-thread time.
 */
async function measure(f: () => Promise<void>, phase: string): Promise<GcWindow> {
  gc!();
  if (values.sites) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  }
  const p = new v8.GCProfiler();
  const start = v8.getHeapStatistics().used_heap_size;
  p.start();
  await f();
  const end = v8.getHeapStatistics().used_heap_size;
  const data = p.stop() as { statistics: { gcType: string; cost: number; beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }[] };
  let allocated = 0;
  let prev = start;
  for (const s of data.statistics) {
    allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - prev);
    prev = s.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += Math.max(0, end - prev);
  if (values.sites) sites[phase] = topSites(((await session.post('HeapProfiler.stopSampling')) as { profile: { head: SiteNode } }).profile.head);
  const costs = data.statistics.map((s) => s.cost / 1000);
  return {
    allocatedBytes: allocated, gcs: costs.length,
    majorGcs: data.statistics.filter((s) => s.gcType === 'MarkSweepCompact').length,
    longestPauseMs: round(Math.max(0, ...costs), 2), totalPauseMs: round(costs.reduce((a, b) => a + b, 0), 2),
  };
}
interface SiteNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: SiteNode[] }
const session = new Session();
session.connect();
const sites: Record<string, { site: string; kib: number }[]> = {};
/** The 25 functions that allocated most (self size of the samples), with file:line. */
function topSites(head: SiteNode): { site: string; kib: number }[] {
  const by = new Map<string, number>();
  const walk = (n: SiteNode, stack: string[]) => {
    const here = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(packages|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    const path = [...stack, here].slice(-3).join(' < ');
    if (n.selfSize > 0) by.set(path, (by.get(path) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, [...stack, here]);
  };
  walk(head, []);
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([site, b]) => ({ site, kib: round(b / 1024) }));
}
const kib = (b: number) => round(b / 1024, 1);

// ------------------------------------------------------------------------------------- (a) membership
/** A switch in memory: a datagram arrives on the next turn of the event loop, as from a socket. */
class Lan {
  readonly hosts = new Map<string, { onMessage(b: Uint8Array, from: { address: string; port: number }): void }>();
  datagrams = 0;
  open() {
    return async (bind: { address: string; port: number }, handlers: { onMessage(b: Uint8Array, from: { address: string; port: number }): void }) => {
      const key = `${bind.address}:${bind.port}`;
      this.hosts.set(key, handlers);
      return {
        send: (bytes: Uint8Array, to: { address: string; port: number }, done: (e: Error | null) => void) => {
          this.datagrams++;
          const copy = Buffer.from(bytes);
          setImmediate(() => this.hosts.get(`${to.address}:${to.port}`)?.onMessage(copy, bind));
          done(null);
        },
        close: async () => {
          this.hosts.delete(key);
        },
      };
    };
  }
}

async function membershipPart() {
  const lan = new Lan();
  const key = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
  const names = ['n1', 'n2', 'n3'];
  const addressOf = (i: number) => `192.0.2.${11 + i}`;
  const members = names.map((node, i) => new Membership({
    node, incarnation: 1_700_000_000_000 + i,
    heartbeat: { address: addressOf(i), port: 7947, intervalMs: 100, key },
    peers: names.flatMap((other, j) => (j === i ? [] : [{ node: other, address: addressOf(j), port: 7947 }])),
    initialState: { draining: false, interfaces: [{ name: 'eth0', subnets: [`${addressOf(i)}/24`], mac: `02:00:00:00:00:1${i}` }], announcing: [] },
    // Made here (not a registry) so both older checkouts and those whose Membership takes only metrics run.
    metrics: createMembershipMetrics(new Registry()), log: quiet, openDatagrams: lan.open(),
  }));
  for (const m of members) await m.start();
  await sleep(2_000);
  const ips = Array.from({ length: HANDOVER }, (_, i) => `2001:db8:7::${(0x1000 + i).toString(16)}`);
  const publish = (n: number) => members[0].setLocalState({ draining: false, ready: true, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'], mac: '02:00:00:00:00:10' }], announcing: ips.slice(0, n) });
  // One round trip: the state each member holds of n1 settles before and after.
  const d0 = lan.datagrams;
  const idle = await measure(() => sleep(IDLE_S * 1_000), 'membershipIdle');
  const idleDatagrams = lan.datagrams - d0;
  const d1 = lan.datagrams;
  const HANDOVER_WINDOW_MS = 4_000;
  const handover = await measure(async () => {
    const t0 = Date.now();
    for (let step = 1; step <= 10; step++) {
      publish(Math.round((HANDOVER * step) / 10));
      await sleep(100);
    }
    await sleep(1_000);
    for (let step = 9; step >= 0; step--) {
      publish(Math.round((HANDOVER * step) / 10));
      await sleep(100);
    }
    await sleep(HANDOVER_WINDOW_MS - (Date.now() - t0));
  }, 'membershipHandover');
  const handoverDatagrams = lan.datagrams - d1;
  const deaths = members.reduce((s, m) => s + m.view().peers.filter((p: { alive: boolean }) => !p.alive).length, 0);
  for (const m of members) await m.stop();
  const idlePerSecond = idle.allocatedBytes / IDLE_S;
  return {
    idle: { seconds: IDLE_S, datagramsPerSecond: round(idleDatagrams / IDLE_S), allocatedKiBPerSecondAllThree: kib(idlePerSecond), allocatedKiBPerSpeakerSecond: kib(idlePerSecond / 3), bytesPerDatagram: round(idle.allocatedBytes / idleDatagrams, 0), gcs: idle.gcs },
    announcedListPublished: {
      what: `n1 publishes its announced list growing to ${HANDOVER} addresses in 10 steps 100 ms apart, holds 1 s, shrinks back in 10 steps; ${HANDOVER_WINDOW_MS / 1000} s window, all three speakers`,
      datagrams: handoverDatagrams,
      allocatedKiB: kib(handover.allocatedBytes),
      allocatedKiBBeyondIdle: kib(handover.allocatedBytes - (idlePerSecond * HANDOVER_WINDOW_MS) / 1000),
      gcs: handover.gcs,
    },
    peersSeenDeadAtEnd: deaths,
  };
}

// --------------------------------------------------------------------------------------- (b) election
async function electionPart() {
  const self = 'n1';
  const nodeNames = ['n1', 'n2', 'n3'];
  const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';
  const ips = Array.from({ length: ADDRESSES }, (_, i) => `2001:db8:7::${(0x1000 + i).toString(16)}`);
  const peers = new Map<string, BenchPeer>();
  nodeNames.slice(1).forEach((n, i) => peers.set(n, {
    alive: true, ready: true, draining: false, judgedBy: 'Heartbeat', heartbeatsBroken: false, incarnation: 1,
    interfaces: [{ name: 'eth0', subnets: [`2001:db8:7::${(i + 0x20).toString(16)}/64`] }], announcing: [], macs: [`02:00:00:00:01:0${i}`],
  }));
  let writes = 0;
  // A status write comes back through the watch as an LBAddress update (the speaker re-reads its facts).
  const echo = (name: string, status: unknown) => {
    const obj = facts.addresses.store.get(name);
    const updated = { ...obj, metadata: { ...obj.metadata, resourceVersion: speaker.nextVersion() }, status };
    setImmediate(() => put(facts.addresses, name, updated));
    return updated;
  };
  const speaker = inProcessSpeaker({
    herald: { SpeakerController, Announcer, createSpeakerMetrics }, self, peers, heartbeatAddress: '2001:db8:7::b', log: quiet,
    writer: (cached) => ({
      patchStatus: async (name: string, status: unknown) => {
        writes++;
        return echo(name, status);
      },
      read: async (name: string) => cached().addresses.store.get(name),
      lbAddressEvent: () => undefined,
      event: () => undefined,
    }),
  });
  const { ctl, facts, announcer, membershipChanged, put, meta } = speaker;
  const nodeObject = (n: string, excluded: boolean) => ({ metadata: meta(n, undefined, { 'kubernetes.io/os': 'linux', ...(excluded ? { [EXCLUDE]: '' } : {}) }), status: { conditions: [] } });
  for (const n of nodeNames) put(facts.nodes, n, nodeObject(n, n !== self));
  put(facts.pools, 'p', { metadata: meta('p'), spec: { addresses: [`${ips[0]}-${ips.at(-1)}`] } });
  put(facts.ads, 'all', { metadata: meta('all'), spec: {} });
  const names = ips.map((ip, i) => {
    put(facts.services, `ns/s${i}`, { metadata: meta(`s${i}`, 'ns'), spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' } });
    put(facts.slices, `ns/s${i}-x`, { metadata: meta(`s${i}-x`, 'ns', { 'kubernetes.io/service-name': `s${i}` }), endpoints: [{ nodeName: self, conditions: { ready: true } }] });
    const name = core.lbAddressName(core.parseAddress(ip).value);
    put(facts.addresses, name, { metadata: meta(name), spec: { address: ip, pool: 'p', services: [{ namespace: 'ns', name: `s${i}` }] } });
    return name as string;
  });
  const nameOf = new Map(ips.map((ip, i) => [ip, names[i]!]));
  speaker.setLink('2001:db8:7::b/64');
  ctl.cachesSynced = true;
  ctl.checkReadiness();
  const ownedBy = (node: string) => names.filter((n) => ctl.status.lastResult(n)?.owner?.node === node).length;
  const until = async (what: string, ok: () => boolean, timeoutMs = 120_000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  await until(`${self} to announce all ${ADDRESSES}`, () => announcer.announcing().length === ADDRESSES);
  await sleep(1_000);
  const n2 = peers.get('n2')!;
  /** n2 announces what it wins, as its heartbeats would say, and writes those statuses (echoed here). */
  const n2Claims = () => {
    const wins = ips.filter((_, i) => ctl.status.lastResult(names[i])?.owner?.node === 'n2');
    if (wins.length === n2.announcing.length) return;
    n2.announcing = wins;
    membershipChanged();
    for (const ip of wins) {
      const name = nameOf.get(ip)!;
      if (facts.addresses.store.get(name)?.status?.node !== 'n2') echo(name, { node: 'n2', mac: '02:00:00:00:01:00' });
    }
  };
  let moved = 0;
  const join = await measure(async () => {
    put(facts.nodes, 'n2', nodeObject('n2', false));
    await until('n2 to win about half', () => {
      n2Claims();
      return announcer.announcing().length < ADDRESSES && announcer.announcing().length + n2.announcing.length === ADDRESSES && ownedBy('n2') === n2.announcing.length;
    });
    moved = n2.announcing.length;
    await sleep(1_000);
  }, 'electionJoin');
  const joinWrites = writes;
  const leave = await measure(async () => {
    put(facts.nodes, 'n2', nodeObject('n2', true));
    await until(`${self} to announce all again`, () => announcer.announcing().length === ADDRESSES);
    n2.announcing = [];
    membershipChanged();
    await sleep(1_000);
  }, 'electionLeave');
  gc!();
  const liveHeapMiB = round(v8.getHeapStatistics().used_heap_size / 2 ** 20);
  ctl.stop();
  announcer.close();
  return {
    addresses: ADDRESSES, movedEachWay: moved,
    join: { ...join, allocatedMiB: round(join.allocatedBytes / 2 ** 20), allocatedBytesPerMovedAddress: round(join.allocatedBytes / moved, 0), statusWrites: joinWrites },
    leave: { ...leave, allocatedMiB: round(leave.allocatedBytes / 2 ** 20), allocatedBytesPerMovedAddress: round(leave.allocatedBytes / moved, 0), statusWrites: writes - joinWrites },
    liveHeapAfterMiB: liveHeapMiB,
  };
}

log(`measuring ${commit} (${root})`);
const m = await membershipPart();
log(`membership: ${JSON.stringify(m)}`);
const e = await electionPart();
log(`election: ${JSON.stringify(e)}`);
writeReport(values.name, {
  what: 'bytes allocated (v8.GCProfiler: heap growth between collections) on the hand-over path and per heartbeat datagram, in one process from dist/',
  commit, node: process.version,
  membership: m,
  election: e,
  ...(values.sites ? { sites } : {}),
  loadAvgAtEnd: loadAverage(),
  ...env,
});
process.exit(0);
