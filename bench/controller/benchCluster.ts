// The shared world of the cluster benchmarks: a private control plane with herald's CRDs, a release
// namespace with the controller's ServiceAccount (the chart's RBAC), an IPv6 pool, and helpers to create
// Services, timestamp their addresses with one watch, and read the controller's process figures.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { clusterInfoOf, startControlPlane, type ControlPlane } from '../../test/cluster/controlPlane.js';
import type { ClusterInfo } from '../../test/cluster/clusterInfo.js';
import { serviceAccountKubeconfig } from '../../test/cluster/serviceAccount.js';
import { CONTROLLER_MAIN, startController, type ControllerProcess } from '../../test/controller/controllerProcess.js';
import { HeraldObjects } from '../../test/controller/heraldObjects.js';
import { mustRun } from '../../test/run.js';
import { KeepAliveKubeConfig } from '../../packages/kube/src/keepAliveKubeConfig.js';
import { RESULTS_DIR } from './report.js';

const root = resolve(import.meta.dirname, '../..');
const CRD_DIR = join(root, 'charts/herald/crds');
const RBAC = join(root, 'charts/herald/rbac/controller.yaml');
const HERALD_CRDS = ['ipaddresspools.herald.dev', 'l2advertisements.herald.dev', 'lbaddresses.herald.dev'];

/** Distinct from the tests' classes, in case a control plane is ever shared. */
export const LB_CLASS = 'herald.dev/bench';
export const RELEASE_NAMESPACE = 'herald-bench';
export const IDENTITY = 'bench-controller';
/** Inside 2001:db8::/32 and clear of the Service range 2001:db8:96::/108. */
export const BENCH_POOL = { name: 'bench-v6', addresses: ['2001:db8:b0::/112'] };

export interface BenchWorld {
  readonly plane: ControlPlane;
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly herald: HeraldObjects;
  /** Kubeconfig text of the controller's ServiceAccount (token, chart RBAC only). */
  readonly controllerKubeconfig: string;
  /** `main`: another build's packages/controller/dist/main.js (default this tree's). */
  startController(o?: { main?: string }): Promise<ControllerProcess>;
  /** Stops every controller started here, then the control plane; safe to call twice. */
  stop(): Promise<void>;
}

/** Fails early when the controller was never built; warns when tsc -b would rebuild it (the bench runs dist/). */
export function checkControllerBuild(log: (m: string) => void): void {
  if (!existsSync(CONTROLLER_MAIN)) throw new Error(`${CONTROLLER_MAIN} is missing: run npm run build first`);
  try {
    const out = execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', join(root, 'packages/controller'), '--dry'], { encoding: 'utf8' });
    if (/would build/i.test(out)) log('warning: packages/controller is not built from the current sources (run npm run build); benching dist/ as it is');
  } catch (e) {
    log(`warning: could not check whether the controller build is current: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Server-side applies the chart's CRDs and waits until they are served (test/cluster/crds.ts without vitest). */
async function applyCrds(plane: ControlPlane): Promise<void> {
  const kubectl = (args: string[]) => mustRun(join(plane.binDir, 'kubectl'), ['--kubeconfig', plane.kubeconfigPath, ...args]);
  const files = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(CRD_DIR, f));
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=herald-bench', ...files.flatMap((f) => ['-f', f])]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...HERALD_CRDS.map((n) => `crd/${n}`)]);
  for (let i = 0; ; i++) {
    try {
      await kubectl(['get', 'ipaddresspools,l2advertisements,lbaddresses', '-o', 'name']);
      return;
    } catch (e) {
      if (i >= 50) throw e;
      await sleep(100);
    }
  }
}

/** `name` names the controller logs kept in bench/results/logs/ (the control plane's own dir is removed). */
export async function startBenchWorld(o: { name: string; log: (m: string) => void; namespaces: string[] }): Promise<BenchWorld> {
  checkControllerBuild(o.log);
  const plane = await startControlPlane({ log: (m) => o.log(`cluster: ${m}`) });
  const controllers: ControllerProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const logs = join(RESULTS_DIR, 'logs');
    for (const [i, c] of controllers.entries()) {
      await c.stop().catch(() => undefined);
      try {
        mkdirSync(logs, { recursive: true });
        copyFileSync(c.proc.logFile, join(logs, `${o.name}-controller-${i + 1}.log`));
        rmSync(dirname(c.proc.logFile), { recursive: true, force: true });
      } catch {
        // the log stays where it was
      }
    }
    await plane.stop();
    o.log(`stopped; controller logs in ${logs}`);
  };
  try {
    await applyCrds(plane);
    // The bench's own client reuses connections too, so creation is limited by the API server, not handshakes.
    const kc = new KeepAliveKubeConfig();
    kc.loadFromFile(plane.kubeconfigPath);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of [RELEASE_NAMESPACE, ...o.namespaces]) await core.createNamespace({ body: { metadata: { name } } });
    const info: ClusterInfo = clusterInfoOf(plane);
    const controllerKubeconfig = await serviceAccountKubeconfig({ kc, cluster: info, namespace: RELEASE_NAMESPACE, name: 'herald-controller', rbacFile: RBAC });
    const herald = new HeraldObjects(kc);
    await herald.createPool(BENCH_POOL.name, { addresses: BENCH_POOL.addresses });
    // An advertisement makes the Announced condition the realistic AwaitingSpeaker (no speaker runs here).
    await herald.createL2Advertisement('bench-l2', { ipAddressPools: [BENCH_POOL.name] });
    return {
      plane, kc, core, herald, controllerKubeconfig,
      async startController(so = {}) {
        const c = await startController({ kubeconfig: controllerKubeconfig, namespace: RELEASE_NAMESPACE, lbClass: LB_CLASS, identity: IDENTITY, waitReady: false, ...(so.main ? { main: so.main } : {}) });
        controllers.push(c);
        return c;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Stops the world on SIGINT/SIGTERM too, then exits; returns a function that removes the handlers. */
export function stopOnSignals(stop: () => Promise<void>): () => void {
  const handler = (signal: NodeJS.Signals) => {
    process.stderr.write(`[bench] ${signal}: cleaning up\n`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** An IPv6 single-stack LoadBalancer Service of the bench class (the IPv4 ClusterIP range is only a /24). */
export function benchService(name: string, o: { nodePorts?: boolean } = {}): k8s.V1Service {
  return {
    metadata: { name },
    spec: {
      type: 'LoadBalancer',
      // The NodePort range (30000-32767) holds 2,768 Services: larger benchmarks create them without.
      ...(o.nodePorts === false ? { allocateLoadBalancerNodePorts: false } : {}),
      loadBalancerClass: LB_CLASS,
      ipFamilies: ['IPv6'],
      ipFamilyPolicy: 'SingleStack',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    },
  };
}

/** Creates Services with at most `concurrency` create calls in flight; reports when each call returned. */
export async function createServices(o: {
  core: k8s.CoreV1Api;
  namespace: string;
  names: readonly string[];
  concurrency: number;
  onCreated?: (name: string, atMs: number) => void;
  /** False: no NodePorts (allocateLoadBalancerNodePorts: false), for more than 2,768 Services. */
  nodePorts?: boolean;
  /** Checked before each create: true stops handing out names (the creates under way finish). */
  stopWhen?: () => boolean;
}): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, o.names.length) }, async () => {
      while (next < o.names.length && !o.stopWhen?.()) {
        const name = o.names[next++] as string;
        for (let attempt = 0; ; attempt++) {
          try {
            await o.core.createNamespacedService({ namespace: o.namespace, body: benchService(name, { nodePorts: o.nodePorts }) });
            break;
          } catch (e) {
            // A retry of a create whose first answer was lost (a timeout under load) finds it made.
            if (attempt > 0 && (e as { code?: number }).code === 409) break;
            // 429/5xx under load are the API server's to give; a few retries keep the run honest.
            if (attempt >= 12) throw new Error(`creating Service ${o.namespace}/${name} failed: ${(e as Error).message}`);
            await sleep(Math.min(5_000, 200 * 2 ** attempt));
          }
        }
        o.onCreated?.(name, performance.now());
      }
    }),
  );
}

const ingressOf = (s: k8s.V1Service): string[] => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);

/**
 * One watch on a namespace's Services that timestamps (performance.now()) the first time each Service is
 * seen with status.loadBalancer.ingress set. Re-lists and re-watches if the watch ends.
 */
export class IngressWatch {
  readonly seenAt = new Map<string, number>();
  readonly addresses = new Map<string, string[]>();
  /** Watch events per Service (ADDED + MODIFIED), to show how many writes each Service went through. */
  readonly events = new Map<string, number>();
  restarts = 0;
  private controller: AbortController | undefined;
  private stopped = false;
  private resourceVersion = '';

  constructor(private readonly kc: k8s.KubeConfig, private readonly namespace: string) {}

  async start(): Promise<void> {
    await this.relist();
    await this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private note(s: k8s.V1Service, at: number): void {
    const name = s.metadata?.name as string;
    const ips = ingressOf(s);
    if (ips.length === 0) return;
    this.addresses.set(name, ips);
    if (!this.seenAt.has(name)) this.seenAt.set(name, at);
  }

  private async relist(): Promise<void> {
    const list = await this.kc.makeApiClient(k8s.CoreV1Api).listNamespacedService({ namespace: this.namespace });
    const now = performance.now();
    for (const s of list.items) this.note(s, now);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private async watch(): Promise<void> {
    this.controller = await new k8s.Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/services`,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 3600 },
      (type, obj: k8s.V1Service) => {
        const at = performance.now();
        if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
        if (type !== 'ADDED' && type !== 'MODIFIED') return;
        const name = obj.metadata?.name as string;
        this.events.set(name, (this.events.get(name) ?? 0) + 1);
        this.note(obj, at);
      },
      (err: unknown) => {
        if (this.stopped) return;
        this.restarts++;
        process.stderr.write(`[bench] Service watch ended (${err instanceof Error ? err.message : 'closed'}); re-listing\n`);
        void sleep(100)
          .then(() => this.relist())
          .then(() => this.watch())
          .catch((e: Error) => process.stderr.write(`[bench] re-watch failed: ${e.message}\n`));
      },
    );
  }

  /** Resolves when every name has been seen with an address; rejects after timeoutMs with the count. */
  async waitFor(names: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (names.some((n) => !this.seenAt.has(n))) {
      if (Date.now() > deadline) throw new Error(`only ${names.filter((n) => this.seenAt.has(n)).length} of ${names.length} Services got an address within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

/** Every Service's ingress addresses in a namespace, by name. */
export async function snapshot(core: k8s.CoreV1Api, namespace: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const s of (await core.listNamespacedService({ namespace })).items) out.set(s.metadata?.name as string, ingressOf(s));
  return out;
}

/** Addresses used by more than one Service (the bench uses no sharing keys, so this must be 0). */
export function duplicateAddresses(addresses: Iterable<string[]>): number {
  const count = new Map<string, number>();
  for (const list of addresses) for (const a of list) count.set(a, (count.get(a) ?? 0) + 1);
  return [...count.values()].filter((n) => n > 1).length;
}

/** VmRSS and VmHWM (peak RSS) in MiB, and CPU seconds used, from /proc. */
export function processFigures(pid: number): { rssMiB: number; peakRssMiB: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(/^\s*(\d+)/.exec(status.split(`${field}:`)[1] ?? '')?.[1] ?? Number.NaN);
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command) are utime and stime in ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { rssMiB: Math.round(kb('VmRSS') / 102.4) / 10, peakRssMiB: Math.round(kb('VmHWM') / 102.4) / 10, cpuSeconds: Math.round(ticks) / 100 };
  } catch (e) {
    process.stderr.write(`[bench] cannot read /proc/${pid}: ${(e as Error).message}\n`);
    return undefined;
  }
}

export interface HistogramSummary {
  count: number;
  sumSeconds: number;
  meanMs: number;
  /** Estimated from the buckets by linear interpolation, as PromQL's histogram_quantile does. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  buckets: Record<string, number>;
}

/** Summarises one Prometheus histogram (without labels) from the text exposition format. */
export function histogramSummary(text: string, name: string): HistogramSummary | undefined {
  const buckets: [number, number][] = [];
  let count = Number.NaN;
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /^(\S+)_bucket\{le="([^"]+)"\}/.exec(line);
    if (le && le[1] === name) buckets.push([le[2] === '+Inf' ? Infinity : Number(le[2]), value]);
    else if (line.startsWith(`${name}_count `)) count = value;
    else if (line.startsWith(`${name}_sum `)) sum = value;
  }
  if (buckets.length === 0 || !Number.isFinite(count)) return undefined;
  const quantile = (q: number): number => {
    const rank = q * count;
    let prevLe = 0;
    let prevCount = 0;
    for (const [le, c] of buckets) {
      if (c >= rank) {
        if (le === Infinity) return prevLe * 1000;
        return (prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1, c - prevCount))) * 1000;
      }
      prevLe = le;
      prevCount = c;
    }
    return Number.NaN;
  };
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    count,
    sumSeconds: r3(sum),
    meanMs: r3(count ? (sum / count) * 1000 : 0),
    p50Ms: r3(quantile(0.5)),
    p90Ms: r3(quantile(0.9)),
    p99Ms: r3(quantile(0.99)),
    buckets: Object.fromEntries(buckets.map(([le, c]) => [le === Infinity ? '+Inf' : String(le), c])),
  };
}

/** Sums of a counter by its label values joined with "/", e.g. herald_k8s_writes_total → {"serviceStatus/ok": 2000}. */
export function counterByLabels(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = [...line.slice(name.length + 1, line.lastIndexOf('}')).matchAll(/\w+="([^"]*)"/g)].map((m) => m[1]).join('/');
    out[labels] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

/** Waits until /readyz answers 200; resolves with performance.now() at that moment. */
export async function waitReady(c: ControllerProcess, timeoutMs: number, intervalMs = 20): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void c.proc.exited.then((code) => (exited = String(code)));
  for (;;) {
    if (exited !== undefined) throw new Error(`the controller exited (${exited}); see ${c.proc.logFile}`);
    try {
      if ((await c.probe('/readyz')) === 200) return performance.now();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the controller was not ready within ${timeoutMs} ms; see ${c.proc.logFile}`);
    await sleep(intervalMs);
  }
}

/** CPU seconds used so far by each process of the bench world (and the bench itself), for "where did the CPU go". */
export function cpuSeconds(world: BenchWorld, controllerPid: number): Record<string, number> {
  const p = world.plane.processes;
  const out: Record<string, number> = {};
  const pids: [string, number | undefined][] = [['controller', controllerPid], ['kube-apiserver', p.apiserver.pid], ['etcd', p.etcd.pid], ['kube-controller-manager', p.controllerManager?.pid]];
  for (const [name, pid] of pids) {
    const f = pid === undefined ? undefined : processFigures(pid);
    if (f) out[name] = f.cpuSeconds;
  }
  const self = process.cpuUsage();
  out['bench client'] = Math.round((self.user + self.system) / 1e4) / 100;
  return out;
}

export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, Math.round((v - (before[k] ?? 0)) * 100) / 100]));
}
