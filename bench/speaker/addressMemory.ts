// Speaker memory by the number of addresses it owns (issue 11, goals 4 and 7): a real herald-speaker, run
// with the Helm chart's heap cap (NODE_OPTIONS as charts/herald renders it for the default 256Mi limit:
// the image's IMAGE_NODE_OPTIONS plus --max-old-space-size=160), owns ADDRESS_LEVELS addresses in turn (default 0, 1,000,
// 2,000, 5,000, 10,000; one Service each, through the real apiserver, controller and kube-controller-manager).
// IPv6 mostly: every IPv4 Service also needs a ClusterIP from the test cluster's /24 Service CIDR, so the first
// ADDRESS_IPV4 (default 100) are IPv4 from 203.0.113.0/24, the rest 2001:db8:2::/64. The Services do not
// allocate NodePorts (the NodePort range would run out). A second node (excluded from load balancers)
// runs a speaker too, so heartbeats flow. At each level, once every address is announced and
// ADDRESS_SETTLE_MS (default 20 s) passed: VmRSS/VmHWM from /proc, heap used/total and external memory from
// the speaker's /metrics, GC seconds spent while the level was built and during the settle window, and
// whether the capped speaker is still the same process. At ADDRESS_SNAPSHOT_AT (default 2,000) it takes a
// heap snapshot (SIGUSR2, --heapsnapshot-signal) into ADDRESS_SNAPSHOT_DIR (default bench/results) for
// bench/speaker/heapBreakdown.ts. Writing a snapshot takes C heap of a few times the JS heap, which glibc keeps
// resident: RSS figures of the levels after it read high (ADDRESS_SNAPSHOT_AT=-1 for none).
// Run (root, after npm run build): flock /tmp/hrl-bench.lock node --import tsx bench/speaker/addressMemory.ts
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { IMAGE_NODE_OPTIONS, waitFor } from '../../test/processes.js';
import { loadAverage, machine, progress, RESULTS_DIR, writeReport } from './report.js';
import { mib, round } from './stats.js';
import { processMemory, retryApi, setupProgress, sleep, startBenchWorld } from './speakerBench.js';

const log = progress('addressMemory');
const LEVELS = (process.env.ADDRESS_LEVELS ?? '0,1000,2000,5000,10000').split(',').map(Number);
const IPV4 = Number(process.env.ADDRESS_IPV4 ?? 100);
const SETTLE_MS = Number(process.env.ADDRESS_SETTLE_MS ?? 20_000);
const SNAPSHOT_AT = Number(process.env.ADDRESS_SNAPSHOT_AT ?? 2_000);
const SNAPSHOT_DIR = process.env.ADDRESS_SNAPSHOT_DIR ?? RESULTS_DIR;
const HEAP_CAP_MIB = Number(process.env.ADDRESS_MAX_HEAP_MIB ?? 160);
const CONVERGE_MS = Number(process.env.ADDRESS_CONVERGE_MS ?? 1_200_000);
const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** One unlabelled value (or the sum over label sets) of a metric in a /metrics text. */
function metric(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

const started = Date.now();
const env = machine();
mkdirSync(SNAPSHOT_DIR, { recursive: true });
const bw = await startBenchWorld({ log, nodes: 2, speakers: false });
const levels: Record<string, unknown>[] = [];
let failure: string | undefined;
try {
  const { world, names } = bw;
  const lan = world.lan;
  const [owner, other] = names as [string, string];
  await world.core.patchNode({ name: other, body: { metadata: { labels: { [EXCLUDE]: '' } } } }, mergePatch);
  // The chart's NODE_OPTIONS for the speaker (templates/speaker.yaml), plus the snapshot signal. Set only
  // while the speakers are spawned: the controller started above runs as the tests run it.
  const nodeOptions = `${IMAGE_NODE_OPTIONS.join(' ')} --max-old-space-size=${HEAP_CAP_MIB} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOT_DIR}`;
  const before = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = nodeOptions;
  try {
    for (const n of lan.nodes) await world.startSpeaker(n);
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
  await world.waitForMembership(60_000);
  const ownerNode = world.nodeByName(owner);
  const pid = world.speakers.get(ownerNode.name)!.proc.child.pid!;

  const own = new Set([lan.client.ipv4, ...lan.nodes.map((n) => n.ipv4)]);
  const v4: string[] = [];
  for (let h = 1; v4.length < IPV4 && h <= 254; h++) if (!own.has(`203.0.113.${h}`)) v4.push(`203.0.113.${h}`);
  const max = Math.max(...LEVELS);
  const v6 = Array.from({ length: Math.max(0, max - v4.length) }, (_, i) => `2001:db8:2::${(0x1000 + i).toString(16)}`);
  const addresses = [...v4, ...v6].slice(0, max);
  // Contiguous runs as ranges (a pool holds at most 64 entries).
  const runs: string[] = [];
  const hosts = v4.map((a) => Number(a.split('.')[3]));
  for (let i = 0; i < hosts.length; i++) {
    let j = i;
    while (j + 1 < hosts.length && hosts[j + 1] === hosts[j]! + 1) j++;
    runs.push(`203.0.113.${hosts[i]}-203.0.113.${hosts[j]}`);
    i = j;
  }
  await world.pool('mem', [...runs, ...(v6.length > 0 ? [`${v6[0]}-${v6.at(-1)}`] : [])]);
  await world.core.createNamespacedPod({ namespace: world.appNs, body: { metadata: { name: 'bulk-0', labels: { app: 'bulk' } }, spec: { nodeName: owner, containers: [{ name: 'app', image: 'example.invalid/app' }] } } });
  const readyAt = new Date();
  await world.core.patchNamespacedPodStatus({
    name: 'bulk-0', namespace: world.appNs,
    body: { status: { phase: 'Running', podIP: '192.0.2.159', podIPs: [{ ip: '192.0.2.159' }, { ip: '2001:db8:2::ff' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }, { type: 'ContainersReady', status: 'True', lastTransitionTime: readyAt }] } },
  }, mergePatch);

  const sample = async () => {
    const text = await world.speakerMetrics(ownerNode);
    const m = processMemory(pid);
    return {
      alive: m !== undefined && world.speakers.get(ownerNode.name)?.proc.child.pid === pid,
      rssKiB: m?.rssKiB ?? 0,
      hwmKiB: m?.hwmKiB ?? 0,
      heapUsed: metric(text, 'herald_speaker_nodejs_heap_size_used_bytes'),
      heapTotal: metric(text, 'herald_speaker_nodejs_heap_size_total_bytes'),
      external: metric(text, 'herald_speaker_nodejs_external_memory_bytes'),
      gcSeconds: metric(text, 'herald_speaker_nodejs_gc_duration_seconds_sum'),
      announced: metric(text, 'herald_speaker_addresses_announced'),
    };
  };
  let created = 0;
  let base: { rssKiB: number; heapUsed: number } | undefined;
  for (const level of LEVELS) {
    const t0 = Date.now();
    const gcBefore = (await sample()).gcSeconds;
    const batch = addresses.slice(created, level);
    let made = 0;
    const stopProgress = setupProgress(bw, { log, state: () => `level ${level}: ${made}/${batch.length} Services created (${round(made / ((Date.now() - t0) / 1000))}/s)` });
    for (let i = 0; i < batch.length; i += 20) {
      await Promise.all(batch.slice(i, i + 20).map((a, j) => retryApi(() => world.core.createNamespacedService({
        namespace: world.appNs,
        body: {
          metadata: { name: `m${created + i + j}` },
          spec: {
            type: 'LoadBalancer', loadBalancerClass: world.lbClass, selector: { app: 'bulk' }, ports: [{ port: 80, targetPort: 8080 }],
            allocateLoadBalancerNodePorts: false, ipFamilies: [a.includes(':') ? 'IPv6' : 'IPv4'], ipFamilyPolicy: 'SingleStack',
          },
        },
      })).then(() => made++)));
    }
    const createCpuSeconds = stopProgress();
    log(`level ${level}: created ${batch.length} Services in ${round((Date.now() - t0) / 1000)} s; CPU s: ${JSON.stringify(createCpuSeconds)}`);
    created = Math.max(created, level);
    await waitFor(`${level} addresses announced by ${owner}`, async () => {
      const s = await sample();
      if (!s.alive) throw new Error(`the speaker (pid ${pid}) is gone at ${level} addresses`);
      log(`level ${level}: the speaker announces ${s.announced}, RSS ${mib(s.rssKiB)} MiB`);
      return s.announced === level;
    }, { timeoutMs: CONVERGE_MS, intervalMs: 5_000 });
    const builtS = (Date.now() - t0) / 1000;
    const gcBuilt = (await sample()).gcSeconds;
    await sleep(SETTLE_MS);
    const s = await sample();
    base ??= s;
    const row: Record<string, unknown> = {
      addresses: level,
      ipv4: Math.min(level, v4.length),
      speakerAlive: s.alive,
      rssMiB: mib(s.rssKiB),
      vmHwmMiB: mib(s.hwmKiB),
      heapUsedMiB: round(s.heapUsed / 2 ** 20, 1),
      heapTotalMiB: round(s.heapTotal / 2 ** 20, 1),
      externalMiB: round(s.external / 2 ** 20, 1),
      perAddressRssBytes: level > 0 && base !== s ? Math.round(((s.rssKiB - base.rssKiB) * 1024) / level) : null,
      perAddressHeapBytes: level > 0 && base !== s ? Math.round((s.heapUsed - base.heapUsed) / level) : null,
      builtSeconds: round(builtS, 1),
      createCpuSeconds,
      gcSecondsWhileBuilding: round(gcBuilt - gcBefore, 2),
      gcPercentWhileSettled: round(((s.gcSeconds - gcBuilt) * 100_000) / SETTLE_MS, 2),
      load1: loadAverage()[0],
    };
    if (level === SNAPSHOT_AT) {
      const seen = new Set(readdirSync(SNAPSHOT_DIR));
      process.kill(pid, 'SIGUSR2');
      let file = '';
      await waitFor('the heap snapshot', () => {
        const f = readdirSync(SNAPSHOT_DIR).find((n) => n.endsWith('.heapsnapshot') && !seen.has(n));
        if (!f) return false;
        const size = statSync(join(SNAPSHOT_DIR, f)).size;
        const same = file === `${f}:${size}`;
        file = `${f}:${size}`;
        return same && size > 0;
      }, { timeoutMs: 120_000, intervalMs: 2_000 });
      const name = file.split(':')[0]!;
      const target = join(SNAPSHOT_DIR, `addressMemory-${level}.heapsnapshot`);
      renameSync(join(SNAPSHOT_DIR, name), target);
      row.heapSnapshot = existsSync(target) ? target : null;
      // The snapshot ran a full GC: heap used now is what is live.
      const after = await sample();
      row.heapUsedAfterFullGcMiB = round(after.heapUsed / 2 ** 20, 1);
    }
    levels.push(row);
    log(JSON.stringify(row));
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await bw.stop();
}
writeReport(process.env.ADDRESS_REPORT ?? 'addressMemory', {
  benchmark: 'herald-speaker memory by addresses owned, with the chart heap cap (NODE_OPTIONS: the image flags + --max-old-space-size=160)',
  setup: { heapCapMiB: HEAP_CAP_MIB, ipv4: IPV4, settleMs: SETTLE_MS, nodes: 2, logLevel: 'debug (as the e2e world runs it)' },
  levels,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
