#!/usr/bin/env node
// herald-speaker composition root: config, links, membership, announcer, election loop, endpoints, signals.
import * as k8s from '@kubernetes/client-node';
import { chooseIncarnation, linkHealth, speakerLeaseName, type LinkFacts } from '@herald/core';
import { KeepAliveKubeConfig, serviceAccountOwner, startHttpEndpoints } from '@herald/kube';
import { pino } from 'pino';
import { Announcer } from './announce/announcer.js';
import { AnswerPort } from './announce/answerPort.js';
import { readSpeakerConfig, SPEAKER_USAGE } from './config.js';
import { membershipSource } from './election/membershipAdapter.js';
import { SpeakerController } from './election/speakerController.js';
import { LinkWatcher } from './interfaces/linkWatcher.js';
import { LBAddressWriter } from './kube/lbAddressWriter.js';
import { HeartbeatHealthWriter } from './kube/heartbeatHealthWriter.js';
import { loadHeartbeatKey } from './membership/heartbeatKey.js';
import { HeartbeatKeyFile } from './membership/heartbeatKeyFile.js';
import { HeartbeatKeyring } from './membership/heartbeatKeyring.js';
import { KubeLeases } from './membership/kubeLeases.js';
import { Membership } from './membership/membership.js';
import { createMembershipMetrics } from './membership/membershipMetrics.js';
import { MembershipWorker } from './membership/membershipWorker.js';
import { membershipThreadUrl } from './membership/membershipThreadUrl.js';
import { readPreviousIncarnation } from './membership/nodeLease.js';
import { createSpeakerMetrics } from './metrics.js';
import { startFreePageRelease } from './memory/freePageRelease.js';
import { Icmp6Socket, PacketSocket, releaseFreePages } from './native/index.js';
import { installTestStall } from './testStall.js';

const parsed = (() => {
  try {
    return readSpeakerConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`herald-speaker: ${(e as Error).message}\n`);
    process.exit(2);
  }
})();
if (parsed === 'help') {
  process.stdout.write(SPEAKER_USAGE);
  process.exit(0);
}
const config = parsed;
const log = pino({ level: config.logLevel, base: { component: 'herald-speaker', node: config.node } });
const kubeConfig = new KeepAliveKubeConfig();
if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
else kubeConfig.loadFromDefault();
const metrics = createSpeakerMetrics();
if (process.env.HERALD_TEST_STALL_FILE) installTestStall({ file: process.env.HERALD_TEST_STALL_FILE, log });

let keyring: HeartbeatKeyring;
try {
  keyring = new HeartbeatKeyring(loadHeartbeatKey(config.secretKeyFile), { graceMs: config.keyGraceMs });
} catch (e) {
  log.fatal({ event: 'noHeartbeatKey', file: config.secretKeyFile, err: (e as Error).message }, 'cannot read the heartbeat key (Secret herald-memberlist, key secretkey)');
  process.exit(2);
}

const links = new LinkWatcher({ log, exclude: config.excludeInterfaces, debounceMs: config.linkDebounceMs, onChange: (l) => {
  controller.setLinks(l);
  announcer.linksChanged(l);
} });
const initialLinks = await links.start();

/**
 * Start-up reads from the API server must not hold up heartbeats: a node that cannot reach the API still
 * joins membership (flagged not ready), so peers see it restarted rather than gone.
 */
const within = <T>(ms: number, p: Promise<T>, fallback: T): Promise<T> =>
  Promise.race([p.catch(() => fallback), new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);

/** DESIGN.md: the node's address on the announce LAN; the Node's InternalIP when there is none. */
async function heartbeatAddress(current: LinkFacts[]): Promise<string> {
  if (config.heartbeatAddress) return config.heartbeatAddress;
  const healthy = current.filter((l) => linkHealth(l) === 'Healthy');
  const onLinks = healthy.flatMap((l) => l.subnets.map((s) => s.split('/')[0] as string));
  try {
    const node = await within(2_000, kubeConfig.makeApiClient(k8s.CoreV1Api).readNode({ name: config.node }), undefined);
    if (!node) throw new Error('the API server did not answer within 2 s');
    const internal = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (internal && onLinks.includes(internal)) return internal;
  } catch (e) {
    log.warn({ event: 'nodeReadFailed', err: (e as Error).message }, 'could not read the Node for its InternalIP');
  }
  const first = [...healthy].sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((l) => l.subnets).find((s) => !s.includes(':'));
  if (!first) throw new Error('no healthy interface has an IPv4 address to send heartbeats from; set --heartbeat-address');
  return first.split('/')[0] as string;
}

const heartbeatIp = await heartbeatAddress(initialLinks);
const incarnation = chooseIncarnation(Date.now(), await readPreviousIncarnation({ kubeConfig, namespace: config.namespace, node: config.node, timeoutMs: 2_000 }));
const heartbeat = { address: heartbeatIp, port: config.heartbeatPort, intervalMs: config.heartbeatIntervalMs, deadAfterMs: config.deadAfter * config.heartbeatIntervalMs };
const leaseOwner = await within(2_000, serviceAccountOwner(kubeConfig, config.namespace, config.serviceAccount), undefined);
// Not ready until the controller's readiness gate passes: peers hand this node nothing before that.
const initialState = { draining: false, ready: false, interfaces: [], announcing: [] };
// ARP/NDP requests are read and answered in the membership worker (serveAnswers) when there is one, so a
// reply never waits for this thread's elections, status writes or GC; the announcer here still decides.
const answers = config.membershipThread === 'worker'
  ? new AnswerPort({ post: (m) => (membership as MembershipWorker).answer(m), metrics, log, onClaim: (c) => controller.onClaim(c), onTookOver: (peer, a) => controller.onTookOver(peer, a) })
  : undefined;
// ADR 0012: membership on its own thread by default, so that a busy main thread (elections, announcements,
// status writes, GC of a large heap) does not delay heartbeats; a main thread wedged beyond the bound stops them.
const membership = config.membershipThread === 'worker'
  ? new MembershipWorker({
    url: membershipThreadUrl(import.meta.url),
    thread: {
      node: config.node,
      incarnation,
      heartbeat,
      key: { file: config.secretKeyFile, graceMs: config.keyGraceMs, pollMs: config.keyPollMs },
      initialState,
      protocol: config.membershipProtocol,
      log: { level: config.logLevel, base: { component: 'herald-speaker', node: config.node } },
      mainLoopBoundMs: config.mainLoopBoundMs,
      priority: config.membershipThreadPriority,
      deadline: config.membershipThreadDeadline,
    },
    leases: { kubeConfig, namespace: config.namespace, ...(leaseOwner ? { owner: leaseOwner } : {}) },
    registry: metrics.registry,
    log,
    ...(answers ? { answers } : {}),
    onExit: (e) => {
      log.fatal({ event: 'membershipWorkerExited', err: e.message }, 'membership stopped: exiting so that the speaker restarts');
      process.exit(1);
    },
  })
  : new Membership({
    node: config.node,
    incarnation,
    heartbeat: { ...heartbeat, key: keyring },
    leases: new KubeLeases({ kubeConfig, namespace: config.namespace, node: config.node, ...(leaseOwner ? { owner: leaseOwner } : {}), log }),
    initialState,
    metrics: (sources) => createMembershipMetrics(metrics.registry, sources),
    log,
    protocol: config.membershipProtocol,
  });
// Kubernetes updates a mounted Secret in place (symlink swap): pick the new key up without a restart.
// The membership worker watches the file itself.
const keyFile = membership instanceof Membership
  ? new HeartbeatKeyFile({ path: config.secretKeyFile, keyring, pollMs: config.keyPollMs, log, onReload: (result) => membership.metrics.keyReloads.inc({ result }) })
  : undefined;
await keyFile?.start();
const writer = new LBAddressWriter(kubeConfig, { log, metrics, node: config.node });
const announcer = new Announcer({
  sockets: { packet: (i, protocol) => new PacketSocket(i, protocol), icmp6: (i) => new Icmp6Socket(i, { receive: false }) },
  log,
  metrics,
  refreshIntervalMs: config.garpRefreshMs,
  onAnnounced: (a) => controller.onAnnounced(a),
  onStopped: (a) => controller.onStopped(a),
  onClaim: (c) => controller.onClaim(c),
  ifindexOf: (name) => links.current().find((l) => l.name === name)?.index,
  ...(answers ? { answers } : {}),
});
const controller = new SpeakerController({
  node: config.node,
  kubeConfig,
  log,
  metrics,
  announcer,
  writer,
  membership: membershipSource(membership),
  lbClass: config.lbClass,
  handoverTimeoutMs: config.handoverTimeoutMs,
  heartbeatAddress: heartbeatIp,
  // One heartbeat with the ready flag reaches peers before this node claims anything from them.
  claimAfterReadyMs: Math.round(2.5 * config.heartbeatIntervalMs),
  // The answering thread answers a dead peer's planned addresses at once (issue 11); the election confirms.
  ...(answers ? { standby: answers } : {}),
});

const servers = await startHttpEndpoints({ metricsAddress: config.metricsAddress, healthAddress: config.healthAddress, registry: metrics.registry, probes: { ready: () => controller.ready() } }).catch((e: Error) => {
  log.fatal({ event: 'endpointsUnavailable', err: e.message }, 'cannot serve metrics and probes: exiting');
  process.exit(1);
});
controller.setLinks(initialLinks);
announcer.linksChanged(initialLinks);
// Heartbeats start flagged not ready (peers keep this node's addresses); the controller flags it ready
// once caches are synced, peer Leases listed, every peer heard and its first election has run.
await membership.start();
// For kubectl herald status: this speaker's heartbeat health on its Lease, written on change (rate-limited).
const healthWriter = new HeartbeatHealthWriter({ kubeConfig, namespace: config.namespace, node: config.node, incarnation, membership, log, registry: metrics.registry });
healthWriter.start();
log.info({ event: 'started', heartbeat: `${membership.view().peers.length} known`, lbClass: config.lbClass ?? null }, 'herald-speaker starting');

let stopping = false;
let stopFreePageRelease: (() => void) | undefined;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  stopFreePageRelease?.();
  log.info({ event: 'draining', signal }, 'draining: successors announce first');
  await controller.drain();
  announcer.close();
  // The answering thread has closed its sockets once this resolves: nothing is answered from here on.
  await answers?.stop();
  controller.stop();
  // Peers record this node Left, not Dead (no peerDead, no death alerts on a rolling upgrade), and move
  // at once whatever the drain could not hand over. After the announcer stopped: nothing answered here
  // any more once they take over.
  await membership.leave();
  links.close();
  keyFile?.stop();
  healthWriter.stop();
  await membership.stop();
  // Peers judge this node by heartbeats, which just stopped; the Lease would only linger (after helm uninstall too).
  // Bounded: with the API server unreachable the Lease simply expires.
  await within(2_000, kubeConfig
    .makeApiClient(k8s.CoordinationV1Api)
    .deleteNamespacedLease({ name: speakerLeaseName(config.node), namespace: config.namespace })
    .then(() => undefined, (e: Error) => log.debug({ event: 'leaseDeleteFailed', err: e.message }, 'could not delete the speaker Lease')), undefined);
  for (const s of servers) s.close();
  log.info({ event: 'stopped' }, 'herald-speaker stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// Registered first: while the API server is unreachable the caches never sync, and SIGTERM must still drain.
void controller.start().then(() => {
  log.info({ event: 'cachesSynced' }, 'caches synced');
  // Start-up's lists, parsing and compilation are behind: their freed memory can go back to the kernel.
  if (!stopping) stopFreePageRelease = startFreePageRelease({ release: releaseFreePages, log });
});
