import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HarnessState, runId } from '../harnessState.js';
import { spawnLogged, waitFor, type Spawned } from '../processes.js';
import { makeCertificates, type ClusterCertificates } from './certificates.js';
import type { ClusterInfo } from './clusterInfo.js';
import { freePort } from './freePort.js';
import { renderKubeconfig } from './kubeconfig.js';

const repoRoot = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

/**
 * ClusterIPs come from documentation ranges too. In most suites no kube-proxy runs, so these are API
 * bookkeeping only; on real nodes (test/nodes, test/install/pods.e2e.test.ts) kube-proxy routes them inside
 * the node namespaces. IPv4 first, so Services are IPv4 (or dual-stack) by default.
 */
export const SERVICE_CIDRS = '198.51.100.0/24,2001:db8:96::/108';

export interface ControlPlane {
  readonly id: string;
  readonly dir: string;
  readonly binDir: string;
  readonly server: string;
  readonly apiPort: number;
  readonly kubeconfigPath: string;
  readonly certs: ClusterCertificates;
  readonly startMs: number;
  readonly processes: { etcd: Spawned; apiserver: Spawned; controllerManager?: Spawned; scheduler?: Spawned };
  /** GET (or other) against the apiserver as the admin; resolves to [status, body]. */
  adminRequest(method: string, path: string, body?: unknown, contentType?: string): Promise<[number, string]>;
  stop(): Promise<void>;
  /** Leave it running on purpose (npm run cluster:up): forget the record a reaper or sweeper would act on. */
  detach(): void;
}

export interface StartOptions {
  /** Where certs, data and logs go; a fresh temp dir by default. */
  dir?: string;
  controllerManager?: boolean;
  /**
   * A control plane that runs workloads on real kubelet nodes: kube-scheduler, the workload controllers
   * (DaemonSet, Deployment, ReplicaSet, the root CA publisher that fills the Pods' projected token volume,
   * and node lifecycle, which lifts the not-ready taint a kubelet registers its node with), the ServiceAccount admission plugin (which mounts that volume), and no endpoint reconciler for
   * the `kubernetes` Service: the apiserver listens on loopback only, so the test writes that Service's
   * EndpointSlice itself, pointing at the address the nodes reach it through (the LAN's API proxy). The
   * shared control plane of the other suites leaves all of this off: it starts faster, and their Pods are
   * API objects without a kubelet.
   */
  workloads?: boolean;
  /** Start a reaper that kills everything if this process dies (default true). */
  reaper?: boolean;
  /** More kube-apiserver flags, e.g. a small --max-requests-inflight for a starved apiserver. */
  apiserverArgs?: string[];
  log?: (message: string) => void;
}

/** The plain-data view of a running control plane that tests, the demo and cluster:up hand around. */
export function clusterInfoOf(plane: ControlPlane, kubeconfigPath = plane.kubeconfigPath): ClusterInfo {
  return {
    server: plane.server,
    apiPort: plane.apiPort,
    kubeconfigPath,
    binDir: plane.binDir,
    dir: plane.dir,
    caCert: plane.certs.caCert,
    adminCert: plane.certs.adminCert,
    adminKey: plane.certs.adminKey,
    startMs: plane.startMs,
  };
}

/** Builds (or finds) the binaries; prints build progress to stderr. */
export function controlPlaneBinaries(): string {
  const out = execFileSync('bash', [join(repoRoot, 'test/cluster/build.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  return out.trim().split('\n').pop() as string;
}

function httpsRequest(
  url: string,
  certs: ClusterCertificates,
  method: string,
  body: unknown,
  contentType = 'application/json',
): Promise<[number, string]> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        ca: readFileSync(certs.caCert),
        cert: readFileSync(certs.adminCert),
        key: readFileSync(certs.adminKey),
        headers: payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolvePromise([res.statusCode ?? 0, text]));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Starts etcd, kube-apiserver (TLS, RBAC, client-cert admin, service-account keys) and optionally
 * kube-controller-manager on loopback, and waits until Services can be created.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  const binDir = controlPlaneBinaries();
  const id = `cp-${runId()}`;
  const dir = options.dir ?? mkdtempSync(`/tmp/hrl-${id}-`);
  mkdirSync(dir, { recursive: true });
  const state = new HarnessState(`hrl-${id}`, { reaper: options.reaper });
  if (!options.dir) state.add('dirs', dir);
  const started = Date.now();
  const bin = (b: string) => join(binDir, b);
  const spawned: Spawned[] = [];
  const stopAll = async () => {
    for (const p of [...spawned].reverse()) await p.stop(20_000);
  };
  try {
    const certs = await makeCertificates(dir);
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    log(`starting etcd on 127.0.0.1:${etcdPort}`);
    const etcd = spawnLogged(
      bin('etcd'),
      [
        '--name=herald-test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=herald-test=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      { logFile: join(dir, 'etcd.log'), state },
    );
    spawned.push(etcd);
    let etcdExit: string | undefined;
    void etcd.exited.then((c) => (etcdExit = `etcd exited (${c}); see ${etcd.logFile}`));
    await waitFor('etcd health', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, {
      timeoutMs: 30_000,
      abortIf: () => etcdExit,
    });

    log(`starting kube-apiserver on https://127.0.0.1:${apiPort}`);
    const apiserver = spawnLogged(
      bin('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${certs.serverCert}`,
        `--tls-private-key-file=${certs.serverKey}`,
        `--client-ca-file=${certs.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${certs.serviceAccountKey}`,
        `--service-account-signing-key-file=${certs.serviceAccountKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDRS}`,
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        // The ServiceAccount plugin refuses Pods whose ServiceAccount the controller has not created yet, which
        // the suites without nodes do right after creating a namespace; only real nodes need its token volume.
        ...(options.workloads ? ['--endpoint-reconciler-type=none'] : ['--disable-admission-plugins=ServiceAccount']),
        '--profiling=false',
        '--v=1',
        ...(options.apiserverArgs ?? []),
      ],
      { logFile: join(dir, 'apiserver.log'), state },
    );
    spawned.push(apiserver);
    let apiExit: string | undefined;
    void apiserver.exited.then((c) => (apiExit = `kube-apiserver exited (${c}); see ${apiserver.logFile}`));
    const server = `https://127.0.0.1:${apiPort}`;
    const adminRequest = (method: string, path: string, body?: unknown, contentType?: string) =>
      httpsRequest(`${server}${path}`, certs, method, body, contentType);
    await waitFor('kube-apiserver /readyz', async () => (await adminRequest('GET', '/readyz'))[0] === 200, {
      timeoutMs: 120_000,
      intervalMs: 250,
      abortIf: () => apiExit ?? etcdExit,
    });
    // /readyz can pass before the Service IP allocators are live; the kubernetes Service proves they are.
    await waitFor('the default/kubernetes Service', async () => (await adminRequest('GET', '/api/v1/namespaces/default/services/kubernetes'))[0] === 200, {
      timeoutMs: 60_000,
      intervalMs: 250,
      abortIf: () => apiExit,
    });

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, renderKubeconfig({ server, caFile: certs.caCert, user: { certFile: certs.adminCert, keyFile: certs.adminKey } }));

    let controllerManager: Spawned | undefined;
    if (options.controllerManager !== false) {
      log(`starting kube-controller-manager (endpointslice, namespace, garbage-collector, serviceaccount${options.workloads ? ', daemonset, deployment, replicaset, root-ca, node-lifecycle' : ''})`);
      controllerManager = spawnLogged(
        bin('kube-controller-manager'),
        [
          `--kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          '--secure-port=0',
          `--root-ca-file=${certs.caCert}`,
          `--service-account-private-key-file=${certs.serviceAccountKey}`,
          `--controllers=endpointslice-controller,endpointslice-mirroring-controller,namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller${options.workloads ? ',daemonset-controller,deployment-controller,replicaset-controller,root-ca-certificate-publisher-controller,node-lifecycle-controller' : ''}`,
          '--concurrent-service-endpoint-syncs=10',
          '--v=1',
        ],
        { logFile: join(dir, 'controller-manager.log'), state },
      );
      spawned.push(controllerManager);
      let kcmExit: string | undefined;
      void controllerManager.exited.then((c) => (kcmExit = `kube-controller-manager exited (${c}); see ${controllerManager?.logFile}`));
      // The serviceaccount controller creating default/default shows the controller manager is working.
      await waitFor('kube-controller-manager (default ServiceAccount)', async () => (await adminRequest('GET', '/api/v1/namespaces/default/serviceaccounts/default'))[0] === 200, {
        timeoutMs: 60_000,
        intervalMs: 250,
        abortIf: () => kcmExit,
      });
    }
    let scheduler: Spawned | undefined;
    if (options.workloads) {
      log('starting kube-scheduler');
      scheduler = spawnLogged(
        bin('kube-scheduler'),
        [`--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0', '--v=1'],
        { logFile: join(dir, 'scheduler.log'), state },
      );
      spawned.push(scheduler);
    }
    const startMs = Date.now() - started;
    log(`control plane ready in ${startMs} ms; kubeconfig ${kubeconfigPath}`);
    return {
      id,
      dir,
      binDir,
      server,
      apiPort,
      kubeconfigPath,
      certs,
      startMs,
      processes: { etcd, apiserver, controllerManager, scheduler },
      adminRequest,
      async stop() {
        await stopAll();
        state.release();
        if (!options.dir) execFileSync('rm', ['-rf', dir]);
      },
      detach() {
        state.release({ keepDirs: true });
      },
    };
  } catch (e) {
    await stopAll();
    // The error names a log in the dir ("see …/apiserver.log"): it stays for reading.
    state.release({ keepDirs: true });
    throw e;
  }
}
