import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyCrds } from '../cluster/crds.js';
import type { ClusterInfo } from '../cluster/clusterInfo.js';
import { deleteClusterRbac, serviceAccountKubeconfig } from '../cluster/serviceAccount.js';
import { startController, type ControllerProcess } from '../controller/controllerProcess.js';
import { HeraldObjects } from '../controller/heraldObjects.js';
import { Lan, type LanNode } from '../lan/lan.js';
import { HERALD_NODE_FLAGS, waitFor, type Spawned } from '../processes.js';

const root = resolve(import.meta.dirname, '../..');
/** The bundle the image runs (packages/kube/tools/bundleBinaries.mjs); HERALD_SPEAKER_MAIN runs another build. */
export const SPEAKER_MAIN = process.env.HERALD_SPEAKER_MAIN ?? join(root, 'packages/speaker/dist/bundle/herald-speaker.mjs');
const CONTROLLER_RBAC = join(root, 'charts/herald/rbac/controller.yaml');
const SPEAKER_RBAC = join(root, 'charts/herald/rbac/speaker.yaml');
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export interface SpeakerProcess {
  node: LanNode;
  proc: Spawned;
  metricsPort: number;
  /** Where /metrics listens: the node namespace's loopback, or its management address (see metricsOn). */
  metricsHost: string;
}

let speakerPortCursor = 7472;
/**
 * A speaker's metrics port (health is the next one), below the kernel's ephemeral range (32768-60999)
 * like the chart's 7472/7473. A port free on the host could be the local port of one of the hundreds of
 * client sockets our curl probes leave in TIME_WAIT in the node's namespace (60 s each), which refuses a
 * listen on it: a restarted speaker died of EADDRINUSE (handover.e2e, in CI and once in 2 runs alone).
 * Each start takes new ports, so a speaker never waits for its predecessor's to close.
 */
function nextSpeakerPort(): number {
  const port = speakerPortCursor;
  speakerPortCursor = port + 2 > 32_000 ? 7472 : port + 2;
  return port;
}

/**
 * herald end to end: a LAN of node namespaces, the real controller (root namespace, its own
 * ServiceAccount), one real herald-speaker per node (in the node's namespace, its own ServiceAccount,
 * reaching the API only over the management network), Node objects, and Ready Pods whose EndpointSlices
 * kube-controller-manager builds.
 */
export class SpeakerWorld {
  readonly speakers = new Map<string, SpeakerProcess>();
  /** Per LAN node, how its last speaker ended (exit code and the log's last lines), for a test's error. */
  private readonly exits = new Map<string, { code: number | string; logFile: string }>();
  controller!: ControllerProcess;
  lan!: Lan;
  readonly objects: HeraldObjects;
  readonly core: k8s.CoreV1Api;
  readonly tag = Math.random().toString(36).slice(2, 7);
  readonly releaseNs = `herald-${this.tag}`;
  readonly appNs = `app-${this.tag}`;
  readonly lbClass = `herald.dev/e2e-${this.tag}`;
  private speakerKubeconfig = '';
  private controllerKubeconfig = '';
  private keyFile = '';
  private podCount = 0;
  /**
   * Where speakers serve /metrics: 'loopback' (only reachable from inside the node namespace), or
   * 'management' (the node's management address, so a Prometheus in the root namespace can scrape it).
   */
  metricsOn: 'loopback' | 'management' = 'loopback';

  constructor(readonly kc: k8s.KubeConfig, readonly cluster: ClusterInfo, readonly nodeCount = 3) {
    this.objects = new HeraldObjects(kc);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  /**
   * `beforeController` runs once the LAN, Nodes and namespaces exist, before the controller starts (a migration
   * writes pools then); `beforeSpeakers` runs before any speaker starts (e.g. to add links); `speakers: false`
   * leaves every node without a speaker (a test then starts them, e.g. all at once); `controllerReady: false` does
   * not wait for the controller's /readyz (it passes after its first pass over thousands of seeded Services).
   */
  async start(o: { speakerArgs?: string[]; beforeController?: () => Promise<void>; beforeSpeakers?: (lan: Lan) => Promise<void>; speakers?: boolean; controllerReady?: boolean } = {}): Promise<void> {
    for (const f of [SPEAKER_MAIN, join(root, 'packages/speaker/native/build/Release/herald_net.node')]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
    }
    await applyCrds();
    await this.objects.deleteAll();
    for (const name of [this.releaseNs, this.appNs]) await this.core.createNamespace({ body: { metadata: { name } } });
    this.lan = await Lan.create({ nodes: this.nodeCount, apiserver: { port: this.cluster.apiPort } });
    this.keyFile = join(this.lan.logDir, 'secretkey');
    writeFileSync(this.keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    const controllerKubeconfig = this.controllerKubeconfig = await serviceAccountKubeconfig({ kc: this.kc, cluster: this.cluster, namespace: this.releaseNs, name: 'herald-controller', rbacFile: CONTROLLER_RBAC });
    this.speakerKubeconfig = await serviceAccountKubeconfig({
      kc: this.kc, cluster: this.cluster, namespace: this.releaseNs, name: 'herald-speaker', rbacFile: SPEAKER_RBAC,
      server: this.lan.apiserverViaManagement, tlsServerName: 'localhost',
    });
    for (const n of this.lan.nodes) {
      await this.core.createNode({ body: { metadata: { name: this.nodeName(n), labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': this.nodeName(n) } } } });
      this.lan.writeNodeKubeconfig(n, this.speakerKubeconfig);
    }
    await o.beforeController?.();
    this.controller = await startController({ kubeconfig: controllerKubeconfig, namespace: this.releaseNs, lbClass: this.lbClass, ...(o.controllerReady === false ? { waitReady: false } : {}) });
    await o.beforeSpeakers?.(this.lan);
    if (o.speakers === false) return;
    for (const n of this.lan.nodes) await this.startSpeaker(n, o.speakerArgs);
    await this.waitForMembership();
  }

  /**
   * Starts the controller again as its Deployment would after it exits (it exits on losing its Lease, e.g.
   * when a starved apiserver misses the renew deadline); stops the running one first if there is one.
   */
  async restartController(): Promise<void> {
    await this.controller?.stop().catch(() => undefined);
    // Not waiting for /readyz: a standby waits out the old identity's Lease, and a starved apiserver may take
    // longer than any bound here; the caller watches the process instead.
    this.controller = await startController({ kubeconfig: this.controllerKubeconfig, namespace: this.releaseNs, lbClass: this.lbClass, waitReady: false });
  }

  /**
   * Every running speaker sees every other one alive: by heartbeats or by their Leases alone (a peer's Lease
   * counts it alive before a heartbeat of it arrives). waitForHeartbeats also waits for the heartbeats.
   */
  async waitForMembership(timeoutMs = 20_000): Promise<void> {
    const expected = this.speakers.size - 1;
    await waitFor(`all ${this.speakers.size} speakers to see each other`, async () => {
      for (const s of this.speakers.values()) {
        const m = /^herald_membership_peers_alive (\d+)/m.exec(await this.speakerMetrics(s.node));
        if (Number(m?.[1]) !== expected) return false;
      }
      return true;
    }, { timeoutMs, intervalMs: 200 });
  }

  /**
   * waitForMembership, then every speaker ready and hearing every peer (heartbeat health Healthy: no peer
   * judged by its Lease alone): the startup's transitions are behind them. Peers' Leases alone satisfy
   * waitForMembership, and a peer known only from its Lease shows its interfaces without MACs (a Lease
   * carries none): its first heartbeat brings them, one PeerInterfacesChanged more, seconds later on a
   * loaded host. A test that counts transitions takes its "before" after this.
   */
  async waitForHeartbeats(timeoutMs = 30_000): Promise<void> {
    await this.waitForMembership(timeoutMs);
    await waitFor(`all ${this.speakers.size} speakers ready and hearing each other`, async () => {
      for (const s of this.speakers.values()) {
        if (!/^herald_membership_heartbeat_health\{reason="Healthy"\} 1$/m.test(await this.speakerMetrics(s.node))) return false;
        if (!(await this.speakerReady(s.node))) return false;
      }
      return true;
    }, { timeoutMs, intervalMs: 200 });
  }

  nodeName(n: LanNode): string {
    return `${n.name}-${this.tag}`;
  }

  nodeByName(name: string): LanNode {
    const n = this.lan.nodes.find((x) => this.nodeName(x) === name);
    if (!n) throw new Error(`no LAN node for ${name}`);
    return n;
  }

  /** Extra environment for every speaker started from now on (test hooks such as HERALD_TEST_STALL_FILE). */
  speakerEnv: NodeJS.ProcessEnv = {};
  /** Node's flags for every speaker started from now on (a benchmark compares V8 flags); the image's by default. */
  speakerNodeFlags: readonly string[] = HERALD_NODE_FLAGS;
  /** The speaker build every speaker started from now on runs (a benchmark compares builds). */
  speakerMain: string = SPEAKER_MAIN;

  /** `o.prefix`: a command the speaker runs under, e.g. setpriv dropping a capability. */
  async startSpeaker(n: LanNode, extraArgs: string[] = [], o: { prefix?: readonly string[] } = {}): Promise<SpeakerProcess> {
    const metricsPort = nextSpeakerPort();
    const metricsHost = this.metricsOn === 'management' && n.managementIPv4 ? n.managementIPv4 : '127.0.0.1';
    const proc = this.lan.spawn(n, [
      ...(o.prefix ?? []),
      process.execPath, ...this.speakerNodeFlags, this.speakerMain,
      '--node-name', this.nodeName(n),
      '--kubeconfig', n.kubeconfigPath as string,
      '--namespace', this.releaseNs,
      '--lb-class', this.lbClass,
      '--secret-key-file', this.keyFile,
      '--heartbeat-address', n.ipv4,
      '--metrics-address', `${metricsHost}:${metricsPort}`,
      '--health-address', `127.0.0.1:${metricsPort + 1}`,
      '--log-level', 'debug',
      ...extraArgs,
    ], { logName: 'speaker', ...(Object.keys(this.speakerEnv).length > 0 ? { env: { ...process.env, ...this.speakerEnv } } : {}) });
    const s = { node: n, proc, metricsPort, metricsHost };
    this.speakers.set(n.name, s);
    this.exits.delete(n.name);
    void proc.exited.then((code) => {
      if (this.speakers.get(n.name) !== s) return;
      this.speakers.delete(n.name);
      this.exits.set(n.name, { code, logFile: proc.logFile });
    });
    return s;
  }

  /** Why a node has no running speaker (for waitFor's abortIf), or undefined while one runs. */
  speakerGone(n: LanNode): string | undefined {
    if (this.speakers.has(n.name)) return undefined;
    const exit = this.exits.get(n.name);
    if (!exit) return `${n.name} has no speaker`;
    // Read only when asked: speakers exit by the dozen in restart tests, and their logs run to megabytes.
    const tail = existsSync(exit.logFile) ? readFileSync(exit.logFile, 'utf8').trimEnd().split('\n').slice(-15).map((l) => l.slice(0, 400)) : [];
    return `${n.name}'s speaker exited (${exit.code}); its log ends:\n${tail.join('\n')}`;
  }

  /** Metrics of a speaker, fetched from inside its node namespace. */
  async speakerMetrics(n: LanNode): Promise<string> {
    const s = this.speakers.get(n.name);
    const r = await this.lan.tryExec(n.netns, ['curl', '-sf', '--max-time', '2', `http://${s?.metricsHost}:${s?.metricsPort}/metrics`]);
    return r.stdout;
  }

  /** The speaker's /readyz answer (inside its node namespace): true for HTTP 200. */
  async speakerReady(n: LanNode): Promise<boolean> {
    const s = this.speakers.get(n.name);
    const r = await this.lan.tryExec(n.netns, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://127.0.0.1:${(s?.metricsPort ?? 0) + 1}/readyz`]);
    return r.stdout.trim() === '200';
  }

    /** A pool with one L2Advertisement for it. */
  async pool(name: string, addresses: string[], l2: { interfaces?: string[] } = {}): Promise<void> {
    await this.objects.createPool(name, { addresses });
    await this.objects.createL2Advertisement(`${name}-l2`, { ipAddressPools: [name], ...(l2.interfaces ? { interfaces: l2.interfaces } : {}) });
  }

  /** A Ready Pod on a node, so kube-controller-manager lists it in the Service's EndpointSlice. */
  async readyPod(app: string, node: LanNode): Promise<string> {
    const name = `${app}-${++this.podCount}`;
    await this.core.createNamespacedPod({
      namespace: this.appNs,
      body: { metadata: { name, labels: { app } }, spec: { nodeName: this.nodeName(node), containers: [{ name: 'app', image: 'example.invalid/app' }] } },
    });
    const now = new Date();
    await this.core.patchNamespacedPodStatus({
      name, namespace: this.appNs,
      body: { status: { phase: 'Running', podIP: `192.0.2.${150 + this.podCount}`, podIPs: [{ ip: `192.0.2.${150 + this.podCount}` }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }] } },
    }, mergePatch);
    return name;
  }

  /** A LoadBalancer Service selecting Pods labelled app=<o.app ?? name> (many Services may share one set of Pods). */
  async service(name: string, o: { local?: boolean; families?: string[]; policy?: string; pool?: string; app?: string } = {}): Promise<void> {
    await this.core.createNamespacedService({
      namespace: this.appNs,
      body: {
        metadata: { name, ...(o.pool ? { annotations: { 'herald.dev/address-pool': o.pool } } : {}) },
        spec: {
          type: 'LoadBalancer', loadBalancerClass: this.lbClass, selector: { app: o.app ?? name }, ports: [{ port: 80, targetPort: 8080 }],
          ...(o.local ? { externalTrafficPolicy: 'Local' } : {}),
          ...(o.families ? { ipFamilies: o.families, ipFamilyPolicy: o.policy ?? 'SingleStack' } : {}),
        },
      },
    });
  }

  async addressesOf(name: string): Promise<string[]> {
    const s = await this.core.readNamespacedService({ namespace: this.appNs, name });
    return (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip as string);
  }

  async waitForAddress(name: string, count = 1): Promise<string[]> {
    let ips: string[] = [];
    await waitFor(`${name} to get ${count} address(es)`, async () => (ips = await this.addressesOf(name)).length === count, { timeoutMs: 20_000, intervalMs: 100 });
    return ips;
  }

  /** The node an LBAddress status names (who announces), once it names one. */
  async announcer(address: string, options: { not?: string; timeoutMs?: number } = {}): Promise<string> {
    const name = address.includes(':') ? address.replaceAll(':', '-') : address;
    let node = '';
    await waitFor(`an announcer for ${address}${options.not ? ` other than ${options.not}` : ''}`, async () => {
      node = (await this.objects.lbAddress(name))?.status?.node ?? '';
      return node !== '' && node !== options.not;
    }, { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 50 });
    return node;
  }

  /**
   * Stops the speakers and the controller, removes the LAN, and deletes what the world created in the API.
   * `apiObjects: false` leaves the API alone, for a caller about to throw the whole control plane away (a
   * benchmark's private one holding 10,000 Services and LBAddresses).
   */
  async stop(o: { apiObjects?: boolean } = {}): Promise<void> {
    for (const s of this.speakers.values()) await s.proc.stop(5_000).catch(() => undefined);
    await this.controller?.stop().catch(() => undefined);
    await this.lan?.destroy().catch(() => undefined);
    if (o.apiObjects === false) return;
    await this.objects.deleteAll().catch(() => undefined);
    for (const n of this.lan?.nodes ?? []) await this.core.deleteNode({ name: this.nodeName(n) }).catch(() => undefined);
    await deleteClusterRbac(this.kc, CONTROLLER_RBAC, this.releaseNs).catch(() => undefined);
    await deleteClusterRbac(this.kc, SPEAKER_RBAC, this.releaseNs).catch(() => undefined);
    for (const name of [this.releaseNs, this.appNs]) await this.core.deleteNamespace({ name }).catch(() => undefined);
  }
}
