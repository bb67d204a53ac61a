import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterInfo } from '../cluster/clusterInfo.js';
import { CONTAINERD_RUN_DIR } from '../containerdRunState.js';
import { cgroupPids, removeCgroup } from '../harnessCgroups.mjs';
import { removeHarnessTempDir } from '../harnessTempDir.js';
import type { Lan, LanNode } from '../lan/lan.js';
import { spawnLogged, type Spawned } from '../processes.js';
import { mustRun } from '../run.js';

/**
 * A LAN node namespace made a Kubernetes node: containerd (Debian's) and the kubelet, in the node's network
 * namespace and in a mount namespace of their own (shared by the two, so volumes the kubelet mounts are the
 * ones containerd sees). The kubelet wants vm.overcommit_memory=1, kernel.panic=10 and kernel.panic_on_oops=1
 * and would write them for the whole machine; in the node's mount namespace those three files are bind
 * mounts of files holding exactly those values, and protectKernelDefaults makes the kubelet only read them.
 * /run/netns and /run/containerd are tmpfs mounts of the node's own, so Pod network namespaces, shim sockets
 * and runc state never reach the machine's and go with the node.
 */
export class KubeletNode {
  proc: Spawned | undefined;
  exitedWith: number | string | undefined;
  proxy: Spawned | undefined;
  proxyExitedWith: number | string | undefined;
  readonly dir: string;
  readonly name: string;

  constructor(readonly o: { lan: Lan; node: LanNode; cluster: ClusterInfo; binDir: string; nodeName: string; podCidr: string }) {
    this.dir = mkdtempSync(`/tmp/hrl-node-${o.node.name}-`);
    // Its containerd root holds image layers (hundreds of MB): the reaper removes it if the test process dies.
    o.lan.state.add('dirs', this.dir);
    this.name = o.nodeName;
  }

  start(): void {
    const { node, cluster, lan } = this.o;
    const d = this.dir;
    for (const sub of ['containerd/root', 'containerd/state', 'cni', 'kubelet', 'pod-logs', 'sysctl']) mkdirSync(join(d, sub), { recursive: true });
    const sock = join(d, 'containerd.sock');
    writeFileSync(join(d, 'containerd.toml'), `version = 2
root = "${d}/containerd/root"
state = "${d}/containerd/state"
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/hrl-pause:1"
  # This machine refuses a lower oom_score_adj even to root (no CAP_SYS_RESOURCE): runc would die setting
  # the sandbox's -998. Keep every container at or above containerd's own score instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${d}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`);
    writeFileSync(join(d, 'cni', '10-hrl.conflist'), JSON.stringify({
      cniVersion: '1.0.0', name: 'hrl-pods',
      plugins: [{ type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: this.o.podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(d, 'cni-ipam') } }],
    }));
    writeFileSync(join(d, 'kubeconfig'), JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'node',
      clusters: [{ name: 'c', cluster: { server: lan.apiserverViaManagement, 'certificate-authority': cluster.caCert, 'tls-server-name': 'localhost' } }],
      users: [{ name: 'u', user: { 'client-certificate': cluster.adminCert, 'client-key': cluster.adminKey } }],
      contexts: [{ name: 'node', context: { cluster: 'c', user: 'u' } }],
    }));
    writeFileSync(join(d, 'kubelet.yaml'), JSON.stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration',
      failCgroupV1: false, cgroupDriver: 'cgroupfs', cgroupRoot: `/${this.cgroupRoot}`, failSwapOn: false,
      protectKernelDefaults: true, containerRuntimeEndpoint: `unix://${sock}`,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: cluster.caCert } },
      authorization: { mode: 'AlwaysAllow' }, address: node.ipv4, readOnlyPort: 0, healthzBindAddress: '127.0.0.1',
      podCIDR: this.o.podCidr, podLogsDir: join(d, 'pod-logs'), resolvConf: '', staticPodPath: '',
      evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    }));
    const sysctls: [string, string][] = [['vm/overcommit_memory', '1'], ['kernel/panic', '10'], ['kernel/panic_on_oops', '1']];
    const binds = sysctls.map(([k, v]) => {
      const f = join(d, 'sysctl', k.replace('/', '.'));
      writeFileSync(f, `${v}\n`);
      return `mount --bind ${f} /proc/sys/${k}`;
    });
    const script = [
      'set -e',
      ...binds,
      // containerd names Pod network namespaces under /run/netns; a tmpfs there keeps them out of the
      // machine's list and lets them vanish with this mount namespace.
      'mount -t tmpfs -o size=1m,mode=755 hrl-netns /run/netns',
      // containerd 1.6 puts its shims' sockets in /run/containerd/s whatever its `state` says, and the runc
      // shim keeps runc's state in /run/containerd/runc: shims the harness SIGKILLs remove neither. A tmpfs
      // of the node's own there takes both away with the node's last process. (The empty mount point is
      // made in the machine's /run if it has no containerd dir yet.)
      `mkdir -p ${CONTAINERD_RUN_DIR}`,
      `mount -t tmpfs -o size=16m,mode=711 hrl-containerd ${CONTAINERD_RUN_DIR}`,
      // The kubelet wants its cgroupRoot to exist in every (v1) hierarchy.
      `for c in /sys/fs/cgroup/*/; do mkdir -p "\${c}${this.cgroupRoot}"; done`,
      // A new v1 cpuset cgroup starts with no CPUs and no memory nodes; runc cannot start a task under it.
      `for f in cpuset.cpus cpuset.mems; do cat /sys/fs/cgroup/cpuset/$f > /sys/fs/cgroup/cpuset/${this.cgroupRoot}/$f; done`,
      `containerd --config ${d}/containerd.toml > ${d}/containerd.log 2>&1 &`,
      `for i in $(seq 100); do [ -S ${sock} ] && break; sleep 0.1; done`,
      `exec ${this.o.binDir}/kubelet --config ${d}/kubelet.yaml --kubeconfig ${d}/kubeconfig --root-dir ${d}/kubelet --hostname-override ${this.name} --node-ip ${node.ipv4} --v=2`,
    ].join('\n');
    // Recorded before the kubelet creates it: containers in it outlive a killed test process but not its reaper.
    lan.state.add('cgroups', this.cgroupRoot);
    this.proc = spawnLogged('nsenter', [`--net=/run/netns/${node.netns}`, '--', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script], { logFile: join(d, 'kubelet.log'), state: lan.state });
    void this.proc.exited.then((c) => { this.exitedWith = c; });
  }

  /**
   * kube-proxy in nftables mode in the node's network namespace. It touches no machine-wide setting:
   * conntrack limits and timeouts are left as they are (0), and everything else it writes is per namespace.
   */
  async startKubeProxy(o: { clusterCidr: string; serviceCidr: string; masqueradeAll?: boolean }): Promise<void> {
    const { node, lan } = this.o;
    const d = this.dir;
    // A node routes Service addresses somewhere (its default route) so that the output hook, where
    // kube-proxy's DNAT sits, ever sees the packet; the LAN namespaces have no default route.
    await lan.exec(node.netns, ['ip', 'route', 'replace', o.serviceCidr, 'dev', node.lanInterface]);
    writeFileSync(join(d, 'kube-proxy.yaml'), JSON.stringify({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: 'nftables',
      clientConnection: { kubeconfig: join(d, 'kubeconfig') }, hostnameOverride: this.name,
      clusterCIDR: o.clusterCidr, detectLocalMode: 'ClusterCIDR', nftables: { masqueradeAll: o.masqueradeAll ?? false },
      conntrack: { maxPerCore: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      healthzBindAddress: '127.0.0.1:10256', metricsBindAddress: '127.0.0.1:10249',
    }));
    this.proxy = spawnLogged('nsenter', [`--net=/run/netns/${node.netns}`, '--', join(this.o.binDir, 'kube-proxy'), '--config', join(d, 'kube-proxy.yaml'), '--v=2'], { logFile: join(d, 'kube-proxy.log'), state: lan.state });
    void this.proxy.exited.then((c) => { this.proxyExitedWith = c; });
  }

  /** Imports docker-archive tarballs into the node's containerd (the CRI's k8s.io namespace). */
  async importImages(tarballs: string[]): Promise<void> {
    for (const t of tarballs) await mustRun('ctr', ['--address', join(this.dir, 'containerd.sock'), '--namespace', 'k8s.io', 'images', 'import', t], { timeoutMs: 300_000 });
  }

  /** Gives an imported image a second name (`ctr images tag`), e.g. the chart's default image reference. */
  async tagImage(source: string, target: string): Promise<void> {
    await mustRun('ctr', ['--address', join(this.dir, 'containerd.sock'), '--namespace', 'k8s.io', 'images', 'tag', '--force', source, target]);
  }

  /**
   * The node dies: kube-proxy, kubelet, containerd, the shims and every container process get SIGKILL at
   * once, nothing shuts down gracefully. Files and cgroups stay for stop().
   */
  async kill(): Promise<void> {
    this.proxy?.kill('SIGKILL');
    this.proc?.kill('SIGKILL');
    for (let i = 0; i < 50; i++) {
      const left = this.leftoverPids();
      if (left.length === 0) return;
      for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`processes of ${this.name} survive SIGKILL: ${this.leftoverPids().join(' ')}`);
  }

  /**
   * Processes of this node that outlive kubelet and containerd: the runc shims (they setsid away from the
   * process group; their command line names this node's containerd socket) and the containers (in this
   * node's cgroups).
   */
  private leftoverPids(): number[] {
    const pids = new Set<number>();
    for (const f of readdirSync('/proc')) {
      if (!/^\d+$/.test(f) || Number(f) === process.pid) continue;
      try { if (readFileSync(`/proc/${f}/cmdline`, 'utf8').includes(this.dir)) pids.add(Number(f)); } catch { /* gone */ }
    }
    for (const pid of cgroupPids(this.cgroupRoot)) pids.add(pid);
    return [...pids];
  }

  /** Stops kubelet and containerd (one process group), removes their cgroups, and their files unless `keepFiles`. */
  async stop(o: { keepFiles?: boolean } = {}): Promise<void> {
    await this.proxy?.stop(10_000);
    if (!this.proc) return;
    await this.proc.stop(10_000);
    for (let i = 0; i < 50; i++) {
      const left = this.leftoverPids();
      if (left.length === 0) break;
      for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Kept files leave the LAN's state, whose release would remove them.
    if (o.keepFiles) this.o.lan.state.remove('dirs', this.dir);
    else removeHarnessTempDir(this.dir, this.o.lan.state);
    // The kubelet's cgroups (cgroup v1: one tree per controller), deepest first.
    const busy = await removeCgroup(this.cgroupRoot);
    if (busy.length > 0) throw new Error(`cgroups of ${this.name} still busy: ${busy.join(' ')}`);
    this.o.lan.state.remove('cgroups', this.cgroupRoot);
  }

  /** hrl-…: the sweep's to remove if the test process dies with it (it lists it in the LAN's state). */
  get cgroupRoot(): string {
    return `hrl-${this.o.lan.id}-${this.o.node.name}`;
  }
}
