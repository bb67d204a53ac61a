import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster, kubectl, mergePatch } from '../cluster/kube.js';
import { tokenKubeconfig } from '../cluster/serviceAccount.js';
import { freePort } from '../cluster/freePort.js';
import { run, type RunResult } from '../run.js';
import { SpeakerWorld } from '../speaker/speakerWorld.js';

const root = resolve(import.meta.dirname, '../..');
const CLI = join(root, 'packages/cli/dist/main.js');
const METALLB_CRDS = join(import.meta.dirname, 'fixtures/metallb-crds.yaml');
const METALLB_CONFIG = join(import.meta.dirname, 'fixtures/metallb-config.yaml');
const METALLB_KINDS = ['ipaddresspools', 'l2advertisements', 'bgpadvertisements', 'bgppeers', 'bfdprofiles', 'communities'].map((p) => `crd/${p}.metallb.io`);

const cli = (args: string[], o: { input?: string } = {}): Promise<RunResult> => run(process.execPath, [CLI, ...args], { timeoutMs: 60_000, ...o });

interface Report { objects: { kind: string; name: string; action: string }[]; findings: { action: string; reason: string; object: string }[]; annotated: string[]; strictFailed: boolean; services: { atRisk: number } }

/**
 * A real migration: MetalLB's own CRDs (from its repository, no MetalLB running) with objects shaped like
 * common installs, Services holding addresses in their status as MetalLB left them, `kubectl-herald migrate
 * --apply`, then herald's real controller and speakers: every migrated Service keeps its address and the
 * client on the LAN resolves it to the MAC of the node its LBAddress names.
 */
describe('kubectl herald migrate from MetalLB, then herald takes over without moving an address', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster());
  const ns = `metallb-${world.tag}`;
  const kubeconfig = () => cluster().kubeconfigPath;
  const core = world.core;
  const held: Record<string, string> = { web1: '192.0.2.193', web2: '192.0.2.202', reserved: '192.0.2.211', legacy: '192.0.2.221' };
  const bgpAddress = '198.51.100.241';
  const r: Record<string, RunResult> = {};
  let twoNodes: string[] = [];

  async function service(name: string, ip: string, o: { annotations?: Record<string, string>; lbClass?: string } = {}): Promise<void> {
    await core.createNamespacedService({
      namespace: world.appNs,
      body: { metadata: { name, ...(o.annotations ? { annotations: o.annotations } : {}) }, spec: { type: 'LoadBalancer', loadBalancerClass: o.lbClass ?? world.lbClass, selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    // What MetalLB left behind: the address in status, written through the status subresource.
    await core.patchNamespacedServiceStatus({ namespace: world.appNs, name, body: { status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } } } }, mergePatch);
  }

  beforeAll(async () => {
    const crds = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=herald-tests', '-f', METALLB_CRDS]);
    if (crds.code !== 0) throw new Error(`applying MetalLB's CRDs failed: ${crds.stderr}`);
    const est = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...METALLB_KINDS]);
    if (est.code !== 0) throw new Error(`MetalLB CRDs not Established: ${est.stderr}`);
    await world.start({
      beforeController: async () => {
        twoNodes = world.lan.nodes.slice(0, 2).map((n) => world.nodeName(n));
        await core.createNamespace({ body: { metadata: { name: ns } } });
        const config = readFileSync(METALLB_CONFIG, 'utf8').replaceAll('metallb-system', ns).replaceAll('NODE_A', twoNodes[0]!).replaceAll('NODE_B', twoNodes[1]!);
        const applied = await kubectl(['apply', '-f', '-'], { input: config });
        if (applied.code !== 0) throw new Error(`applying MetalLB objects failed: ${applied.stderr}`);
        await service('web1', held.web1!);
        await service('web2', held.web2!);
        await service('reserved', held.reserved!, { annotations: { 'metallb.universe.tf/address-pool': 'reserved' } });
        await service('legacy', held.legacy!);
        // Served by MetalLB's BGP mode and kept there (another class, so this herald leaves it alone).
        await service('bgp', bgpAddress, { lbClass: `example.com/bgp-${world.tag}` });
        for (const name of Object.keys(held)) await world.readyPod(name, world.lan.nodes[2]!);

        r.dryRun = await cli(['migrate', '--kubeconfig', kubeconfig(), '--metallb-namespace', ns]);
        r.poolsAfterDryRun = await kubectl(['get', 'ipaddresspools.herald.dev', '-o', 'name']);
        r.strict = await cli(['migrate', '--kubeconfig', kubeconfig(), '--context', 'herald-test', '--metallb-namespace', ns, '--strict', '-o', 'json']);
        r.apply = await cli(['migrate', '--kubeconfig', kubeconfig(), '--metallb-namespace', ns, '--apply', '--annotate', '-o', 'json']);
        r.again = await cli(['migrate', '--kubeconfig', kubeconfig(), '--metallb-namespace', ns, '--apply', '-o', 'yaml']);
        // Someone edits a migrated pool (a superset, so the legacy Service's address stays inside it).
        await world.objects.patchPoolSpec('legacy', { addresses: ['192.0.2.220-192.0.2.223'] });
        r.edited = await cli(['migrate', '--kubeconfig', kubeconfig(), '--metallb-namespace', ns]);
        r.differs = await cli(['migrate', '--kubeconfig', kubeconfig(), '--metallb-namespace', ns, '--apply']);
        r.poolAfterDiffers = await kubectl(['get', 'ipaddresspools.herald.dev', 'legacy', '-o', 'jsonpath={.spec.addresses}']);
        r.overwrite = await cli(['migrate', '--kubeconfig', kubeconfig(), '--metallb-namespace', ns, '--apply', '--overwrite']);
      },
    });
  }, 240_000);

  afterAll(async () => {
    await world.stop();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    // MetalLB's CRDs are this file's alone; remove them so later files see the cluster as they expect.
    await kubectl(['delete', '--wait=false', '--ignore-not-found', ...METALLB_KINDS]);
  }, 60_000);

  it('the dry run lists what it would write and why the rest is not migrated, and writes nothing', () => {
    const out = r.dryRun!;
    expect(out.code, out.stderr).toBe(0);
    for (const line of ['create  IPAddressPool    lan', 'create  IPAddressPool    legacy', 'create  IPAddressPool    reserved', 'create  L2Advertisement  lan', 'create  L2Advertisement  legacy-l2', 'create  L2Advertisement  reserved-on-two-nodes']) {
      expect(out.stdout).toContain(line);
    }
    expect(out.stdout).toMatch(new RegExp(`skipped +BGPOnlyPool +IPAddressPool ${ns}/bgp-uplink`));
    expect(out.stdout).toMatch(new RegExp(`skipped +BGPNotSupported +BGPPeer ${ns}/router`));
    expect(out.stdout).toMatch(new RegExp(`atRisk +AddressOutsidePools +Service ${world.appNs}/bgp +${bgpAddress.replaceAll('.', '\\.')} is in no migrated pool`));
    expect(out.stdout).toMatch(new RegExp(`${world.appNs}/reserved +metallb.universe.tf/address-pool +herald.dev/address-pool +reserved`));
    expect(out.stdout).toContain("Cut-over that keeps every Service's address");
    expect(r.poolsAfterDryRun!.stdout.trim()).toBe('');
  });

  it('--strict exits 3 and names every item that was not migrated', () => {
    expect(r.strict!.code, r.strict!.stderr).toBe(3);
    const report = JSON.parse(r.strict!.stdout) as Report;
    expect(report.strictFailed).toBe(true);
    // Services other test files left in the shared cluster are findings too; this test judges its own namespaces.
    const ours = report.findings.filter((f) => f.object.includes(` ${ns}/`) || f.object.includes(` ${world.appNs}/`));
    expect(ours.map((f) => `${f.action} ${f.reason} ${f.object}`).sort()).toEqual([
      `atRisk AddressOutsidePools Service ${world.appNs}/bgp`,
      `changed WhitespaceRemoved IPAddressPool ${ns}/lan`,
      `skipped BGPNotSupported BGPAdvertisement ${ns}/uplink`,
      `skipped BGPNotSupported BGPPeer ${ns}/router`,
      `skipped BGPOnlyPool IPAddressPool ${ns}/bgp-uplink`,
    ]);
  });

  it('--apply writes the objects and annotates the Services; a second run finds nothing to change', async () => {
    expect(r.apply!.code, r.apply!.stderr).toBe(0);
    const report = JSON.parse(r.apply!.stdout) as Report;
    expect(report.objects.map((o) => `${o.action} ${o.kind}/${o.name}`)).toEqual([
      'created IPAddressPool/lan', 'created IPAddressPool/legacy', 'created IPAddressPool/reserved',
      'created L2Advertisement/lan', 'created L2Advertisement/legacy-l2', 'created L2Advertisement/reserved-on-two-nodes',
    ]);
    expect(report.annotated).toEqual([`${world.appNs}/reserved`]);
    expect(r.again!.code, r.again!.stderr).toBe(0);
    expect(r.again!.stdout).toContain('dryRun: false');
    expect(r.again!.stdout.match(/action: unchanged/g)?.length).toBe(6);
    const pool = await world.objects.pool('lan');
    expect(pool.spec.addresses).toEqual(['192.0.2.192/29', '192.0.2.200-192.0.2.205']);
    const reserved = await world.objects.service(world.appNs, 'reserved');
    expect(reserved.metadata?.annotations).toMatchObject({ 'herald.dev/address-pool': 'reserved', 'metallb.universe.tf/address-pool': 'reserved' });
  });

  it('after someone edits a migrated pool: the dry run shows the diff, --apply leaves it alone, --overwrite replaces it', async () => {
    expect(r.edited!.code, r.edited!.stderr).toBe(0);
    expect(r.edited!.stdout).toMatch(/differs +IPAddressPool +legacy/);
    expect(r.edited!.stdout).toContain('IPAddressPool legacy differs from the one in the cluster (- now, + migrated):');
    expect(r.edited!.stdout).toMatch(/^ +- +- 192\.0\.2\.220-192\.0\.2\.223$/m);
    expect(r.edited!.stdout).toMatch(/^ +\+ +- 192\.0\.2\.220-192\.0\.2\.222$/m);
    expect(r.differs!.code, r.differs!.stderr).toBe(0);
    expect(r.differs!.stdout).toMatch(/differs +IPAddressPool +legacy/);
    expect(r.poolAfterDiffers!.stdout).toBe('["192.0.2.220-192.0.2.223"]');
    expect(r.overwrite!.code, r.overwrite!.stderr).toBe(0);
    expect(r.overwrite!.stdout).toMatch(/replaced +IPAddressPool +legacy/);
    expect((await world.objects.pool('legacy')).spec.addresses).toEqual(['192.0.2.220-192.0.2.222']);
  });

  it('with herald running, every migrated Service keeps its address and the client reaches it at the MAC of the node its LBAddress names', async () => {
    for (const [name, ip] of Object.entries(held)) {
      const s = await world.objects.waitForService(world.appNs, name, 'AddressAssigned', (x) => x.status?.conditions?.some((c) => c.type === 'herald.dev/AddressAssigned' && c.status === 'True') ?? false, 20_000);
      expect(s.status?.loadBalancer?.ingress?.map((i) => i.ip), name).toEqual([ip]);
      const node = await world.announcer(ip);
      if (name === 'reserved') expect(twoNodes).toContain(node);
      const { replies } = await world.lan.arping(ip, { count: 1 });
      expect(replies, `${name} ${ip}`).toEqual([world.nodeByName(node).mac]);
    }
    const bgp = await world.objects.service(world.appNs, 'bgp');
    expect(bgp.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual([bgpAddress]);
  });

  describe('errors a person can act on', () => {
    let silent: Server | undefined;
    afterAll(() => silent?.close());

    const kubeconfigFor = (server: string): string => {
      const path = join(world.lan.logDir, `kubeconfig-${server.replace(/\W/g, '')}`);
      writeFileSync(path, readFileSync(kubeconfig(), 'utf8').replace(cluster().server, server));
      return path;
    };

    it('an unreachable API server: exit 1 and the server named', async () => {
      const port = await freePort();
      const out = await cli(['migrate', '--kubeconfig', kubeconfigFor(`https://127.0.0.1:${port}`), '--metallb-namespace', ns]);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`cannot reach the API server https://127.0.0.1:${port} (ECONNREFUSED) to: list ipaddresspools.metallb.io in namespace ${ns}`);
    });

    it('an API server that never answers: the call times out after --request-timeout', async () => {
      silent = createServer((s) => s.on('error', () => undefined)).listen(0, '127.0.0.1');
      silent.unref();
      await new Promise((ok) => silent!.once('listening', ok));
      const port = (silent.address() as { port: number }).port;
      const started = performance.now();
      const out = await cli(['migrate', '--kubeconfig', kubeconfigFor(`https://127.0.0.1:${port}`), '--metallb-namespace', ns, '--request-timeout', '500ms']);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`the API server https://127.0.0.1:${port} did not answer within 500 ms (--request-timeout) to: list ipaddresspools.metallb.io`);
      expect(performance.now() - started).toBeLessThan(30_000);
    });

    it('RBAC forbids reading MetalLB objects: exit 1 and the verb and resource to grant', async () => {
      await core.createNamespacedServiceAccount({ namespace: world.appNs, body: { metadata: { name: 'nobody' } } });
      const path = join(world.lan.logDir, 'kubeconfig-nobody');
      writeFileSync(path, await tokenKubeconfig({ kc: world.kc, cluster: cluster(), namespace: world.appNs, name: 'nobody' }));
      const out = await cli(['migrate', '--kubeconfig', path, '--metallb-namespace', ns, '--apply']);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(new RegExp(`forbidden by RBAC \\(kubeconfig user .*\\) to: list ipaddresspools\\.metallb\\.io in namespace ${ns}`));
      expect(out.stderr).toContain(`system:serviceaccount:${world.appNs}:nobody`);
    });
  });
});

