import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lan } from '../lan/lan.js';
import { waitFor, type Spawned } from '../processes.js';

// Issue 11 goal 5: a node answers neighbour solicitations for more IPv6 addresses than the old design (one
// IPv6 solicited-node group join per address, charged to net.core.optmem_max) could hold, on the kernel's
// default sysctls. herald's Announcer (compiled dist/, real herald_net sockets) runs in the node namespace
// through bench/speaker/fixtures/announcerHost.ts; the client resolves with ping -6 and the proof is the
// client kernel's neighbour table.
const HOST = fileURLToPath(new URL('../../bench/speaker/fixtures/announcerHost.ts', import.meta.url));
const WRAPPER = fileURLToPath(new URL('../../packages/speaker/dist/native/index.js', import.meta.url));
const COUNT = 3_000;
/** net.core.optmem_max in a new network namespace on Linux ≥ 6.9 (per namespace, not inherited). */
const DEFAULT_OPTMEM_MAX = 131_072;
const v6 = Array.from({ length: COUNT }, (_, i) => `2001:db8:1::${(0x1000 + i).toString(16)}`);
const solicitedNodeHex = (ip: string) => `ff0200000000000000000001ff${ip.split(':').at(-1)!.padStart(6, '0')}`;

// The old path in the same namespace: join solicited-node groups on one ICMPv6 socket until the kernel refuses.
const OLD_JOIN = `
import { Icmp6Socket } from ${JSON.stringify(WRAPPER)};
const s = new Icmp6Socket('eth0');
let joined = 0, code;
try {
  for (; joined < ${COUNT}; joined++) {
    const g = Buffer.alloc(16);
    g.set([0xff, 0x02], 0); g[11] = 1; g[12] = 0xff; g.writeUIntBE(0x1000 + joined, 13, 3);
    s.joinGroup(g);
  }
} catch (e) { code = e.code; }
s.close();
console.log(JSON.stringify({ joined, code }));
`;

describe(`NDP for ${COUNT.toLocaleString('en')} IPv6 addresses on one node with default sysctls`, () => {
  let lan: Lan;
  let host: Spawned | undefined;

  beforeAll(() => {
    if (!existsSync(WRAPPER)) throw new Error(`${WRAPPER} is missing: run \`npm run build\` first`);
  });

  afterAll(async () => {
    await host?.stop(10_000);
    await lan?.destroy();
  });

  it('the old per-address group join stops short of the set; the packet socket answers all of it and the client learns the owner MAC at the start, middle and end', async () => {
    lan = await Lan.create({ nodes: 1 });
    const node = lan.nodes[0]!;
    expect(Number((await lan.exec(node.netns, ['sysctl', '-n', 'net.core.optmem_max'])).trim())).toBe(DEFAULT_OPTMEM_MAX);

    const old = JSON.parse(await lan.exec(node.netns, [process.execPath, '--input-type=module', '-e', OLD_JOIN])) as { joined: number; code?: string };
    expect(old.code).toBe('ENOMEM');
    expect(old.joined).toBeLessThan(COUNT);
    process.stdout.write(`old path: ${old.joined} solicited-node groups joined before ${old.code} (net.core.optmem_max ${DEFAULT_OPTMEM_MAX})\n`);

    const file = join(lan.logDir, 'ndp-scale.addresses');
    writeFileSync(file, `${v6.join('\n')}\n`);
    host = lan.spawn(node, [process.execPath, '--import', 'tsx', HOST, 'eth0', file], { logName: 'announcer-ndp-scale' });
    let report: { owned: number; failed: number; allMulticast: boolean; linkGroupCalls: number } | undefined;
    await waitFor(`the announcer to own ${COUNT} addresses`, () => {
      const line = readFileSync(host!.logFile, 'utf8').split('\n').find((l) => l.includes('"requested"'));
      if (line) report = JSON.parse(line) as typeof report;
      return report !== undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, abortIf: () => (host!.child.exitCode !== null ? readFileSync(host!.logFile, 'utf8').slice(-2000) : undefined) });
    expect(report).toMatchObject({ owned: COUNT, failed: 0, allMulticast: true });
    // No IPv6 group was joined for any owned address; the interface accepts all multicast instead.
    const igmp6 = await lan.exec(node.netns, ['cat', '/proc/net/igmp6']);
    for (const ip of [v6[0]!, v6[COUNT - 1]!]) expect(igmp6).not.toContain(solicitedNodeHex(ip));
    // PACKET_MR_ALLMULTI counts in the device's allmulti counter (ip -d shows it), not in its user flags.
    const [link] = JSON.parse(await lan.exec(node.netns, ['ip', '-d', '-j', 'link', 'show', 'eth0'])) as [{ allmulti?: number }];
    expect(link.allmulti).toBeGreaterThanOrEqual(1);

    for (const ip of [v6[0]!, v6[COUNT / 2]!, v6[COUNT - 1]!]) {
      await lan.ping6(ip);
      await lan.waitForNeighbour(ip, node.mac, { timeoutMs: 3_000 });
    }
    // A target just outside the set stays unresolved (the answers come from ownership, not from anything-goes).
    const outside = `2001:db8:1::${(0x1000 + COUNT).toString(16)}`;
    await lan.ping6(outside);
    expect((await lan.neighbour(outside))?.lladdr).toBeUndefined();
  }, 60_000);
});
