import { afterEach, describe, expect, it } from 'vitest';
import { cluster } from '../cluster/kube.js';
import { renderKubeconfig } from '../cluster/kubeconfig.js';
import { waitFor } from '../processes.js';
import { Lan } from './lan.js';

const VIP4 = '192.0.2.200';
const VIP6 = '2001:db8:1::200';

describe('the LAN harness', () => {
  let lan: Lan | undefined;
  afterEach(async () => {
    await lan?.destroy();
    lan = undefined;
  });

  it('a gratuitous ARP from node 1 puts node 1 MAC into the client neighbour table, and a later one moves it', async () => {
    lan = await Lan.create({ nodes: 2 });
    const [n1, n2] = lan.nodes as [NonNullable<Lan['nodes'][0]>, NonNullable<Lan['nodes'][0]>];
    // Linux creates entries from gratuitous ARP only with arp_accept=1 (default 0 only updates existing ones).
    await lan.exec(lan.client.netns, ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.arp_accept=1']);
    // arping -U sends from the announced address itself; a node does not own it, so allow the bind.
    for (const n of [n1, n2]) await lan.exec(n.netns, ['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
    expect(await lan.neighbour(VIP4)).toBeUndefined();
    const capture = await lan.capture(lan.client, 'arp');
    await lan.exec(n1.netns, ['arping', '-U', '-c', '1', '-I', 'eth0', VIP4]);
    await lan.waitForNeighbour(VIP4, n1.mac);
    const packets = await capture.stop();
    const garp = new RegExp(`^\\S+ ${n1.mac} > ff:ff:ff:ff:ff:ff, ethertype ARP .* Request who-has ${VIP4} (\\(\\S+\\) )?tell ${VIP4}`);
    expect(packets.some((l) => garp.test(l)), packets.join('\n')).toBe(true);

    // With the default arp_accept=0 a gratuitous ARP still updates an existing entry: that is failover.
    await lan.exec(lan.client.netns, ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.arp_accept=0']);
    await lan.exec(n2.netns, ['arping', '-U', '-c', '1', '-I', 'eth0', VIP4]);
    await lan.waitForNeighbour(VIP4, n2.mac);
  });

  it('an IPv6 address on node 1 is resolved by ping -6 to node 1 MAC through NDP', async () => {
    lan = await Lan.create({ nodes: 2 });
    const n1 = lan.nodes[0]!;
    await lan.exec(n1.netns, ['ip', 'addr', 'add', `${VIP6}/128`, 'dev', 'eth0', 'nodad']);
    const capture = await lan.capture(lan.client, 'icmp6');
    const r = await lan.ping6(VIP6);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const entry = await lan.neighbour(VIP6);
    expect(entry?.lladdr).toBe(n1.mac);
    const packets = await capture.stop();
    expect(packets.some((l) => l.includes(`neighbor solicitation, who has ${VIP6}`)), packets.join('\n')).toBe(true);
    expect(packets.some((l) => l.includes(`${n1.mac} > ${lan!.client.mac}`) && l.includes(`neighbor advertisement, tgt is ${VIP6}`))).toBe(true);
  });

  it('arping from the client gets exactly one reply, from the node that holds the address', async () => {
    lan = await Lan.create({ nodes: 3 });
    const n3 = lan.nodes[2]!;
    await lan.exec(n3.netns, ['ip', 'addr', 'add', `${VIP4}/32`, 'dev', 'eth0']);
    const { replies, output } = await lan.arping(VIP4, { count: 2 });
    expect(replies.length, output).toBe(2);
    expect(new Set(replies)).toEqual(new Set([n3.mac]));
  });

  it('node processes reach the apiserver over the management network, and lose it when that link is cut', async () => {
    const c = cluster();
    lan = await Lan.create({ nodes: 2, apiserver: { port: c.apiPort } });
    const [n1, n2] = [lan.nodes[0]!, lan.nodes[1]!];
    const kubeconfig = renderKubeconfig({
      server: lan.apiserverViaManagement!,
      caFile: c.caCert,
      user: { certFile: c.adminCert, keyFile: c.adminKey },
      tlsServerName: 'localhost',
    });
    for (const n of [n1, n2]) lan.writeNodeKubeconfig(n, kubeconfig);
    const readyz = (n: typeof n1) => lan!.tryExec(n.netns, [`${c.binDir}/kubectl`, '--kubeconfig', n.kubeconfigPath!, '--request-timeout=2s', 'get', '--raw', '/readyz']);
    const first = await readyz(n1);
    expect(first.stdout, JSON.stringify(first)).toBe('ok');

    await lan.cutManagement(n1);
    expect((await readyz(n1)).code).not.toBe(0);
    const other = await readyz(n2);
    expect(other.stdout, JSON.stringify(other)).toBe('ok');
    // The LAN is untouched by a management cut.
    expect((await lan.ping(n2.ipv4, { from: n1 })).code).toBe(0);

    await lan.restoreManagement(n1);
    await waitFor('n1 to reach the apiserver again', async () => (await readyz(n1)).stdout === 'ok', { timeoutMs: 10_000, intervalMs: 200 });
  });

  it('a LAN of 41 nodes: all reach the apiserver over the management network (IPv6 past the /28), the client reaches all on the LAN, and a management cut stays per node', async () => {
    const c = cluster();
    lan = await Lan.create({ nodes: 41, apiserver: { port: c.apiPort } });
    expect(lan.nodes.map((n) => n.ipv4)).toContain('192.0.2.51');
    expect(new Set(lan.nodes.map((n) => n.mac)).size).toBe(41);
    // The first 13 keep an IPv4 management address; every node has an IPv6 one, and the API URL is IPv6.
    expect(lan.nodes.filter((n) => n.managementIPv4).length).toBe(13);
    expect(new Set(lan.nodes.map((n) => n.managementIPv6)).size).toBe(41);
    expect(lan.apiserverViaManagement).toMatch(/^https:\/\/\[2001:db8:ff:[0-7]::1\]:\d+$/);
    const kubeconfig = renderKubeconfig({ server: lan.apiserverViaManagement!, caFile: c.caCert, user: { certFile: c.adminCert, keyFile: c.adminKey }, tlsServerName: 'localhost' });
    for (const n of lan.nodes) lan.writeNodeKubeconfig(n, kubeconfig);
    const readyz = (n: Lan['nodes'][number]) => lan!.tryExec(n.netns, [`${c.binDir}/kubectl`, '--kubeconfig', n.kubeconfigPath!, '--request-timeout=3s', 'get', '--raw', '/readyz']);
    const [n1, n14, n41] = [lan.node('n1'), lan.node('n14'), lan.node('n41')];
    for (const n of [n1, n14, n41]) {
      const r = await readyz(n);
      expect(r.stdout, `${n.name}: ${JSON.stringify(r)}`).toBe('ok');
    }
    const pings = await Promise.all(lan.nodes.map((n) => lan!.ping(n.ipv4)));
    expect(pings.map((r, i) => `${lan!.nodes[i]!.name}:${r.code}`).filter((x) => !x.endsWith(':0'))).toEqual([]);
    const macs = new Map((await lan.neighbours()).map((e) => [e.dst, e.lladdr]));
    for (const n of lan.nodes) expect(macs.get(n.ipv4), n.name).toBe(n.mac);

    await lan.cutManagement(n41);
    expect((await readyz(n41)).code).not.toBe(0);
    expect((await readyz(n14)).stdout).toBe('ok');
    await lan.restoreManagement(n41);
    await waitFor('n41 to reach the apiserver again', async () => (await readyz(n41)).stdout === 'ok', { timeoutMs: 10_000, intervalMs: 200 });
  });

  it('cutting a node LAN link drops its carrier and stops its traffic; restoring brings both back', async () => {
    lan = await Lan.create({ nodes: 2 });
    const n1 = lan.nodes[0]!;
    expect((await lan.ping(n1.ipv4)).code).toBe(0);
    await lan.cutLan(n1);
    const link = JSON.parse(await lan.exec(n1.netns, ['ip', '-j', 'link', 'show', 'eth0']))[0];
    expect(link.flags).toContain('NO-CARRIER');
    expect((await lan.ping(n1.ipv4)).code).not.toBe(0);
    await lan.restoreLan(n1);
    expect((await lan.ping(n1.ipv4, { count: 3 })).stdout).toMatch(/[1-3] received/);
  });

  it('killProcesses ends every process in a node namespace', async () => {
    lan = await Lan.create({ nodes: 1 });
    const n1 = lan.nodes[0]!;
    const p = lan.spawn(n1, ['sleep', '300']);
    const killed = await lan.killProcesses(n1);
    expect(killed).toContain(p.pid);
    expect(await p.exited).toBe('SIGKILL');
  });
});
