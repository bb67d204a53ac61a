// The whole herald-speaker at scale (issue 11, goal 4): a real herald-speaker process owning WHOLE_ADDRESSES
// (default 10,000) addresses through the real apiserver, controller and kube-controller-manager, with two
// more speakers as peers so heartbeats flow. Only documentation addresses may be used, and every IPv4
// Service also needs a ClusterIP from the test cluster's 198.51.100.0/24 Service CIDR, so the set is
// WHOLE_IPV4 (default 200) IPv4 addresses from 192.0.2.0/24 and 203.0.113.0/24 plus IPv6 (2001:db8:1::1000 + i)
// up to the total; ARP is measured on the IPv4 part, NDP on the IPv6 part.
// n2 and n3 carry node.kubernetes.io/exclude-from-external-load-balancers, so n1 owns everything; their
// speakers still heartbeat. From the client (bench/speaker/fixtures/neighbourProbe.mjs, one request at a
// time, 20 targets each at the start / middle / end of each family's set) it measures turnaround while
// (a) idle; (b) n2 joins the election (label removed: it wins about half of every address, so all of
// them are re-elected on every speaker) and leaves it again (label back); (c) a burst of
// WHOLE_SERVICE_BURST Services changing externalTrafficPolicy (and back). Heartbeat loss: every speaker's
// membership transitions (PeerDead, HeartbeatsBroken, …) and heartbeats received, before and after. Each phase
// splits the owner's CPU and run-queue wait by thread (ownerThreads: the membership thread answers ARP/NDP).
// Phases not run by default: idleProbeRealtime, idle with the client's prober under SCHED_FIFO (its own wake-ups
// off the host's run queues); idleBurner, idle with WHOLE_BURNERS CPU burners in the owner's CPU cgroup;
// idleAsStarted and idleBurnerAsStarted (last), the same two with the owner's membership thread put back to
// SCHED_OTHER nice 0 from outside: a before within the same run.
// Setup (WHOLE_SEED=before, the default): the Services are created before the controller starts, the controller
// assigns them all at once, then the speakers start; progress lines every 10 s give counts and the CPU seconds
// of each process (apiserver, etcd, KCM, controller, speakers). Creating them with everything running
// (WHOLE_SEED=live) made every speaker handle each Service's events one by one, and at 10,000 on a busy host it
// printed nothing for over 13 minutes. Set-up timings (assignedS, membershipS, announcedS, statusesS) count from
// the end of the creates, so they include the controller's assignment; announcedAfterMembershipS is the first
// announcement counted from the speakers' start, and ownerTimeline splits it by the owner's own log (caches
// synced and ready, first election, first and last announced, list/watch retries). WHOLE_PHASES (default idle,nodeJoinsAndLeaves,serviceBurst; 'none' for
// the setup alone) picks the measuring phases. WHOLE_SPEAKER_ARGS adds speaker flags (e.g. "--membership-thread main"
// for membership on the main event loop, as before the worker thread).
// Run (root, after npm run build): flock /tmp/hrl-bench.lock node --import tsx bench/speaker/wholeSpeaker.ts
import * as k8s from '@kubernetes/client-node';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLogged, waitFor } from '../../test/processes.js';
import { run } from '../../test/run.js';
import { interfaceTurnaround } from './interfaceTurnaround.js';
import { schedSnapshot, threadWaitsByName } from './runQueueWait.js';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { mib, round, summarize } from './stats.js';
import type { ControlPlane } from '../../test/cluster/controlPlane.js';
import type { SpeakerWorld } from '../../test/speaker/speakerWorld.js';
import type { LanNode } from '../../test/lan/lan.js';
import { processMemory, retryApi, setupProgress, sleep, startBenchWorld } from './speakerBench.js';

const log = progress('wholeSpeaker');
const TOTAL = Number(process.env.WHOLE_ADDRESSES ?? 10_000);
const BURST = Number(process.env.WHOLE_SERVICE_BURST ?? 1_000);
const ROUNDS = Number(process.env.WHOLE_ROUNDS ?? 300);
// Each IPv4 Service also takes a ClusterIP from the test cluster's 198.51.100.0/24 Service CIDR: at most ~250.
const IPV4 = Number(process.env.WHOLE_IPV4 ?? 200);
const CONVERGE_MS = Number(process.env.WHOLE_CONVERGE_MS ?? 900_000);
// Which phases to run after the setup (comma-separated; 'none' measures the setup alone).
// 'before': Services created before the controller starts, speakers started once all are assigned; 'live': created
// with the controller and speakers running (the speakers see every Service arrive).
const SEED = process.env.WHOLE_SEED ?? 'before';
const CREATE_CONCURRENCY = Number(process.env.WHOLE_CREATE_CONCURRENCY ?? 32);
const SPEAKER_ARGS = (process.env.WHOLE_SPEAKER_ARGS ?? '').split(' ').filter(Boolean);
// idleBurner: the idle probing again with BURNERS CPU burners in the owner's CPU cgroup (see the phase).
const BURNERS = Number(process.env.WHOLE_BURNERS ?? 2);
const PHASES = new Set((process.env.WHOLE_PHASES ?? 'idle,nodeJoinsAndLeaves,serviceBurst').split(','));
const PROBE = join(import.meta.dirname, 'fixtures/neighbourProbe.mjs');
const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Runs `f` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, f: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(f));
}

/** Counter values of one metric by label set, from a /metrics text. */
function counters(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out[m[1] ?? ''] = Number(m[2]);
  return out;
}
const delta = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]).filter(([, v]) => v !== 0));

/**
 * The owner's start-up as its own log tells it, in seconds from its first log line: caches synced and the
 * readiness gate passed, the first election done, the first and last address announced, and list/watch
 * failures (each restarts a list of up to 10,000 objects after a backoff). Splits a slow first announcement
 * into waiting for the API server, electing and announcing.
 */
function ownerTimeline(path: string): Record<string, number> {
  const out: Record<string, number> = { announceStarted: 0, watchErrors: 0 };
  let first: number | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { time?: number; event?: string };
    try {
      entry = JSON.parse(line) as { time?: number; event?: string };
    } catch {
      continue;
    }
    if (entry.time === undefined) continue;
    first ??= entry.time;
    const at = round((entry.time - first) / 1000, 2);
    if (entry.event === 'ready') out.readyS ??= at;
    else if (entry.event === 'cachesSynced') out.cachesSyncedS ??= at;
    else if (entry.event === 'firstElection') out.firstElectionS ??= at;
    else if (entry.event === 'watchError') out.watchErrors = (out.watchErrors ?? 0) + 1;
    else if (entry.event === 'announceStarted') {
      out.firstAnnouncedS ??= at;
      out.lastAnnouncedS = at;
      out.announceStarted = (out.announceStarted ?? 0) + 1;
    }
  }
  return out;
}

const started = Date.now();
const env = machine();
const figures: Record<string, unknown> = {};
let failure: string | undefined;
/** Set by seed(): what the measuring phases need. */
let seeded: { v4: string[]; v4n: number; v6: string[]; owner: string; others: string[]; services: { name: string; family: string }[] } | undefined;

/**
 * The pool, the Pod and TOTAL Services. Before the controller starts (WHOLE_SEED=before, the default) the
 * API server spends its CPU on the creates alone: no controller, KCM-only EndpointSlices, no speaker watch
 * events per Service (at 10,000 the live way took longer than 13 minutes on a busy host).
 */
async function seed(world: SpeakerWorld, plane: ControlPlane): Promise<void> {
  const lan = world.lan;
  const names = lan.nodes.map((n) => world.nodeName(n));
  const own = new Set([lan.client.ipv4, ...lan.nodes.map((n) => n.ipv4)]);
  const v4: string[] = [];
  // Not 198.51.100.0/24: the test cluster's Service CIDR (ClusterIPs); 192.0.2.150-159 are the Pods'.
  for (const prefix of ['192.0.2', '203.0.113']) for (let h = 1; h <= 254; h++) if (!own.has(`${prefix}.${h}`) && !(prefix === '192.0.2' && h >= 150 && h < 160)) v4.push(`${prefix}.${h}`);
  const v4n = Math.min(v4.length, TOTAL, IPV4);
  const v6 = Array.from({ length: TOTAL - v4n }, (_, i) => `2001:db8:1::${(0x1000 + i).toString(16)}`);
  const addresses = [...v4.slice(0, v4n), ...v6];
  const [owner, ...others] = names as [string, ...string[]];
  for (const n of others) await world.core.patchNode({ name: n, body: { metadata: { labels: { [EXCLUDE]: '' } } } }, mergePatch);
  // Contiguous runs as ranges: a pool of 10,000 single addresses would be a large object for nothing.
  const runs: string[] = [];
  for (const prefix of ['192.0.2', '203.0.113']) {
    const hosts = v4.slice(0, v4n).filter((a) => a.startsWith(`${prefix}.`)).map((a) => Number(a.split('.')[3]));
    for (let i = 0; i < hosts.length; i++) {
      let j = i;
      while (j + 1 < hosts.length && hosts[j + 1] === hosts[j]! + 1) j++;
      runs.push(`${prefix}.${hosts[i]}-${prefix}.${hosts[j]}`);
      i = j;
    }
  }
  if (v6.length > 0) runs.push(`${v6[0]}-${v6.at(-1)}`);
  await world.pool('big', runs);
  // One Ready dual-stack Pod on n1 serves every Service (an IPv6 Service's EndpointSlice needs an IPv6 Pod IP).
  await world.core.createNamespacedPod({ namespace: world.appNs, body: { metadata: { name: 'bulk-0', labels: { app: 'bulk' } }, spec: { nodeName: owner, containers: [{ name: 'app', image: 'example.invalid/app' }] } } });
  const readyAt = new Date();
  await world.core.patchNamespacedPodStatus({
    name: 'bulk-0', namespace: world.appNs,
    body: { status: { phase: 'Running', podIP: '192.0.2.159', podIPs: [{ ip: '192.0.2.159' }, { ip: '2001:db8:1::ff' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }, { type: 'ContainersReady', status: 'True', lastTransitionTime: readyAt }] } },
  }, mergePatch);
  const services = addresses.map((a, i) => ({ name: `w${i}`, family: a.includes(':') ? 'IPv6' : 'IPv4' }));
  const t0 = Date.now();
  let created = 0;
  const stopProgress = setupProgress({ world, plane }, { log, state: () => `creating Services: ${created}/${services.length} (${round(created / ((Date.now() - t0) / 1000))}/s)` });
  // No NodePorts: the cluster's range (30000-32767) holds fewer than 10,000, and ARP/NDP needs none.
  await inBatches(services, CREATE_CONCURRENCY, async (s) => {
    await retryApi(() => world.core.createNamespacedService({
      namespace: world.appNs,
      body: {
        metadata: { name: s.name },
        spec: { type: 'LoadBalancer', loadBalancerClass: world.lbClass, allocateLoadBalancerNodePorts: false, selector: { app: 'bulk' }, ports: [{ port: 80, targetPort: 8080 }], ipFamilies: [s.family], ipFamilyPolicy: 'SingleStack' },
      },
    }));
    created++;
  });
  const cpu = stopProgress();
  const createS = round((Date.now() - t0) / 1000);
  log(`created ${services.length} Services in ${createS} s (${round(services.length / createS)}/s); CPU s: ${JSON.stringify(cpu)}`);
  figures.setup = { addresses: TOTAL, ipv4: v4n, ipv6: v6.length, owner, seed: SEED, createCallsS: createS, createCpuSeconds: cpu };
  seeded = { v4, v4n, v6, owner, others, services };
}

const bw = await startBenchWorld({
  log, nodes: 3,
  ...(SPEAKER_ARGS.length > 0 ? { speakerArgs: SPEAKER_ARGS } : {}),
  ...(SEED === 'before' ? { speakers: false, beforeController: seed } : {}),
});
try {
  const { world } = bw;
  const lan = world.lan;
  if (SEED !== 'before') await seed(world, bw.plane);
  const { v4, v4n, v6, owner, others, services } = seeded!;
  const ownerNode = world.nodeByName(owner);
  /** Addresses a node's speaker announces, from its own gauge: no list of 10,000 objects from a loaded API server. */
  const announcedBy = async (n: LanNode) => {
    const m = (await world.speakerMetrics(n)).matchAll(/^herald_speaker_addresses_announced(?:\{[^}]*\})? (\S+)$/gm);
    return [...m].reduce((a, x) => a + Number(x[1]), 0);
  };
  const announced = () => announcedBy(ownerNode);
  const t0 = Date.now();
  let assigned = 0;
  let phaseName = 'assigning';
  const stopProgress = setupProgress(bw, {
    log,
    state: async () => `${phaseName}: ${phaseName === 'assigning' ? `${assigned}/${TOTAL} LBAddresses` : `${await announced()}/${TOTAL} announced by ${owner}`}`,
  });
  const timings: Record<string, number> = {};
  // The controller exits when it loses its Lease (a starved API server misses the renew deadline while it
  // writes thousands of statuses); its Deployment would start it again, so does this.
  let controllerRestarts = 0;
  const keepController = async () => {
    for (;;) {
      await world.controller.proc.exited;
      if (bw.stopping()) return;
      controllerRestarts++;
      log(`the controller exited (lost its Lease?): starting it again (${controllerRestarts})`);
      await world.restartController();
    }
  };
  void keepController();
  if (SEED === 'before') {
    // The controller assigns every pending Service at once (cold start); the speakers start once it has.
    await waitFor(`${TOTAL} LBAddresses`, async () => (assigned = (await world.objects.lbAddresses()).length) === TOTAL, { timeoutMs: CONVERGE_MS, intervalMs: 5_000 });
    timings.assignedS = round((Date.now() - t0) / 1000);
    phaseName = 'speakers starting';
    for (const n of lan.nodes) await world.startSpeaker(n, SPEAKER_ARGS);
    await world.waitForMembership(120_000);
    timings.membershipS = round((Date.now() - t0) / 1000);
  }
  phaseName = 'announcing';
  // The speaker's own gauge first (cheap), then every LBAddress status (a list of TOTAL objects) to confirm.
  await waitFor(`${TOTAL} addresses announced by ${owner}'s speaker`, async () => (await announced()) === TOTAL, { timeoutMs: CONVERGE_MS, intervalMs: 1_000 });
  timings.announcedS = round((Date.now() - t0) / 1000);
  // Every *S above counts from the end of the creates (assignment included); this one from the speakers' start.
  if (timings.membershipS !== undefined) timings.announcedAfterMembershipS = round(timings.announcedS - timings.membershipS);
  figures.ownerTimeline = ownerTimeline(join(lan.logDir, `${ownerNode.name}-speaker.log`));
  log(`owner's own timeline: ${JSON.stringify(figures.ownerTimeline)}`);
  let atOwner = 0;
  // WHOLE_WAIT_STATUSES=0: measure once the owner announces everything, without waiting for its 10,000 status
  // writes (minutes on a loaded API server; ARP/NDP does not depend on them).
  if (process.env.WHOLE_WAIT_STATUSES !== '0') await waitFor(`${TOTAL} LBAddress statuses naming ${owner}`, async () => {
    const all = await world.objects.lbAddresses();
    atOwner = all.filter((l) => l.status?.node === owner).length;
    log(`${all.length} LBAddresses, ${atOwner} with status naming ${owner}`);
    return atOwner === TOTAL;
  }, { timeoutMs: CONVERGE_MS, intervalMs: 5_000 });
  if (process.env.WHOLE_WAIT_STATUSES !== '0') timings.statusesS = round((Date.now() - t0) / 1000);
  figures.setup = { ...(figures.setup as object), ...timings, controllerRestarts, convergeCpuSeconds: stopProgress(), ownerRssMiB: mib(processMemory(world.speakers.get(ownerNode.name)!.proc.child.pid!)?.rssKiB ?? 0) };
  log(`setup: ${JSON.stringify(figures.setup)}`);

  const metrics = async () => Object.fromEntries(await Promise.all(lan.nodes.map(async (n) => {
    const t = await world.speakerMetrics(n);
    // Version 2 (the ring) counts its datagrams by type; version 1's heartbeat counter stays 0 under it.
    const swim = counters(t, 'herald_membership_swim_datagrams_received_total');
    return [world.nodeName(n), {
      transitions: counters(t, 'herald_membership_transitions_total'),
      received: (counters(t, 'herald_membership_heartbeats_received_total')[''] ?? 0) + (swim['{type="Heartbeat"}'] ?? 0),
      datagrams: Object.values(swim).reduce((a, b) => a + b, 0),
      declared: counters(t, 'herald_membership_swim_deaths_declared_total')[''] ?? 0,
    }] as const;
  })));
  const pick = (list: string[], at: 'start' | 'middle' | 'end') => {
    const n = Math.min(20, list.length);
    const from = at === 'start' ? 0 : at === 'middle' ? Math.max(0, Math.floor(list.length / 2) - n / 2) : list.length - n;
    return list.slice(from, from + n);
  };
  const groups: Record<string, { kind: 'arp' | 'ndp'; targets: string[] }> = {};
  for (const at of ['start', 'middle', 'end'] as const) {
    groups[`arp:${at}`] = { kind: 'arp', targets: pick(v4.slice(0, v4n), at) };
    if (v6.length > 0) groups[`ndp:${at}`] = { kind: 'ndp', targets: pick(v6, at) };
  }
  const groupsFile = join(lan.logDir, 'whole.groups.json');
  writeFileSync(groupsFile, JSON.stringify(groups));
  const speakerPid = world.speakers.get(lan.nodes[0]!.name)!.proc.child.pid!;

  /** Probes while `during` runs (started once the probe is under way); membership deltas over the phase. */
  const phase = async (name: string, during?: () => Promise<unknown>, o: { probeRealtime?: boolean } = {}) => {
    if (!PHASES.has(name)) return;
    const before = await metrics();
    // The owner's own view: GC seconds by kind, and its event-loop delay over the phase (prom-client's
    // histogram restarts at every scrape, so this scrape starts it); a capture at its interface gives the
    // turnaround there (request in → reply out), apart from the client's side of the round trip.
    const ownerBefore = await world.speakerMetrics(lan.nodes[0]!);
    const capture = await lan.capture(lan.nodes[0]!, 'arp or ( icmp6 and ( ip6[40] == 135 or ip6[40] == 136 ) )');
    const load1 = loadAverage()[0];
    const sched = schedSnapshot([speakerPid]);
    // probeRealtime: the client's prober under SCHED_FIFO (a client is another machine; here it shares the
    // host's CPUs and its own wake-ups wait on the same run queues as the speaker's).
    const probe = lan.tryExec(lan.client.netns, [...(o.probeRealtime ? ['chrt', '-f', '10'] : []), process.execPath, PROBE, 'eth0', lan.client.ipv4, groupsFile, String(ROUNDS), '500', '5'], { timeoutMs: 900_000 });
    const t0 = Date.now();
    let duringMs: number | undefined;
    if (during) {
      await sleep(1_000);
      await during();
      duringMs = Date.now() - t0 - 1_000;
    }
    const p = await probe;
    if (p.code !== 0) throw new Error(`neighbourProbe failed (${p.code}): ${p.stderr}`);
    const ownerThreads = threadWaitsByName(speakerPid, sched, schedSnapshot([speakerPid]));
    const ownerAfter = await world.speakerMetrics(lan.nodes[0]!);
    const lines = await capture.stop();
    const after = await metrics();
    const gc = (t: string) => Object.fromEntries([...t.matchAll(/^herald_speaker_nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    const gauge = (t: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(t)?.[1] ?? NaN);
    const gcBefore = gc(ownerBefore);
    const client = (JSON.parse(p.stdout) as { groups: Record<string, { sent: number; answered: number; rttUs: number[] }> }).groups;
    figures[name] = {
      load1: [load1, loadAverage()[0]],
      prober: o.probeRealtime ? 'SCHED_FIFO 10 (chrt -f 10)' : 'normal priority',
      ...(duringMs === undefined ? {} : { actionMs: duringMs }),
      groups: Object.fromEntries(Object.entries(client).map(([g, r]) => [g, { sent: r.sent, answered: r.answered, roundTripUs: summarize(r.rttUs, 0) }])),
      membership: Object.fromEntries(Object.keys(after).map((node) => [node, {
        heartbeatsReceived: after[node]!.received - (before[node]?.received ?? 0),
        membershipDatagramsReceived: after[node]!.datagrams - (before[node]?.datagrams ?? 0),
        deathsDeclared: after[node]!.declared - (before[node]?.declared ?? 0),
        transitions: delta(before[node]?.transitions ?? {}, after[node]!.transitions),
      }])),
      speakerRssMiB: mib(processMemory(speakerPid)?.rssKiB ?? 0),
      // Requests the joiner answered count as unanswered here (during nodeJoinsAndLeaves).
      ownerInterface: { ...interfaceTurnaround(lines), captureKernelDrops: capture.kernelDrops() },
      // The owner's threads by name: CPU and run-queue wait over the phase (herald-membersh: the membership
      // thread, which answers ARP/NDP and heartbeats), with each thread's nice value.
      ownerThreads,
      ownerMainLoop: {
        gcSeconds: Object.fromEntries(Object.entries(gc(ownerAfter)).map(([k, v]) => [k, round(v - (gcBefore[k] ?? 0), 3)])),
        lagP50Ms: round(gauge(ownerAfter, 'herald_speaker_nodejs_eventloop_lag_p50_seconds') * 1000, 2),
        lagP99Ms: round(gauge(ownerAfter, 'herald_speaker_nodejs_eventloop_lag_p99_seconds') * 1000, 2),
        lagMaxMs: round(gauge(ownerAfter, 'herald_speaker_nodejs_eventloop_lag_max_seconds') * 1000, 2),
      },
    };
    log(`${name}: ${JSON.stringify(figures[name])}`);
  };

  await phase('idle');
  await phase('idleProbeRealtime', undefined, { probeRealtime: true });
  const joiner = others[0]!;
  await phase('nodeJoinsAndLeaves', async () => {
    // The API server, still writing 10,000 statuses, answers 504 now and then: the patches are retried, and
    // the waits read the speakers' own gauges (listing 10,000 LBAddresses met 504s for 120 s in session 11).
    const joinerNode = world.nodeByName(joiner);
    await retryApi(() => world.core.patchNode({ name: joiner, body: { metadata: { labels: { [EXCLUDE]: null } } } as never }, mergePatch));
    await waitFor(`${joiner} to announce some addresses`, async () => (await announcedBy(joinerNode)) > 0, { timeoutMs: 120_000, intervalMs: 1_000 });
    await retryApi(() => world.core.patchNode({ name: joiner, body: { metadata: { labels: { [EXCLUDE]: '' } } } }, mergePatch));
    await waitFor(`${owner} to announce every address again`, async () => (await announced()) === TOTAL && (await announcedBy(joinerNode)) === 0, { timeoutMs: 300_000, intervalMs: 1_000 });
  });
  // The same idle probing with CPU burners (one per core, nice 0) in the owner speaker's own CPU cgroup, as
  // a Pod's other work or the speaker's own busy main thread would compete with its membership thread:
  // the owner is moved into a cgroup of its own (cpu hierarchy, cgroup v1) with the burners for this phase.
  const group = `hrl-${lan.id}-owner`;
  const burnerPhase = async (name: string) => {
    if (!PHASES.has(name)) return;
    const dir = `/sys/fs/cgroup/cpu/${group}`;
    if (!existsSync(dir)) {
      lan.state.add('cgroups', group);
      mkdirSync(dir);
      // With real-time group scheduling (cgroup v1) a new group has no real-time runtime, and a SCHED_RR
      // thread cannot move in: give it 10 % of each second, what a container granted some would have.
      try {
        writeFileSync(`${dir}/cpu.rt_runtime_us`, '100000');
      } catch {
        // no real-time group scheduling in this kernel
      }
      writeFileSync(`${dir}/cgroup.procs`, String(speakerPid));
    }
    const burners = Array.from({ length: BURNERS }, (_, i) => spawnLogged(process.execPath, ['-e', 'for (;;) {}'], { logFile: join(lan.logDir, `burner-${name}-${i}.log`), state: lan.state }));
    for (const b of burners) writeFileSync(`${dir}/cgroup.procs`, String(b.pid));
    try {
      await sleep(1_000);
      await phase(name);
    } finally {
      for (const b of burners) await b.stop(1_000);
    }
  };
  await burnerPhase('idleBurner');
  // The same build and setup with the membership thread put back to normal scheduling from outside (chrt
  // --other): a before that shares this run's host load.
  if (PHASES.has('idleAsStarted') || PHASES.has('idleBurnerAsStarted')) {
    const membershipTids = readdirSync(`/proc/${speakerPid}/task`).filter((t) => readFileSync(`/proc/${speakerPid}/task/${t}/comm`, 'utf8').trim() === 'herald-membersh');
    for (const tid of membershipTids) await run('chrt', ['--other', '-p', '0', tid]);
    log(`membership thread(s) ${membershipTids.join(', ')} back to SCHED_OTHER, nice 0`);
    await phase('idleAsStarted');
    await burnerPhase('idleBurnerAsStarted');
  }
  const burst = services.slice(0, Math.min(BURST, services.length));
  await phase('serviceBurst', async () => {
    for (const policy of ['Local', 'Cluster']) {
      await inBatches(burst, 20, (s) => retryApi(() => world.core.patchNamespacedService({ namespace: world.appNs, name: s.name, body: { spec: { externalTrafficPolicy: policy } } }, mergePatch)));
    }
  });
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed: ${failure}`);
} finally {
  await bw.stop();
}
writeReport(process.env.WHOLE_REPORT ?? 'wholeSpeaker', {
  benchmark: 'a whole herald-speaker owning many addresses: ARP/NDP turnaround at the client and heartbeat loss, idle / node joins+leaves / Service burst',
  speakerArgs: SPEAKER_ARGS,
  ...figures,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
