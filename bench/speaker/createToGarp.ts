// Service create → first gratuitous ARP, one Service at a time (≥ 20), in the e2e world. Per Service: the
// owner's announceStarted log time − the instant the create call was issued (same machine clock). Watches
// opened by the bench timestamp the steps in between: the Service status getting its address (controller),
// the LBAddress appearing (controller), the EndpointSlice with a ready endpoint (kube-controller-manager).
// Run: node --import tsx bench/speaker/createToGarp.ts [services]     (root)
import * as k8s from '@kubernetes/client-node';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { round, summarize } from './stats.js';
import { expectedOwner, sleep, startBenchWorld, waitForEvent } from './speakerBench.js';

const log = progress('createToGarp');
const count = Number(process.argv[2] ?? 24);

interface Row {
  service: string;
  address: string;
  owner: string;
  load1: number;
  /** create call issued → it returned. */
  createCallMs: number;
  /** → the controller logged addressAssigned. */
  controllerAssignedMs?: number;
  /** → the bench's watch saw status.loadBalancer.ingress. */
  serviceStatusSeenMs?: number;
  /** → the bench's watch saw the LBAddress. */
  lbAddressSeenMs?: number;
  /** → the bench's watch saw the EndpointSlice with a ready endpoint. */
  readySliceSeenMs?: number;
  /** → the owner's announceStarted (first gratuitous packet sent). */
  createToGarpMs: number;
  /** announceStarted − the latest of the three inputs the speaker needs (LBAddress, slice; Service is first). */
  lastInputToGarpMs?: number;
}

const started = Date.now();
const env = machine();
const bw = await startBenchWorld({ log });
const rows: Row[] = [];
let failure: string | undefined;
const watches: AbortController[] = [];
try {
  const { world, names } = bw;
  await world.pool('lan', ['192.0.2.200-192.0.2.240']);
  // First sight of each step, by Service name.
  const seen = { status: new Map<string, number>(), lbAddress: new Map<string, number>(), slice: new Map<string, number>() };
  const byAddress = new Map<string, string>();
  const watch = new k8s.Watch(world.kc);
  const ignore = () => undefined;
  watches.push(await watch.watch(`/api/v1/namespaces/${world.appNs}/services`, {}, (_t, s: k8s.V1Service) => {
    const name = s.metadata?.name as string;
    const ip = s.status?.loadBalancer?.ingress?.[0]?.ip;
    if (ip && !seen.status.has(name)) {
      seen.status.set(name, Date.now());
      byAddress.set(ip, name);
    }
  }, ignore));
  watches.push(await watch.watch('/apis/herald.dev/v1beta1/lbaddresses', {}, (_t, a: { spec?: { services?: { name: string }[] } }) => {
    for (const ref of a.spec?.services ?? []) if (!seen.lbAddress.has(ref.name)) seen.lbAddress.set(ref.name, Date.now());
  }, ignore));
  watches.push(await watch.watch(`/apis/discovery.k8s.io/v1/namespaces/${world.appNs}/endpointslices`, {}, (_t, s: k8s.V1EndpointSlice) => {
    const name = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (name && !seen.slice.has(name) && (s.endpoints ?? []).some((e) => e.conditions?.ready !== false)) seen.slice.set(name, Date.now());
  }, ignore));

  for (let i = 1; i <= count; i++) {
    const name = `cg${i}`;
    // The Pod is not part of the measurement: it exists (Ready) before the Service is created.
    await world.readyPod(name, world.lan.nodes[i % world.lan.nodes.length]!);
    await sleep(300);
    const t0 = Date.now();
    await world.service(name);
    const createCallMs = Date.now() - t0;
    const [ip] = await world.waitForAddress(name);
    const owner = expectedOwner(names, ip!);
    const garp = await waitForEvent(world, world.nodeByName(owner), t0, (l) => l.event === 'announceStarted' && l.address === ip, `${owner} to announce ${ip}`, 20_000);
    const assigned = world.controller.logLines().find((l) => l.event === 'addressAssigned' && l.service === `${world.appNs}/${name}` && (l.time as number) >= t0);
    const rel = (t: number | undefined) => (t === undefined ? undefined : t - t0);
    const lastInput = Math.max(seen.lbAddress.get(name) ?? Number.NaN, seen.slice.get(name) ?? Number.NaN);
    const row: Row = {
      service: name,
      address: ip!,
      owner,
      load1: loadAverage()[0]!,
      createCallMs,
      ...(assigned ? { controllerAssignedMs: (assigned.time as number) - t0 } : {}),
      ...(seen.status.has(name) ? { serviceStatusSeenMs: rel(seen.status.get(name))! } : {}),
      ...(seen.lbAddress.has(name) ? { lbAddressSeenMs: rel(seen.lbAddress.get(name))! } : {}),
      ...(seen.slice.has(name) ? { readySliceSeenMs: rel(seen.slice.get(name))! } : {}),
      createToGarpMs: garp.time - t0,
      ...(Number.isFinite(lastInput) ? { lastInputToGarpMs: garp.time - lastInput } : {}),
    };
    rows.push(row);
    log(`${name} ${ip} → ${owner}: ${row.createToGarpMs} ms (assigned ${row.controllerAssignedMs}, LBAddress ${row.lbAddressSeenMs}, slice ${row.readySliceSeenMs})`);
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`failed after ${rows.length} Services: ${failure}`);
} finally {
  for (const w of watches) w.abort();
  await bw.stop();
}

const pick = (f: (r: Row) => number | undefined) => rows.map(f);
writeReport('createToGarp', {
  benchmark: 'Service create → first gratuitous ARP from the owner',
  setup: {
    nodes: 3, services: count, family: 'IPv4', oneAtATime: true,
    measure: "owner's announceStarted log time − the instant the create call was issued (same machine clock)",
    steps: 'the *SeenMs steps are when a watch opened by the bench saw the object: an upper bound on when the speaker could have',
  },
  createToGarpMs: summarize(pick((r) => r.createToGarpMs)),
  steps: {
    createCallMs: summarize(pick((r) => r.createCallMs)),
    controllerAssignedMs: summarize(pick((r) => r.controllerAssignedMs)),
    serviceStatusSeenMs: summarize(pick((r) => r.serviceStatusSeenMs)),
    lbAddressSeenMs: summarize(pick((r) => r.lbAddressSeenMs)),
    readySliceSeenMs: summarize(pick((r) => r.readySliceSeenMs)),
    lastInputToGarpMs: summarize(pick((r) => r.lastInputToGarpMs)),
  },
  services: rows,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
  wallSeconds: round((Date.now() - started) / 1000),
  ...(failure ? { error: failure } : {}),
});
if (failure) process.exitCode = 1;
