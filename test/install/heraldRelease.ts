import * as k8s from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClusterInfo } from '../cluster/clusterInfo.js';
import { deleteTokenPods, nodeBoundTokenKubeconfig, tokenKubeconfig } from '../cluster/serviceAccount.js';
import { harnessTempDir, removeHarnessTempDir } from '../harnessTempDir.js';
import { startController, type ControllerProcess } from '../controller/controllerProcess.js';
import type { Lan, LanNode } from '../lan/lan.js';
import { HERALD_NODE_FLAGS, waitFor, type Spawned } from '../processes.js';
import { CHART, helm } from './helm.js';

const root = resolve(import.meta.dirname, '../..');
const SPEAKER_MAIN = join(root, 'packages/speaker/dist/bundle/herald-speaker.mjs');
export const RELEASE_NAMESPACE = 'herald-system';

/**
 * herald installed by its chart, run the way the kubelet would run it: the controller and one speaker per
 * LAN node as real processes, each with a token of the ServiceAccount the chart created (never the admin),
 * a speaker's bound to a Pod on its node.
 */
export class HeraldRelease {
  controller: ControllerProcess | undefined;
  readonly speakers = new Map<string, Spawned>();
  /** Values files and the heartbeat key file; in the LAN's state, so a killed run's reaper removes it too. */
  private readonly dir: string;
  private readonly core: k8s.CoreV1Api;

  constructor(private readonly o: { kc: k8s.KubeConfig; cluster: ClusterInfo; lan: Lan; nodeName: (n: LanNode) => string }) {
    this.core = o.kc.makeApiClient(k8s.CoreV1Api);
    this.dir = harnessTempDir('release', { state: o.lan.state });
  }

  /** Removes the release's files (call after stop(), before the LAN is destroyed); safe to call twice. */
  dispose(): void {
    removeHarnessTempDir(this.dir, this.o.lan.state);
  }

  /** `helm install|upgrade` with a values document; throws with helm's stderr on failure. */
  async helm(verb: 'install' | 'upgrade', values: string, extra: string[] = []): Promise<void> {
    const file = join(this.dir, `values-${Date.now()}.yaml`);
    writeFileSync(file, values);
    const args = verb === 'install' ? ['install', 'herald', CHART, '-n', RELEASE_NAMESPACE, '--create-namespace', '-f', file, ...extra] : ['upgrade', 'herald', CHART, '-n', RELEASE_NAMESPACE, '-f', file, ...extra];
    const r = await helm(args, { kubeconfig: this.o.cluster.kubeconfigPath });
    if (r.code !== 0) throw new Error(`helm ${verb} failed: ${r.stderr}`);
  }

  async uninstall(): Promise<void> {
    const r = await helm(['uninstall', 'herald', '-n', RELEASE_NAMESPACE], { kubeconfig: this.o.cluster.kubeconfigPath });
    if (r.code !== 0) throw new Error(`helm uninstall failed: ${r.stderr}`);
  }

  async secretKey(): Promise<string> {
    return (await this.core.readNamespacedSecret({ name: 'herald-memberlist', namespace: RELEASE_NAMESPACE })).data?.secretkey as string;
  }

  /** Starts the controller and every speaker; resolves when the controller is ready. */
  async start(): Promise<void> {
    const keyFile = join(this.dir, 'secretkey');
    writeFileSync(keyFile, Buffer.from(await this.secretKey(), 'base64'), { mode: 0o600 });
    const { kc, cluster, lan } = this.o;
    this.controller = await startController({ kubeconfig: await tokenKubeconfig({ kc, cluster, namespace: RELEASE_NAMESPACE, name: 'herald-controller' }), namespace: RELEASE_NAMESPACE });
    this.keyFile = keyFile;
    // Each speaker's token is bound to a Pod on its node, as the kubelet mounts it: the chart's node
    // restriction admits its writes only for that node. All tokens first, then the speakers together, as a
    // DaemonSet's pods start.
    for (const n of lan.nodes) {
      const speakerKc = await nodeBoundTokenKubeconfig({ kc, cluster, namespace: RELEASE_NAMESPACE, name: 'herald-speaker', node: this.o.nodeName(n), server: lan.apiserverViaManagement, tlsServerName: 'localhost' });
      lan.writeNodeKubeconfig(n, speakerKc);
    }
    for (const n of lan.nodes) this.startSpeaker(n);
    // As `helm install --wait` waits for the DaemonSet: every speaker up and hearing the others (through the
    // node restriction: each had to write its own Lease to be found).
    await waitFor(`all ${lan.nodes.length} speakers to see each other`, async () => {
      for (const n of lan.nodes) {
        const r = await lan.tryExec(n.netns, ['curl', '-sf', '--max-time', '2', 'http://127.0.0.1:7472/metrics']);
        if (Number(/^herald_membership_peers_alive (\d+)/m.exec(r.stdout)?.[1]) !== lan.nodes.length - 1) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }
  private keyFile = '';

  startSpeaker(n: LanNode): Spawned {
    const p = this.o.lan.spawn(n, [
      process.execPath, ...HERALD_NODE_FLAGS, SPEAKER_MAIN, '--node-name', this.o.nodeName(n), '--kubeconfig', n.kubeconfigPath!, '--namespace', RELEASE_NAMESPACE,
      '--secret-key-file', this.keyFile, '--heartbeat-address', n.ipv4, '--metrics-address', '127.0.0.1:7472', '--health-address', '127.0.0.1:7473',
    ], { logName: 'speaker' });
    this.speakers.set(n.name, p);
    return p;
  }

  /** SIGTERM everything and wait, as the kubelet does when the Pods go away. */
  async stop(): Promise<void> {
    for (const [name, s] of [...this.speakers]) {
      await s.stop(10_000);
      this.speakers.delete(name);
    }
    await this.controller?.stop();
    this.controller = undefined;
    await deleteTokenPods(this.o.kc, RELEASE_NAMESPACE, 'herald-speaker');
  }
}
