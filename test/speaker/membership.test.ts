import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { encodeHeartbeat, joinHeartbeatFrame, SPEAKER_LEASE_ANNOTATIONS, speakerLeaseName } from '@herald/core';
import { afterEach, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster, testNamespace } from '../cluster/kube.js';
import { renderKubeconfig } from '../cluster/kubeconfig.js';
import { Lan, type LanNode } from '../lan/lan.js';
import { waitFor, type Spawned } from '../processes.js';
import { udpPayloads } from './membershipPcap.js';

// Membership (packages/speaker/src/membership) in real network namespaces: one fixture process per node
// prints its view transitions; the test kills, cuts and forges around it.
const FIXTURE = fileURLToPath(new URL('./fixtures/membershipNode.ts', import.meta.url));
const SENDER = fileURLToPath(new URL('./fixtures/membershipSend.mjs', import.meta.url));
const PORT = 7947;
const LEASE_RENEW_MS = 1_000;
const LEASE_DURATION_MS = 4_000;

interface PeerLine {
  node: string;
  alive: boolean;
  judgedBy: string;
  draining: boolean;
  heartbeatsBroken: boolean;
  incarnation?: number;
}
interface ChangeLine {
  fixture: 'change';
  wallMs: number;
  transitions: { node: string; change: string }[];
  peers: PeerLine[];
}
interface MetricsLine {
  fixture: 'metrics';
  wallMs: number;
  rejected: Record<string, number>;
  sendErrors: Record<string, number>;
  leaseRenewals: Record<string, number>;
  sent: number;
  received: number;
  meanRttMs?: number;
  /** Version-2 datagrams accepted, by message type. */
  swimReceived?: Record<string, number>;
  /** herald_membership_datagrams_answered: a peer answered one of ours. */
  answered?: number;
}
interface ViewLine {
  fixture: 'view';
  wallMs: number;
  peers: PeerLine[];
}
type FixtureLine = ChangeLine | ViewLine | MetricsLine | { fixture: 'started'; wallMs: number; incarnation: number };

interface Speaker {
  node: LanNode;
  proc: Spawned;
}

/** Parsed fixture lines, read incrementally: the test polls every 20 ms and must not load the CPU. */
const parsed = new WeakMap<Speaker, { offset: number; partial: string; lines: FixtureLine[] }>();
function lines(s: Speaker): FixtureLine[] {
  let cache = parsed.get(s);
  if (!cache) parsed.set(s, (cache = { offset: 0, partial: '', lines: [] }));
  const fd = openSync(s.proc.logFile, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > cache.offset) {
      const buffer = Buffer.alloc(size - cache.offset);
      readSync(fd, buffer, 0, buffer.length, cache.offset);
      cache.offset = size;
      const text = cache.partial + buffer.toString('utf8');
      const complete = text.split('\n');
      cache.partial = complete.pop() ?? '';
      for (const l of complete) if (l.startsWith('{"fixture"')) cache.lines.push(JSON.parse(l) as FixtureLine);
    }
  } finally {
    closeSync(fd);
  }
  return cache.lines;
}
const changes = (s: Speaker): ChangeLine[] => lines(s).filter((l): l is ChangeLine => l.fixture === 'change');
const metrics = (s: Speaker): MetricsLine | undefined => lines(s).filter((l): l is MetricsLine => l.fixture === 'metrics').at(-1);
/** The speaker's latest view: from its last transition, or a later snapshot if only judgedBy moved. */
const latest = (s: Speaker): PeerLine[] => lines(s).filter((l): l is ChangeLine | ViewLine => l.fixture === 'change' || l.fixture === 'view').at(-1)?.peers ?? [];
const peerIn = (s: Speaker, node: string): PeerLine | undefined => latest(s).find((p) => p.node === node);
const aliveIn = (s: Speaker): string[] => latest(s).filter((p) => p.alive).map((p) => p.node);
/** The first transition `change` of `node` that `s` printed at or after `sinceMs`. */
const firstChange = (s: Speaker, node: string, change: string, sinceMs: number): ChangeLine | undefined =>
  changes(s).find((c) => c.wallMs >= sinceMs && c.transitions.some((t) => t.node === node && t.change === change));

const exitedText = (s: Speaker): string | undefined =>
  s.proc.child.exitCode !== null || s.proc.child.signalCode !== null ? `${s.node.name}'s fixture exited:\n${readFileSync(s.proc.logFile, 'utf8').slice(-3000)}` : undefined;

/** Waits for `check`; on timeout the error carries what each speaker last printed and logged. */
async function waitUntil(what: string, speakers: Speaker[], check: () => boolean, timeoutMs = 5_000): Promise<void> {
  try {
    await waitFor(what, check, { timeoutMs, intervalMs: 20, abortIf: () => speakers.map(exitedText).find(Boolean) });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${diagnose(speakers)}`, { cause: e });
  }
}

interface StartOptions {
  family?: 4 | 6;
  /** Static peers; omitted in API mode (Leases tell). */
  peers?: LanNode[];
  api?: { namespace: string };
  /** --membership-protocol; default auto (version 2 between these speakers). */
  protocol?: 'v1' | 'auto';
}

function startSpeaker(lan: Lan, node: LanNode, keyFile: string, o: StartOptions): Speaker {
  const addressOf = (n: LanNode) => (o.family === 6 ? n.ipv6 : n.ipv4);
  const argv = [
    process.execPath, '--import', 'tsx', FIXTURE,
    '--node', node.name,
    '--address', addressOf(node),
    '--port', String(PORT),
    '--key-file', keyFile,
    '--interval-ms', '100',
    '--log-level', 'debug',
    '--dead-after-ms', '500',
    '--interface', `eth0=${node.ipv4}/24,${node.ipv6}/64`,
    ...(o.protocol ? ['--protocol', o.protocol] : []),
    ...(o.peers ?? []).filter((p) => p !== node).flatMap((p) => ['--peer', `${p.name}=${addressOf(p)}`]),
    ...(o.api
      ? ['--kubeconfig', node.kubeconfigPath!, '--namespace', o.api.namespace, '--lease-renew-ms', String(LEASE_RENEW_MS), '--lease-duration-ms', String(LEASE_DURATION_MS)]
      : []),
  ];
  return { node, proc: lan.spawn(node, argv, { logName: `membership-${Date.now()}` }) };
}

/** What each speaker last printed and logged, for failure messages. */
const diagnose = (speakers: Speaker[]): string =>
  speakers
    .map((s) => `--- ${s.node.name}: alive ${JSON.stringify(aliveIn(s))}\n${readFileSync(s.proc.logFile, 'utf8').split('\n').filter((l) => !l.startsWith('{"fixture":"metrics"')).slice(-15).join('\n')}`)
    .join('\n');

async function allAlive(speakers: Speaker[], names: string[], timeoutMs = 15_000): Promise<void> {
  const want = [...names].sort();
  // Booting node + tsx + client-node takes seconds on a loaded 2-core machine; liveness is timed after.
  await waitUntil('every speaker to start', speakers, () => speakers.every((s) => lines(s).some((l) => l.fixture === 'started')), 30_000);
  await waitUntil(`${speakers.map((s) => s.node.name).join(', ')} to see ${want.join(', ')} alive`, speakers, () => speakers.every((s) => JSON.stringify(aliveIn(s)) === JSON.stringify(want)), timeoutMs);
}

/** kill -9 of `victim`'s speaker; resolves with how long each watcher took to print it dead. */
async function killAndMeasure(lan: Lan, victim: Speaker, watchers: Speaker[], timeoutMs = 5_000): Promise<number[]> {
  const killAt = Date.now();
  await lan.killProcesses(victim.node);
  await waitUntil(`${watchers.map((w) => w.node.name).join(', ')} to see ${victim.node.name} dead`, watchers, () => watchers.every((w) => firstChange(w, victim.node.name, 'PeerDead', killAt)), timeoutMs);
  return watchers.map((w) => firstChange(w, victim.node.name, 'PeerDead', killAt)!.wallMs - killAt);
}

function writeKey(lan: Lan, name: string, bytes = randomBytes(32)): string {
  const path = join(lan.logDir, name);
  writeFileSync(path, bytes, { mode: 0o600 });
  return path;
}

const sendDatagram = (lan: Lan, from: { netns: string }, to: string, bytes: Uint8Array, count = 1) =>
  lan.exec(from.netns, [process.execPath, SENDER, to, String(PORT), Buffer.from(bytes).toString('hex'), String(count)]);

const delays: Record<string, number[]> = {};
const record = (what: string, ms: number[]) => {
  (delays[what] ??= []).push(...ms);
  process.stdout.write(`[membership] ${what}: ${ms.map((m) => `${m} ms`).join(', ')}\n`);
};

describe('membership on a real LAN with a static peer list (no API server)', () => {
  let lan: Lan | undefined;
  afterEach(async () => {
    await lan?.destroy();
    lan = undefined;
  });

  it('three speakers see each other alive; kill -9 of one is seen dead by the other two, and its restart alive again', async () => {
    lan = await Lan.create({ nodes: 3 });
    const key = writeKey(lan, 'heartbeat.key');
    const [n1, n2, n3] = lan.nodes as [LanNode, LanNode, LanNode];
    const start = (n: LanNode) => startSpeaker(lan!, n, key, { peers: lan!.nodes });
    const speakers = [start(n1), start(n2), start(n3)];
    await allAlive(speakers, ['n1', 'n2', 'n3']);

    for (let round = 1; round <= 3; round++) {
      const victim = speakers[2]!;
      // Version 2 shows a configured peer alive from its first datagram, its incarnation once its State arrives.
      await waitUntil("n1 to know n3's incarnation", speakers, () => peerIn(speakers[0]!, 'n3')?.incarnation !== undefined);
      const incarnationBefore = peerIn(speakers[0]!, 'n3')?.incarnation;
      const ms = await killAndMeasure(lan, victim, speakers.slice(0, 2));
      record('kill -9 → peerDead (static peers, IPv4)', ms);
      expect(aliveIn(speakers[0]!)).toEqual(['n1', 'n2']);
      expect(aliveIn(speakers[1]!)).toEqual(['n1', 'n2']);

      const restartAt = Date.now();
      speakers[2] = start(n3);
      await allAlive(speakers, ['n1', 'n2', 'n3']);
      for (const w of speakers.slice(0, 2)) {
        expect(firstChange(w, 'n3', 'PeerRestarted', restartAt), `${w.node.name} saw n3 restart (round ${round})`).toBeDefined();
        expect(peerIn(w, 'n3')?.incarnation).toBeGreaterThan(incarnationBefore!);
      }
    }
    // Version 2 between these speakers: ring heartbeats arrive, and no version-1 heartbeat is sent (the
    // version-1 round-trip estimates from echoes are covered by the version-1 test below).
    await waitUntil('version-2 heartbeats received by every speaker', speakers, () => speakers.every((s) => (metrics(s)?.swimReceived?.Heartbeat ?? 0) > 0));
    for (const s of speakers) expect(metrics(s)!.sent, s.node.name).toBe(0);
  });

  it('forced to version 1 (--membership-protocol=v1): heartbeats echo each other\'s sequence, every speaker has a round-trip estimate', async () => {
    lan = await Lan.create({ nodes: 3 });
    const key = writeKey(lan, 'heartbeat.key');
    const speakers = lan.nodes.map((n) => startSpeaker(lan!, n, key, { peers: lan!.nodes, protocol: 'v1' }));
    await allAlive(speakers, ['n1', 'n2', 'n3']);
    await waitUntil('round-trip estimates', speakers, () => speakers.every((s) => (metrics(s)?.meanRttMs ?? -1) >= 0));
    process.stdout.write(`[membership] mean heartbeat rtt: ${speakers.map((s) => `${s.node.name} ${metrics(s)!.meanRttMs!.toFixed(3)} ms`).join(', ')}\n`);
    const ms = await killAndMeasure(lan, speakers[2]!, speakers.slice(0, 2));
    record('kill -9 → peerDead (static peers, version 1)', ms);
  });

  it('works the same over IPv6 heartbeat addresses, and carries the draining flag', async () => {
    lan = await Lan.create({ nodes: 3 });
    const key = writeKey(lan, 'heartbeat.key');
    const speakers = lan.nodes.map((n) => startSpeaker(lan!, n, key, { peers: lan!.nodes, family: 6 }));
    await allAlive(speakers, ['n1', 'n2', 'n3']);

    const drainAt = Date.now();
    speakers[1]!.proc.kill('SIGUSR1');
    await waitUntil('n1 and n3 to see n2 draining', speakers, () => [speakers[0]!, speakers[2]!].every((s) => firstChange(s, 'n2', 'PeerDraining', drainAt) && peerIn(s, 'n2')?.draining === true));
    expect(aliveIn(speakers[0]!)).toEqual(['n1', 'n2', 'n3']);

    const ms = await killAndMeasure(lan, speakers[1]!, [speakers[0]!, speakers[2]!]);
    record('kill -9 → peerDead (static peers, IPv6)', ms);
  });

  it('a datagram forged with a wrong key and replays of captured real ones change nothing and are counted as rejected', async () => {
    lan = await Lan.create({ nodes: 3 });
    const key = writeKey(lan, 'heartbeat.key');
    const [n1, n2] = lan.nodes as [LanNode, LanNode];
    const speakers = lan.nodes.map((n) => startSpeaker(lan!, n, key, { peers: lan!.nodes }));
    await allAlive(speakers, ['n1', 'n2', 'n3']);

    // Capture real heartbeats from n2 to n1 off the wire.
    const capture = await lan.capture(n1, `udp and src host ${n2.ipv4} and dst port ${PORT}`);
    await new Promise((r) => setTimeout(r, 500));
    await capture.stop();
    const captured = udpPayloads(readFileSync(capture.file));
    expect(captured.length).toBeGreaterThanOrEqual(3);

    // n2 dies: a replay that were believed would bring it back.
    await killAndMeasure(lan, speakers[1]!, [speakers[0]!, speakers[2]!]);
    const after = Date.now();
    const changesBefore = changes(speakers[0]!).length;

    // Replays from the client, of every captured datagram, three times each.
    for (const bytes of captured) await sendDatagram(lan, lan.client, n1.ipv4, bytes, 3);
    // A forged heartbeat for n2 with a newer incarnation (a believed one would make n2 alive), and one
    // for a node nobody knows, both signed with a key that is not the cluster's.
    const wrongKey = randomBytes(32);
    const forge = (node: string, address: string) => {
      const payload = encodeHeartbeat({ node, incarnation: Date.now(), sequence: 1, draining: false, interfaces: [], announcing: ['192.0.2.200'], heartbeatAddress: address, heartbeatPort: PORT });
      return joinHeartbeatFrame(payload, createHmac('sha256', wrongKey).update(payload).digest());
    };
    await sendDatagram(lan, lan.client, n1.ipv4, forge('n2', n2.ipv4), 5);
    await sendDatagram(lan, lan.client, n1.ipv4, forge('intruder', lan.client.ipv4), 5);
    // Garbage on the heartbeat port.
    await sendDatagram(lan, lan.client, n1.ipv4, Buffer.from('hello, is this the heartbeat port?'), 2);

    const replays = captured.length * 3;
    await waitUntil('n1 to count the rejections', [speakers[0]!], () => {
      const r = metrics(speakers[0]!)?.rejected ?? {};
      return (r.Replay ?? 0) >= replays && (r.BadMac ?? 0) >= 10 && (r.TooShort ?? 0) >= 2;
    });
    const r = metrics(speakers[0]!)!.rejected;
    expect(r.Replay).toBe(replays);
    expect(r.BadMac).toBe(10);
    expect(r.TooShort).toBe(2);
    // Nothing changed: n2 still dead, no intruder, no transition printed since.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(changes(speakers[0]!).length).toBe(changesBefore);
    expect(changes(speakers[0]!).filter((c) => c.wallMs >= after)).toEqual([]);
    expect(aliveIn(speakers[0]!)).toEqual(['n1', 'n3']);
    expect(peerIn(speakers[0]!, 'intruder')).toBeUndefined();
  });
});

describe('membership with the API server: peers from per-node Leases', () => {
  let lan: Lan | undefined;
  afterEach(async () => {
    await lan?.destroy();
    lan = undefined;
  });

  async function apiLan(): Promise<{ lan: Lan; namespace: string; key: string }> {
    const c = cluster();
    const l = await Lan.create({ nodes: 3, apiserver: { port: c.apiPort } });
    lan = l;
    const kubeconfig = renderKubeconfig({ server: l.apiserverViaManagement!, caFile: c.caCert, user: { certFile: c.adminCert, keyFile: c.adminKey }, tlsServerName: 'localhost' });
    for (const n of l.nodes) l.writeNodeKubeconfig(n, kubeconfig);
    return { lan: l, namespace: await testNamespace('membership'), key: writeKey(l, 'heartbeat.key') };
  }

  const leases = () => adminKubeConfig().makeApiClient(k8s.CoordinationV1Api);

  it('discovers peers from Leases; a node cut off the LAN drops out for the others though its Lease stays fresh', async () => {
    const { lan: l, namespace, key } = await apiLan();
    const speakers = l.nodes.map((n) => startSpeaker(l, n, key, { api: { namespace } }));
    await allAlive(speakers, ['n1', 'n2', 'n3']);
    await waitUntil('every peer judged by heartbeats', speakers, () =>
      speakers.every((s) => latest(s).every((p) => p.judgedBy === 'Heartbeat' || p.node === s.node.name)));

    // n3 may be heard before its Lease is written (it joins through a peer's Lease; its own create can wait
    // on a loaded API server): read 404 once here; likely the CI failure of this case at 6.6 s on 2f267f6.
    const readLease = () => leases().readNamespacedLease({ name: speakerLeaseName('n3'), namespace });
    await waitFor('n3\'s Lease', async () => (await readLease()).spec !== undefined, { timeoutMs: 15_000, intervalMs: 100 });
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe('n3');
    expect(lease.metadata?.labels?.['app.kubernetes.io/component']).toBe('speaker');
    expect(lease.metadata?.annotations?.[SPEAKER_LEASE_ANNOTATIONS.heartbeatAddress]).toBe(l.nodes[2]!.ipv4);
    expect(lease.metadata?.annotations?.[SPEAKER_LEASE_ANNOTATIONS.heartbeatPort]).toBe(String(PORT));

    const n3 = speakers[2]!;
    const cutAt = Date.now();
    await l.cutLan(n3.node);
    await waitUntil('n1 and n2 to see n3 dead', speakers, () => speakers.slice(0, 2).every((s) => firstChange(s, 'n3', 'PeerDead', cutAt)));
    record('LAN cut → peerDead (Lease fresh)', speakers.slice(0, 2).map((s) => firstChange(s, 'n3', 'PeerDead', cutAt)!.wallMs - cutAt));

    // Longer than a Lease lifetime: n3 keeps renewing over the management network, and still the others
    // judge it by heartbeats alone.
    const renewalsAtCut = metrics(n3)?.leaseRenewals.ok ?? 0;
    await new Promise((r) => setTimeout(r, LEASE_DURATION_MS + 1_500));
    const fresh = await leases().readNamespacedLease({ name: speakerLeaseName('n3'), namespace });
    const renewAge = Date.now() - new Date(fresh.spec!.renewTime as unknown as string).getTime();
    expect(renewAge).toBeLessThan(LEASE_DURATION_MS);
    expect(metrics(n3)!.leaseRenewals.ok).toBeGreaterThan(renewalsAtCut + 3);
    for (const s of speakers.slice(0, 2)) {
      expect(peerIn(s, 'n3')).toMatchObject({ alive: false, judgedBy: 'Heartbeat' });
      expect(firstChange(s, 'n3', 'PeerAlive', cutAt)).toBeUndefined();
    }
    // n3, alone on a dead link, sees the others dead too.
    expect(aliveIn(n3)).toEqual(['n3']);

    const restoreAt = Date.now();
    await l.restoreLan(n3.node);
    await allAlive(speakers, ['n1', 'n2', 'n3']);
    record('LAN restored → peerAlive', speakers.slice(0, 2).map((s) => firstChange(s, 'n3', 'PeerAlive', restoreAt)!.wallMs - restoreAt));
  });

  it('with the management link cut on every node, membership stays as it was and still detects a crash', async () => {
    const { lan: l, namespace, key } = await apiLan();
    const speakers = l.nodes.map((n) => startSpeaker(l, n, key, { api: { namespace } }));
    await allAlive(speakers, ['n1', 'n2', 'n3']);
    await waitUntil('first Lease renewals', speakers, () => speakers.every((s) => (metrics(s)?.leaseRenewals.ok ?? 0) >= 1));

    const cutAt = Date.now();
    for (const n of l.nodes) await l.cutManagement(n);
    // Two Lease lifetimes without the API: every Lease goes stale, nobody's view changes.
    await new Promise((r) => setTimeout(r, 2 * LEASE_DURATION_MS));
    for (const s of speakers) {
      expect(changes(s).filter((c) => c.wallMs >= cutAt), `${s.node.name} printed no transition`).toEqual([]);
      expect(aliveIn(s)).toEqual(['n1', 'n2', 'n3']);
      expect(metrics(s)!.leaseRenewals.error ?? 0, `${s.node.name} counted failed renewals`).toBeGreaterThanOrEqual(2);
    }
    const stale = await leases().readNamespacedLease({ name: speakerLeaseName('n3'), namespace });
    expect(Date.now() - new Date(stale.spec!.renewTime as unknown as string).getTime()).toBeGreaterThan(LEASE_DURATION_MS);

    // The data plane does not need the API: a crash is still seen in well under a second.
    const ms = await killAndMeasure(l, speakers[2]!, speakers.slice(0, 2));
    record('kill -9 → peerDead (API unreachable)', ms);
    for (const n of l.nodes) await l.restoreManagement(n);
  });

  it('heartbeats captured before a peer restarted, replayed to a freshly started speaker after that peer died, do not make it alive', async () => {
    const { lan: l, namespace, key } = await apiLan();
    const [n1, n2] = l.nodes as [LanNode, LanNode, LanNode];
    const speakers = l.nodes.map((n) => startSpeaker(l, n, key, { api: { namespace } }));
    await allAlive(speakers, ['n1', 'n2', 'n3']);

    const capture = await l.capture(n1, `udp and src host ${n2.ipv4} and dst port ${PORT}`);
    await new Promise((r) => setTimeout(r, 500));
    await capture.stop();
    const captured = udpPayloads(readFileSync(capture.file));
    expect(captured.length).toBeGreaterThanOrEqual(3);

    // n2 restarts (a new incarnation, which it publishes on its Lease), then dies for good.
    const oldIncarnation = peerIn(speakers[0]!, 'n2')!.incarnation!;
    await l.killProcesses(n2);
    speakers[1] = startSpeaker(l, n2, key, { api: { namespace } });
    await allAlive(speakers, ['n1', 'n2', 'n3']);
    await waitUntil('n2 Lease to publish its new incarnation', speakers, () => (peerIn(speakers[0]!, 'n2')?.incarnation ?? 0) > oldIncarnation);
    let published = 0;
    await waitFor('the new incarnation on the Lease', async () => {
      const lease = await leases().readNamespacedLease({ name: speakerLeaseName('n2'), namespace });
      published = Number(lease.metadata?.annotations?.[SPEAKER_LEASE_ANNOTATIONS.incarnation]);
      return published > oldIncarnation;
    }, { timeoutMs: 5_000, intervalMs: 100 });
    await killAndMeasure(l, speakers[1]!, [speakers[0]!, speakers[2]!]);

    // n1 restarts: a speaker that has never heard n2, to which n2 is dead (its Lease runs out).
    await l.killProcesses(n1);
    speakers[0] = startSpeaker(l, n1, key, { api: { namespace } });
    const fresh = speakers[0];
    // (By its expired Lease, or — version 2 — by the Dead notice n3 holds and passes on in its SyncReply.)
    await waitUntil('the fresh n1 to see n3 alive and n2 dead', [fresh], () => peerIn(fresh, 'n3')?.alive === true && peerIn(fresh, 'n2')?.alive === false, 30_000);
    const replayAt = Date.now();

    for (const bytes of captured) await sendDatagram(l, l.client, n1.ipv4, bytes, 3);
    const replays = captured.length * 3;
    // Positive marker first: every replay was received and refused for the reason that matters.
    await waitUntil('n1 to refuse every replay as older than the Lease incarnation', [fresh], () => (metrics(fresh)?.rejected.BelowLeaseIncarnation ?? 0) >= replays);
    expect(metrics(fresh)!.rejected.BelowLeaseIncarnation).toBe(replays);
    expect(peerIn(fresh, 'n2')).toMatchObject({ alive: false });
    expect(firstChange(fresh, 'n2', 'PeerAlive', replayAt)).toBeUndefined();
    expect(aliveIn(fresh)).toEqual(['n1', 'n3']);
  });

  it('version 2: a node whose heartbeats never arrive is alive by its Lease and flagged, as with version 1 (ADR 0012, failure modes)', async () => {
    const { lan: l, namespace, key } = await apiLan();
    const [n1, n2, n3] = l.nodes as [LanNode, LanNode, LanNode];
    // n3 cannot send to n1 or n2 (its datagrams are blackholed); everything else works.
    for (const peer of [n1, n2]) await l.exec(n3.netns, ['ip', 'route', 'add', 'blackhole', `${peer.ipv4}/32`]);
    // n3 first, then n1, which joins through n3 (the only Lease it lists) and so reaches n3 with its State:
    // n3 has heard n1 before n1, hearing nothing from n3, declares it and stops heartbeating it. (The order
    // in which a loaded host happened to start them made this case fail one run in a few.)
    const speakers: Speaker[] = [];
    speakers[2] = startSpeaker(l, n3, key, { api: { namespace } });
    await waitUntil('n3 to start', [speakers[2]], () => lines(speakers[2]!).some((x) => x.fixture === 'started'), 30_000);
    await waitFor('n3\'s Lease', async () => (await leases().listNamespacedLease({ namespace })).items.some((x) => x.spec?.holderIdentity === 'n3'), { timeoutMs: 10_000, intervalMs: 100 });
    speakers[0] = startSpeaker(l, n1, key, { api: { namespace } });
    // Only n1 runs besides n3: whatever n3 received on the ring is n1's.
    const received = () => Object.values(metrics(speakers[2]!)?.swimReceived ?? {}).reduce((a, b) => a + b, 0);
    await waitUntil('n3 to receive n1\'s join', [speakers[2], speakers[0]], () => received() > 0, 30_000);
    speakers[1] = startSpeaker(l, n2, key, { api: { namespace } });
    const watchers = speakers.slice(0, 2);
    await waitUntil('n1 and n2 to hold each other alive by heartbeats and flag n3', speakers, () => watchers.every((s) => {
      const p = peerIn(s, 'n3');
      return peerIn(s, s === watchers[0] ? 'n2' : 'n1')?.judgedBy === 'Heartbeat' && p?.alive === true && p.judgedBy === 'Lease' && p.heartbeatsBroken;
    }), 20_000);
    for (const s of watchers) {
      expect(firstChange(s, 'n3', 'HeartbeatsBroken', 0)).toBeDefined();
      // Never shown dead, though the ring declared it (it was never heard, so its Lease decides).
      expect(firstChange(s, 'n3', 'PeerDead', 0)).toBeUndefined();
      expect(peerIn(s, s === watchers[0] ? 'n2' : 'n1')).toMatchObject({ alive: true, heartbeatsBroken: false });
    }
    // n3 hears the others: every speaker holds all three alive, so all elect the same owners.
    await waitUntil('n3 to hold n1 and n2 alive', speakers, () => ['n1', 'n2'].every((n) => peerIn(speakers[2]!, n)?.alive === true));
    // And keeps doing so once n1 and n2, which never hear n3, have long declared it and stopped heartbeating it.
    await new Promise((r) => setTimeout(r, 2_000));
    for (const n of ['n1', 'n2']) {
      expect(firstChange(speakers[2]!, n, 'PeerDead', 0), `n3 held ${n} dead at some point`).toBeUndefined();
      expect(peerIn(speakers[2]!, n)).toMatchObject({ alive: true, judgedBy: 'Lease' });
    }
    // Why, as a user sees it: nothing of n3's was ever answered; n1's and n2's were.
    await waitUntil('every speaker to report whether its datagrams were answered', speakers, () => speakers.every((s) => metrics(s)?.answered !== undefined));
    expect(speakers.map((s) => metrics(s)!.answered)).toEqual([1, 1, 0]);
  });

  it('version 1: a node whose heartbeats never arrive but whose Lease is fresh is alive by its Lease and flagged, and dies with its Lease', async () => {
    const { lan: l, namespace, key } = await apiLan();
    const [n1, n2, n3] = l.nodes as [LanNode, LanNode, LanNode];
    // n3 cannot send to n1 or n2 (its heartbeats are blackholed); everything else works.
    for (const peer of [n1, n2]) await l.exec(n3.netns, ['ip', 'route', 'add', 'blackhole', `${peer.ipv4}/32`]);
    const speakers = l.nodes.map((n) => startSpeaker(l, n, key, { api: { namespace }, protocol: 'v1' }));
    const watchers = speakers.slice(0, 2);
    await waitUntil('n1 and n2 to flag n3', speakers, () => watchers.every((s) => {
      const p = peerIn(s, 'n3');
      return p?.alive === true && p.judgedBy === 'Lease' && p.heartbeatsBroken;
    }), 15_000);
    for (const s of watchers) expect(firstChange(s, 'n3', 'HeartbeatsBroken', 0)).toBeDefined();
    await waitUntil('n1 and n2 to judge each other by heartbeats', speakers, () =>
      watchers.every((s) => peerIn(s, s === watchers[0] ? 'n2' : 'n1')?.judgedBy === 'Heartbeat'));
    for (const s of watchers) expect(peerIn(s, s === watchers[0] ? 'n2' : 'n1')).toMatchObject({ alive: true, heartbeatsBroken: false });
    // n3 hears the others fine, and counts its failed sends instead of crashing.
    await waitUntil('n3 to hear everyone and count send errors', speakers, () =>
      ['n1', 'n2'].every((n) => peerIn(speakers[2]!, n)?.judgedBy === 'Heartbeat' && peerIn(speakers[2]!, n)?.alive) && Object.keys(metrics(speakers[2]!)?.sendErrors ?? {}).length > 0);

    // Judged by its Lease, n3's crash is seen when the Lease runs out: the slow fallback.
    const ms = await killAndMeasure(l, speakers[2]!, watchers, LEASE_DURATION_MS + LEASE_RENEW_MS + 5_000);
    record('kill -9 → peerDead (judged by Lease)', ms);
    for (const s of watchers) expect(peerIn(s, 'n3')).toMatchObject({ alive: false, judgedBy: 'Lease' });
  });
});
