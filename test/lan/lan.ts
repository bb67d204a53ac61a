import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroup } from '../harnessCgroups.mjs';
import { HarnessState, runId } from '../harnessState.js';
import { spawnLogged, waitFor, type Spawned } from '../processes.js';
import { mustRun, run, type RunResult } from '../run.js';
import {
  EXTRA_VIP_V4, MANAGEMENT_V4_NODES, MAX_LAN_NODES, clientMac, clientV4, clientV6, managementGateway, managementGatewayV6,
  managementNode, managementNodeV6, nodeMac, nodeV4, nodeV6,
} from './addressPlan.js';
import { ApiProxy } from './apiProxy.js';
import { acquireManagementSlot } from './managementSlot.js';
import { PacketCapture } from './packetCapture.js';

export interface LanHost {
  /** Short name: n1, n2, … or client. */
  readonly name: string;
  readonly netns: string;
  /** The LAN interface inside the namespace. */
  readonly lanInterface: 'eth0';
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface LanNode extends LanHost {
  readonly index: number;
  /**
   * The node's IPv4 management address (reaches the apiserver), if the LAN has a management network and
   * the node is one of the first 13 (a slot's IPv4 /28 holds no more).
   */
  readonly managementIPv4?: string;
  /** The node's IPv6 management address: every node of a LAN with a management network has one. */
  readonly managementIPv6?: string;
  /** A kubeconfig path for processes in this node: the admin one unless a token kubeconfig is written. */
  kubeconfigPath?: string;
}

export interface Neighbour {
  dst: string;
  lladdr?: string;
  state: string[];
}

export interface LanOptions {
  nodes: number;
  /** Give nodes a management network through which they reach this apiserver (https://127.0.0.1:port). */
  apiserver?: { port: number };
  /** Bridge multicast snooping; off by default so NDP multicast reaches every port like a dumb switch. */
  multicastSnooping?: boolean;
  /**
   * With snooping: the bridge is also the LAN's MLD querier (it gets a link-local address for that). With
   * a querier present, a snooping bridge forwards multicast other than ff02::1 only to ports that reported
   * the group, as MLD-snooping switches in a network with a router do; without one it floods.
   */
  multicastQuerier?: boolean;
}

/**
 * A LAN of network namespaces: a switch namespace holding a bridge, one namespace per node and one for a
 * client, joined by veths. Nothing touches the root namespace except the optional management network
 * (bridge hrl-<id>-mg). Everything created is recorded so a reaper undoes it if the test process dies.
 */
export class Lan {
  readonly nodes: LanNode[] = [];
  readonly client: LanHost;
  readonly switchNetns: string;
  private readonly processes = new Set<Spawned>();
  private readonly captures = new Set<PacketCapture>();
  private readonly proxies: ApiProxy[] = [];
  private releaseSlot: (() => void) | undefined;
  private destroyed = false;

  private constructor(
    readonly id: string,
    readonly state: HarnessState,
    readonly logDir: string,
    readonly nodeCount: number,
    readonly managementSlot: number | undefined,
  ) {
    this.switchNetns = `hrl-${id}-sw`;
    this.client = { name: 'client', netns: `hrl-${id}-c`, lanInterface: 'eth0', mac: clientMac, ipv4: clientV4, ipv6: clientV6 };
    for (let i = 1; i <= nodeCount; i++) {
      this.nodes.push({
        name: `n${i}`,
        index: i,
        netns: `hrl-${id}-n${i}`,
        lanInterface: 'eth0',
        mac: nodeMac(i),
        ipv4: nodeV4(i),
        ipv6: nodeV6(i),
        ...(managementSlot !== undefined && i <= MANAGEMENT_V4_NODES ? { managementIPv4: managementNode(managementSlot, i) } : {}),
        ...(managementSlot === undefined ? {} : { managementIPv6: managementNodeV6(managementSlot, i) }),
      });
    }
  }

  get managementBridge(): string {
    return `hrl-${this.id}-mg`;
  }

  /**
   * The apiserver as node processes reach it: the slot's IPv4 gateway for a LAN of up to 13 nodes (what
   * every suite has always used), its IPv6 gateway for a larger one, whose nodes beyond 13 have no IPv4
   * management address. The API proxy listens on both.
   */
  get apiserverViaManagement(): string | undefined {
    if (this.managementSlot === undefined || !this.proxyPort) return undefined;
    return this.nodeCount <= MANAGEMENT_V4_NODES
      ? `https://${managementGateway(this.managementSlot)}:${this.proxyPort}`
      : `https://[${managementGatewayV6(this.managementSlot)}]:${this.proxyPort}`;
  }

  private proxyPort: number | undefined;

  static async create(options: LanOptions): Promise<Lan> {
    if (process.getuid?.() !== 0) throw new Error('the LAN harness needs root (network namespaces)');
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_LAN_NODES) {
      throw new Error(`a LAN has 1 to ${MAX_LAN_NODES} nodes: nodes is ${options.nodes}`);
    }
    const id = runId();
    const state = new HarnessState(`hrl-lan-${id}`);
    const logDir = mkdtempSync(`/tmp/hrl-lan-${id}-`);
    state.add('dirs', logDir);
    const slot = options.apiserver ? acquireManagementSlot() : undefined;
    const lan = new Lan(id, state, logDir, options.nodes, slot?.slot);
    lan.releaseSlot = slot?.release;
    try {
      await lan.build(options);
    } catch (e) {
      await lan.destroy();
      throw e;
    }
    return lan;
  }

  private async addNetns(name: string): Promise<void> {
    this.state.add('netns', name);
    await mustRun('ip', ['netns', 'add', name]);
    await this.exec(name, ['ip', 'link', 'set', 'lo', 'up']);
  }

  private async build(options: LanOptions): Promise<void> {
    await this.addNetns(this.switchNetns);
    const sw = (args: string[]) => this.exec(this.switchNetns, args);
    // A switch forwards; it does not speak. No IPv6 on its ports keeps captures free of its DAD and MLD.
    await sw(['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    await sw(['ip', 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0', 'mcast_snooping', options.multicastSnooping ? '1' : '0']);
    if (options.multicastQuerier) {
      // The querier sends from br0's link-local address: valid at once (no DAD) before querying starts, or
      // the first query fails and the bridge counts itself as no querier until its next startup query.
      await sw(['sysctl', '-q', '-w', 'net.ipv6.conf.br0.accept_dad=0', 'net.ipv6.conf.br0.disable_ipv6=0']);
    }
    await sw(['ip', 'link', 'set', 'br0', 'up']);

    const hosts: LanHost[] = [...this.nodes, this.client];
    // A few hosts at a time: a 41-node LAN is ~500 `ip` invocations, and each waits mostly on the kernel.
    await inBatches(hosts, 6, async (host) => {
      await this.addNetns(host.netns);
      // Both ends are created directly inside their namespaces: no link ever appears in the root namespace.
      await mustRun('ip', ['link', 'add', 'eth0', 'netns', host.netns, 'address', host.mac, 'type', 'veth', 'peer', 'name', host.name, 'netns', this.switchNetns]);
      await sw(['ip', 'link', 'set', host.name, 'master', 'br0', 'up']);
      const h = (args: string[]) => this.exec(host.netns, args);
      // No DAD (no 1-2 s wait for addresses) and keep global IPv6 addresses across carrier/link changes.
      await h(['sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0', 'net.ipv6.conf.eth0.keep_addr_on_down=1']);
      await h(['ip', 'addr', 'add', `${host.ipv4}/24`, 'dev', 'eth0']);
      await h(['ip', 'addr', 'add', `${host.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      await h(['ip', 'link', 'set', 'eth0', 'up']);
    });
    if (options.multicastQuerier) {
      // br0 has its link-local address only once it has carrier (a port): a query that fails for want of a
      // source makes the bridge count itself as no querier (and flood) until its next startup query, 31 s on.
      await waitFor('br0 to have a link-local address', async () => (await sw(['ip', '-6', 'addr', 'show', 'dev', 'br0', 'scope', 'link'])).includes('fe80'), { timeoutMs: 5_000, intervalMs: 50 });
      // A new querier floods for one Query Response Interval (10 s by default) so listeners can report
      // first: 1 s here, so a test sees the filtering soon. Two commands: the kernel reads the interval when
      // the querier is switched on, and in one message it handles the querier attribute first.
      await sw(['ip', 'link', 'set', 'br0', 'type', 'bridge', 'mcast_query_response_interval', '100']);
      await sw(['ip', 'link', 'set', 'br0', 'type', 'bridge', 'mcast_querier', '1']);
    }
    // The client reaches extra VIP space on-link, as a host on a VLAN with a second subnet does.
    await this.exec(this.client.netns, ['ip', 'route', 'add', EXTRA_VIP_V4, 'dev', 'eth0']);

    if (options.apiserver && this.managementSlot !== undefined) {
      const bridge = this.managementBridge;
      this.state.add('links', bridge);
      await mustRun('ip', ['link', 'add', bridge, 'type', 'bridge', 'forward_delay', '0']);
      await mustRun('ip', ['addr', 'add', `${managementGateway(this.managementSlot)}/28`, 'dev', bridge]);
      // nodad: the proxy binds the address at once (a tentative address cannot be bound).
      await mustRun('ip', ['addr', 'add', `${managementGatewayV6(this.managementSlot)}/64`, 'dev', bridge, 'nodad']);
      await mustRun('ip', ['link', 'set', bridge, 'up']);
      await inBatches(this.nodes, 6, async (node) => {
        const rootSide = `hrl-${this.id}-m${node.index}`;
        this.state.add('links', rootSide);
        await mustRun('ip', ['link', 'add', rootSide, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', node.netns]);
        await mustRun('ip', ['link', 'set', rootSide, 'master', bridge, 'up']);
        if (node.managementIPv4) await this.exec(node.netns, ['ip', 'addr', 'add', `${node.managementIPv4}/28`, 'dev', 'mgmt0']);
        await this.exec(node.netns, ['ip', 'addr', 'add', `${node.managementIPv6}/64`, 'dev', 'mgmt0', 'nodad']);
        await this.exec(node.netns, ['ip', 'link', 'set', 'mgmt0', 'up']);
      });
      this.proxyPort = options.apiserver.port;
      const target = { host: '127.0.0.1', port: options.apiserver.port };
      this.proxies.push(await ApiProxy.listen(managementGateway(this.managementSlot), options.apiserver.port, target));
      this.proxies.push(await ApiProxy.listen(managementGatewayV6(this.managementSlot), options.apiserver.port, target));
    }
  }

  node(name: string): LanNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in LAN ${this.id}`);
    return n;
  }

  /** Runs a command inside a namespace and throws on failure. */
  exec(netns: string, argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
    return mustRun('ip', ['netns', 'exec', netns, ...argv], options);
  }

  /** Runs a command inside a namespace and returns its result whatever the exit code. */
  tryExec(netns: string, argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', netns, ...argv], options);
  }

  /** Starts a long-running process in a host's namespace, logging to the LAN's log directory. */
  spawn(host: LanHost, argv: readonly string[], options: { env?: NodeJS.ProcessEnv; logName?: string } = {}): Spawned {
    const logFile = join(this.logDir, `${host.name}-${options.logName ?? (argv[0] ?? 'proc').split('/').pop()}.log`);
    const p = spawnLogged('ip', ['netns', 'exec', host.netns, ...argv], { logFile, state: this.state, env: options.env });
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
    return p;
  }

  /** Writes a kubeconfig that reaches the apiserver through the node's management network. */
  writeNodeKubeconfig(node: LanNode, kubeconfigJson: string): string {
    const path = join(this.logDir, `${node.name}.kubeconfig`);
    writeFileSync(path, kubeconfigJson, { mode: 0o600 });
    node.kubeconfigPath = path;
    return path;
  }

  /** Carrier loss on the node's LAN port: the switch side goes down, the node sees NO-CARRIER. */
  async cutLan(node: LanNode): Promise<void> {
    await this.exec(this.switchNetns, ['ip', 'link', 'set', node.name, 'down']);
  }

  async restoreLan(node: LanNode): Promise<void> {
    await this.exec(this.switchNetns, ['ip', 'link', 'set', node.name, 'up']);
  }

  /** The node can no longer reach the apiserver; its LAN is untouched. */
  async cutManagement(node: LanNode): Promise<void> {
    await mustRun('ip', ['link', 'set', `hrl-${this.id}-m${node.index}`, 'down']);
  }

  async restoreManagement(node: LanNode): Promise<void> {
    await mustRun('ip', ['link', 'set', `hrl-${this.id}-m${node.index}`, 'up']);
    // Attempts made during the cut leave a FAILED entry for the gateway; forget it so recovery is immediate.
    await this.exec(node.netns, ['ip', 'neigh', 'flush', 'dev', 'mgmt0']);
  }

  /** SIGKILL every process in a namespace, like a node crash as far as its software goes. */
  async killProcesses(host: LanHost, signal: NodeJS.Signals = 'SIGKILL'): Promise<number[]> {
    const r = await run('ip', ['netns', 'pids', host.netns]);
    const pids = r.stdout.split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
    return pids;
  }

  /** The kernel's neighbour table of a host's LAN interface (`ip -j neigh`). */
  async neighbours(host: LanHost = this.client): Promise<Neighbour[]> {
    const out = await this.exec(host.netns, ['ip', '-j', 'neigh', 'show', 'dev', host.lanInterface]);
    return (JSON.parse(out || '[]') as Neighbour[]).map((n) => ({ dst: n.dst, lladdr: n.lladdr, state: n.state ?? [] }));
  }

  async neighbour(address: string, host: LanHost = this.client): Promise<Neighbour | undefined> {
    return (await this.neighbours(host)).find((n) => n.dst === address);
  }

  /** iputils arping from a host; returns the MACs that replied (upper case as arping prints them). */
  async arping(target: string, options: { from?: LanHost; count?: number; timeoutS?: number; extra?: string[] } = {}): Promise<{ replies: string[]; output: string }> {
    const from = options.from ?? this.client;
    const count = options.count ?? 1;
    const r = await this.tryExec(from.netns, ['arping', '-c', String(count), '-w', String(options.timeoutS ?? count + 1), '-I', from.lanInterface, ...(options.extra ?? []), target]);
    const replies = [...r.stdout.matchAll(/reply from \S+ \[([0-9A-F:]{17})\]/gi)].map((m) => (m[1] as string).toLowerCase());
    return { replies, output: r.stdout + r.stderr };
  }

  async ping6(target: string, options: { from?: LanHost; count?: number } = {}): Promise<RunResult> {
    const from = options.from ?? this.client;
    return this.tryExec(from.netns, ['ping', '-6', '-c', String(options.count ?? 1), '-W', '1', '-I', from.lanInterface, target]);
  }

  async ping(target: string, options: { from?: LanHost; count?: number } = {}): Promise<RunResult> {
    const from = options.from ?? this.client;
    return this.tryExec(from.netns, ['ping', '-4', '-c', String(options.count ?? 1), '-W', '1', '-I', from.lanInterface, target]);
  }

  /** Starts tcpdump on a host's LAN interface; `stop()` returns the decoded packets as text lines. */
  async capture(host: LanHost, filter: string): Promise<PacketCapture> {
    const c = await PacketCapture.start(this, host, filter);
    this.captures.add(c);
    return c;
  }

  /** Tears everything down; safe to call twice and after a partial build. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.proxies) await p.close();
    for (const c of this.captures) await c.stop().catch(() => undefined);
    for (const p of this.processes) await p.stop(2_000);
    for (const ns of [...this.state.resources.netns].reverse()) {
      await this.killProcesses({ netns: ns } as LanHost);
      await run('ip', ['netns', 'del', ns]);
      this.state.remove('netns', ns);
    }
    for (const link of [...this.state.resources.links].reverse()) {
      await run('ip', ['link', 'del', link]);
      this.state.remove('links', link);
    }
    // Cgroups of nodes that were never stopped (a failed setup): their containers outlive the namespaces.
    for (const cgroup of [...this.state.resources.cgroups]) {
      await removeCgroup(cgroup);
      this.state.remove('cgroups', cgroup);
    }
    this.releaseSlot?.();
    if (!process.env.HERALD_KEEP_LOGS) rmSync(this.logDir, { recursive: true, force: true });
    this.state.release();
  }

  /** Waits until the client's neighbour entry for `address` has `mac`. */
  async waitForNeighbour(address: string, mac: string, options: { timeoutMs?: number; host?: LanHost } = {}): Promise<void> {
    await waitFor(`${address} → ${mac} in ${options.host?.name ?? 'client'}'s neighbour table`, async () => (await this.neighbour(address, options.host))?.lladdr === mac, {
      timeoutMs: options.timeoutMs ?? 5_000,
      intervalMs: 50,
    });
  }
}

/** Runs `f` over `items`, at most `width` at a time; the first failure rejects once the others settle. */
async function inBatches<T>(items: readonly T[], width: number, f: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) {
    const results = await Promise.allSettled(items.slice(i, i + width).map(f));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
