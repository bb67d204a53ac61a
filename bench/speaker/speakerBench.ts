// The shared world of the speaker benchmarks: a private control plane (never the tests' one), and on it
// the e2e SpeakerWorld — a LAN of three node namespaces plus a client, the real controller and one real
// herald-speaker per node. Helpers read the speakers' pino logs, /metrics and /proc, and run probes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { ClusterInfo } from '../../test/cluster/clusterInfo.js';
import { clusterInfoOf, startControlPlane, type ControlPlane } from '../../test/cluster/controlPlane.js';
import { useCluster } from '../../test/cluster/kube.js';
import type { Lan, LanHost, LanNode } from '../../test/lan/lan.js';
import { waitFor } from '../../test/processes.js';
import { SPEAKER_MAIN, SpeakerWorld } from '../../test/speaker/speakerWorld.js';
import { expectedOwner } from '../../test/speaker/expectedOwner.js';

const root = resolve(import.meta.dirname, '../..');
export const TIMED_ARP_PROBE = join(import.meta.dirname, '../../test/speaker/fixtures/arpProbe.mjs');

export interface BenchWorld {
  readonly world: SpeakerWorld;
  readonly plane: ControlPlane;
  /** Kubernetes Node names of the LAN nodes, in LAN order. */
  readonly names: string[];
  stop(): Promise<void>;
  /** True once stop() began (also from SIGINT/SIGTERM): a process exiting now is being stopped, not failing. */
  stopping(): boolean;
}

/** Fails early when the speaker, its addon or the controller were never built (the benches run dist/). */
export function checkBuild(): void {
  for (const f of [SPEAKER_MAIN, join(root, 'packages/speaker/native/build/Release/herald_net.node'), join(root, 'packages/controller/dist/bundle/herald-controller.mjs'), join(root, 'packages/core/dist/index.js')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm_config_nodedir=/usr npm run build\` first`);
  }
}

/**
 * Starts a private control plane and a SpeakerWorld on it. `stop()` tears both down (safe twice); SIGINT
 * and SIGTERM do the same before exiting, and the harness reapers cover a crash.
 */
export async function startBenchWorld(o: {
  log: (m: string) => void;
  speakerArgs?: string[];
  nodes?: number;
  speakers?: boolean;
  /** Runs once the LAN, Nodes and namespaces exist, before the controller starts (e.g. to seed thousands of Services). */
  beforeController?: (world: SpeakerWorld, plane: ControlPlane) => Promise<void>;
}): Promise<BenchWorld> {
  checkBuild();
  const plane = await startControlPlane({ log: (m) => o.log(`cluster: ${m}`) });
  const info: ClusterInfo = clusterInfoOf(plane);
  // test/cluster/crds.ts (used by SpeakerWorld.start) reaches the cluster through kube.ts's cluster().
  useCluster(info);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const world = new SpeakerWorld(kc, info, o.nodes ?? 3);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const t0 = Date.now();
    // The control plane is private and goes next: deleting thousands of API objects first would be wasted time.
    await world.stop({ apiObjects: false }).catch((e: Error) => o.log(`world.stop failed: ${e.message}`));
    const t1 = Date.now();
    await plane.stop().catch((e: Error) => o.log(`control plane stop failed: ${e.message}`));
    o.log(`stopped: the speaker world in ${(t1 - t0) / 1000} s, the control plane in ${(Date.now() - t1) / 1000} s`);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    o.log(`${signal}: cleaning up`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const nodes = o.nodes ?? 3;
    o.log(`starting the speaker world (${nodes} nodes, client, controller, ${o.speakers === false ? 'no' : nodes} speakers)`);
    const { beforeController } = o;
    await world.start({
      ...(o.speakerArgs ? { speakerArgs: o.speakerArgs } : {}),
      ...(o.speakers === false ? { speakers: false } : {}),
      // Seeded Services (thousands) delay the controller's /readyz past startController's wait: do not wait.
      ...(beforeController ? { beforeController: () => beforeController(world, plane), controllerReady: false } : {}),
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { world, plane, names: world.lan.nodes.map((n) => world.nodeName(n)), stop, stopping: () => stopped };
}

export { expectedOwner };

export interface LogLine {
  time: number;
  event?: string;
  [k: string]: unknown;
}

/** Every pino line a node's speaker(s) wrote so far (restarts append to the same file). */
export function speakerLog(world: SpeakerWorld, node: LanNode): LogLine[] {
  const file = join(world.lan.logDir, `${node.name}-speaker.log`);
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line being written right now
    }
  }
  return out;
}

/** First log line at or after `since` (epoch ms) matching `match`. */
export function firstEvent(lines: readonly LogLine[], since: number, match: (l: LogLine) => boolean): LogLine | undefined {
  return lines.find((l) => l.time >= since && match(l));
}

/** Waits until a node's speaker log holds a matching line at or after `since`. */
export async function waitForEvent(world: SpeakerWorld, node: LanNode, since: number, match: (l: LogLine) => boolean, what: string, timeoutMs = 10_000): Promise<LogLine> {
  let found: LogLine | undefined;
  await waitFor(what, () => (found = firstEvent(speakerLog(world, node), since, match)) !== undefined, { timeoutMs, intervalMs: 50 });
  return found!;
}

/** VmRSS and VmHWM of a process, in KiB. */
export function processMemory(pid: number): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

export interface Histogram {
  /** Cumulative counts by upper bound ("+Inf" last). */
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

/** One Prometheus histogram (no labels) from a /metrics text. */
export function parseHistogram(metricsText: string, name: string): Histogram {
  const buckets: Record<string, number> = {};
  for (const m of metricsText.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) buckets[m[1]!] = Number(m[2]);
  const sum = Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(metricsText)?.[1] ?? 0);
  const count = Number(new RegExp(`^${name}_count (\\S+)$`, 'm').exec(metricsText)?.[1] ?? 0);
  return { buckets, sum, count };
}

/** after − before, bucket by bucket (same process, so counters only grew). */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  const buckets: Record<string, number> = {};
  for (const [le, n] of Object.entries(after.buckets)) buckets[le] = n - (before.buckets[le] ?? 0);
  return { buckets, sum: after.sum - before.sum, count: after.count - before.count };
}

/** Buckets in ascending order of their bound, as [le, cumulative count] pairs (object keys would reorder). */
export function orderedBuckets(h: Histogram): [string, number][] {
  const bound = (le: string) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));
  return Object.entries(h.buckets).sort((x, y) => bound(x[0]) - bound(y[0]));
}

export function addHistograms(a: Histogram, b: Histogram): Histogram {
  const buckets: Record<string, number> = { ...a.buckets };
  for (const [le, n] of Object.entries(b.buckets)) buckets[le] = (buckets[le] ?? 0) + n;
  return { buckets, sum: a.sum + b.sum, count: a.count + b.count };
}

export interface ProbeResult {
  sent: number;
  answered: number;
  lost: number[];
  lostSentAtEpochMs: number[];
  perMac: Record<string, number>;
  /** First and last reply per MAC, epoch ms. */
  perMacWindow: Record<string, { firstEpochMs: number; lastEpochMs: number }>;
  worstDelayMs: number;
  meanDelayMs: number;
  startEpochMs: number;
  changes: { atMs: number; atEpochMs: number; mac: string }[];
}

/**
 * Runs the timed ARP probe from a host (the client by default). Resolves `ready` once the probe's socket
 * is open and its first request is about to go out, and `done` with its figures.
 */
export function startArpProbe(lan: Lan, o: { target: string; intervalMs: number; durationMs: number; from?: LanHost }): { ready: Promise<void>; done: Promise<ProbeResult> } {
  const from = o.from ?? lan.client;
  const child = spawn('ip', ['netns', 'exec', from.netns, process.execPath, TIMED_ARP_PROBE, from.lanInterface, from.ipv4, o.target, String(o.intervalMs), String(o.durationMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  let failReady: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((res, rej) => {
    markReady = res;
    failReady = rej;
  });
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    if (err.includes('ready\n')) markReady();
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), o.durationMs + 20_000);
  const done = new Promise<ProbeResult>((res, rej) => {
    child.on('exit', (code) => {
      clearTimeout(timeout);
      failReady(new Error(`the ARP probe exited (${code}) before it was ready: ${err}`));
      if (code !== 0) return rej(new Error(`the ARP probe failed (${code}): ${err}`));
      try {
        res(JSON.parse(out) as ProbeResult);
      } catch {
        rej(new Error(`the ARP probe printed no JSON: ${out} ${err}`));
      }
    });
  });
  return { ready, done };
}

/** Wait until the LBAddress status names `node` as the announcer. */
export async function waitForAnnouncer(world: SpeakerWorld, ip: string, node: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${node} to announce ${ip}`, async () => (await world.objects.lbAddress(ip))?.status?.node === node, { timeoutMs, intervalMs: 50 });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A starved apiserver answers 504 while it may have created the object: retry, 409 counts as done. */
export async function retryApi(f: () => Promise<unknown>, attempts = 6): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await f();
      return;
    } catch (e) {
      if ((e as { code?: number }).code === 409) return;
      if (i >= attempts) throw e;
      await sleep(1_000 * i);
    }
  }
}

/**
 * The small steady workload the idle and memory benchmarks share: a ready Pod on every node, a
 * dual-stack Service and five IPv4 ones spread over the nodes (7 addresses), each announced by its
 * hash owner before this resolves. Returns the addresses.
 */
export async function announceIdleWorkload(world: SpeakerWorld, names: readonly string[]): Promise<string[]> {
  await world.pool('lan', ['192.0.2.200-192.0.2.220', '2001:db8:1::200-2001:db8:1::220']);
  for (const n of world.lan.nodes) await world.readyPod('web', n);
  await world.service('web', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' });
  const ips = await world.waitForAddress('web', 2);
  for (let i = 1; i <= 5; i++) {
    await world.readyPod(`spread${i}`, world.lan.nodes[i % 3]!);
    await world.service(`spread${i}`);
    ips.push(...(await world.waitForAddress(`spread${i}`)));
  }
  for (const ip of ips) await waitForAnnouncer(world, ip.includes(':') ? ip.replaceAll(':', '-') : ip, expectedOwner(names, ip));
  return ips;
}

export interface OwnedAddress {
  readonly ip: string;
  readonly service: string;
  /** Node name (Kubernetes) and LAN node of the owner. */
  readonly owner: string;
  readonly node: LanNode;
}

/**
 * One IPv4 Service address owned by each node: Services (with a Ready Pod each, so the election has an
 * endpoint) are created until every node owns one; the extra ones are deleted, so that killing a node
 * moves exactly one address and the successor's failover histogram gains exactly one observation.
 */
export async function addressPerNode(bw: BenchWorld, prefix: string, log: (m: string) => void): Promise<OwnedAddress[]> {
  const { world, names } = bw;
  const byOwner = new Map<string, OwnedAddress>();
  const extra: string[] = [];
  for (let i = 1; byOwner.size < names.length; i++) {
    if (i > 20) throw new Error(`no address for every node after ${i - 1} Services`);
    const service = `${prefix}${i}`;
    await world.readyPod(service, world.lan.nodes[i % names.length]!);
    await world.service(service);
    const [ip] = await world.waitForAddress(service);
    const owner = expectedOwner(names, ip!);
    // Deleted only at the end: a released address would be handed straight to the next Service.
    if (byOwner.has(owner)) extra.push(service);
    else byOwner.set(owner, { ip: ip!, service, owner, node: world.nodeByName(owner) });
  }
  for (const name of extra) await world.core.deleteNamespacedService({ namespace: world.appNs, name });
  const out = names.map((n) => byOwner.get(n)!);
  for (const a of out) await waitForAnnouncer(world, a.ip, a.owner);
  log(`addresses: ${out.map((a) => `${a.ip}→${a.owner}`).join(', ')}`);
  return out;
}

/** Restarts a stopped speaker and waits until all three see each other and it announces `a` again. */
export async function restartOwner(bw: BenchWorld, a: OwnedAddress): Promise<void> {
  await bw.world.startSpeaker(a.node);
  await bw.world.waitForMembership(30_000);
  await waitForAnnouncer(bw.world, a.ip, a.owner, 30_000);
}

/** CPU seconds (user + system) a process used so far, from /proc/<pid>/stat; undefined once it is gone. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields 14 and 15 (utime, stime, in ticks of 1/100 s) counted after the parenthesised command name.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Where a bench world's CPU goes while it is being built: every `intervalMs` a progress line with what
 * `state()` says (counts) and the CPU seconds each process (apiserver, etcd, kube-controller-manager,
 * controller, every speaker, this bench) used in the interval, so a slow setup names its bottleneck.
 * Returns a stop function that also returns the CPU seconds used per process since the start.
 */
export function setupProgress(bw: Pick<BenchWorld, 'world' | 'plane'>, o: { log: (m: string) => void; state: () => Promise<string> | string; intervalMs?: number }): () => Record<string, number> {
  const pids = (): [string, number | undefined][] => {
    const p = bw.plane.processes;
    return [
      ['apiserver', p.apiserver.pid], ['etcd', p.etcd.pid], ['kcm', p.controllerManager?.pid], ['controller', bw.world.controller?.proc.pid],
      ...[...bw.world.speakers.values()].map((s) => [`speaker:${s.node.name}`, s.proc.child.pid] as [string, number | undefined]),
    ];
  };
  const sample = () => {
    const out: Record<string, number> = {};
    for (const [name, pid] of pids()) {
      const s = cpuSecondsOf(pid);
      if (s !== undefined) out[name] = s;
    }
    const self = process.cpuUsage();
    out.bench = (self.user + self.system) / 1e6;
    return out;
  };
  const first = sample();
  let last = first;
  let lastAt = Date.now();
  const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Math.round((v - (a[k] ?? 0)) * 10) / 10]));
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const state = await o.state();
        const now = sample();
        const s = (Date.now() - lastAt) / 1000;
        o.log(`${state}; CPU s in the last ${Math.round(s)} s: ${JSON.stringify(diff(last, now))}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
        last = now;
        lastAt = Date.now();
      } catch (e) {
        o.log(`progress: ${(e as Error).message}`);
      } finally {
        busy = false;
      }
    })();
  }, o.intervalMs ?? 10_000);
  return () => {
    clearInterval(timer);
    return diff(first, sample());
  };
}
