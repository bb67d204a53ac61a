import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lan, type LanHost, type LanNode } from '../lan/lan.js';
import type { PacketCapture } from '../lan/packetCapture.js';
import { waitFor, type Spawned } from '../processes.js';
import { run } from '../run.js';

// herald joins no IPv6 group for the addresses it answers (it hears solicitations on a packet socket), so
// the kernel sends no MLD report for their solicited-node groups: herald sends them itself. Proven on the
// wire: herald's Announcer (compiled dist/, real herald_net sockets) runs in a node namespace through
// bench/speaker/fixtures/announcerHost.ts; the client namespace plays the router (it sends queries and
// captures with tcpdump, which decodes and checksums every MLD message independently of herald), and on a
// snooping bridge with a querier the client's solicitation reaches the node only because of the reports.
const HOST = fileURLToPath(new URL('../../bench/speaker/fixtures/announcerHost.ts', import.meta.url));
const QUERY = fileURLToPath(new URL('./fixtures/mldQuery.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../packages/speaker/dist/announce/announcer.js', import.meta.url));

// Two addresses sharing one solicited-node group (same low 24 bits) and one with a group of its own.
const VIPS = ['2001:db8:1::1010', '2001:db8:2::1010', '2001:db8:1::1011'];
const G_SHARED = 'ff02::1:ff00:1010';
const G_OWN = 'ff02::1:ff00:1011';
const MAX_RESPONSE_MS = 2_000;
/** Scheduling slack on a loaded 2-core host between the query leaving the client and the node reading it. */
const SLACK_MS = 250;

interface Packet {
  atMs: number;
  line: string;
  from: string;
  /** MLDv2 records as "to_ex ff02::…", MLDv1 as "v1report ff02::…" / "v1done ff02::…", queries as "query". */
  records: string[];
}

/** Every MLD message in a capture so far (tcpdump -r reads a file still being written with -U). */
async function mldPackets(c: PacketCapture): Promise<Packet[]> {
  const r = await run('tcpdump', ['-r', c.file, '-nn', '-e', '-tt', '-v']);
  const out: Packet[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+\.\d+) (\S+) >/.exec(line);
    if (!m || !line.includes('multicast listener')) continue;
    const records = [...line.matchAll(/\[gaddr (\S+) (\w+)[ ,]/g)].map((g) => `${g[2]} ${g[1]}`);
    const v1 = /multicast listener (report|done) ?max resp delay: \d+ addr: (\S+)/.exec(line);
    if (v1) records.push(`v1${v1[1]} ${v1[2]}`);
    if (line.includes('multicast listener query')) records.push('query');
    out.push({ atMs: Number(m[1]) * 1000, line, from: m[2]!, records });
  }
  return out;
}

const linkLocal = async (lan: Lan, host: LanHost): Promise<string> => {
  const out = await lan.exec(host.netns, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
  const m = /inet6 (fe80:\S+)\//.exec(out);
  if (!m) throw new Error(`${host.name} has no link-local address on eth0: ${out}`);
  return m[1]!;
};

function startHost(lan: Lan, node: LanNode, o: { mld: boolean; addresses?: string[] }): Spawned {
  const file = join(lan.logDir, 'mld.addresses');
  writeFileSync(file, `${(o.addresses ?? VIPS).join('\n')}\n`);
  return lan.spawn(node, [process.execPath, '--import', 'tsx', HOST, 'eth0', file], { logName: `announcer-mld-${o.mld ? 'on' : 'off'}`, env: { ...process.env, HOST_MLD: o.mld ? '1' : '0' } });
}

/**
 * Sends a query from the client and returns when it left, as the client's capture timestamped it: the
 * fixture's own clock reading comes after send() returns, and an answer drawn near 0 ms of the delay can be
 * on the wire before it on a loaded host (the answer would then look older than its query).
 */
async function sendQuery(lan: Lan, cap: PacketCapture, version: 1 | 2, group?: string): Promise<number> {
  const before = Date.now() - 1;
  await lan.exec(lan.client.netns, [process.execPath, QUERY, 'eth0', String(version), String(MAX_RESPONSE_MS), ...(group ? [group] : [])]);
  const sent = async () => (await mldPackets(cap)).find((p) => p.from === lan.client.mac && p.atMs >= before && p.records.includes('query'));
  await waitFor('the query in the client\'s capture', async () => (await sent()) !== undefined, { timeoutMs: 5_000, intervalMs: 50 });
  return (await sent())!.atMs;
}

describe('MLD reports for the solicited-node groups of announced IPv6 addresses', () => {
  let lan: Lan | undefined;
  let host: Spawned | undefined;

  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  });

  afterEach(async () => {
    await host?.stop(5_000);
    host = undefined;
    await lan?.destroy();
    lan = undefined;
  });

  it('reports each group when announced (twice) and when the link returns, answers General, group-specific and MLDv1 queries within the delay, and leaves on withdrawal', async () => {
    lan = await Lan.create({ nodes: 1 });
    const node = lan.nodes[0]!;
    const nodeLL = await linkLocal(lan, node);
    const cap = await lan.capture(lan.client, 'ip6 and ip6[6] = 0');
    const ours = async () => (await mldPackets(cap)).filter((p) => p.from === node.mac);
    const withRecord = async (record: string, after = 0) => (await ours()).filter((p) => p.atMs > after && p.records.includes(record));

    // Announced: unsolicited CHANGE_TO_EXCLUDE {} for both groups, [Robustness Variable] = 2 times.
    host = startHost(lan, node, { mld: true });
    await waitFor('two unsolicited reports for each group', async () => (await withRecord(`to_ex ${G_SHARED}`)).length >= 2 && (await withRecord(`to_ex ${G_OWN}`)).length >= 2, {
      timeoutMs: 20_000, intervalMs: 200, abortIf: () => (host!.child.exitCode !== null ? readFileSync(host!.logFile, 'utf8').slice(-2000) : undefined),
    });
    const first = (await withRecord(`to_ex ${G_SHARED}`))[0]!;
    // tcpdump checked the checksum (over the pseudo-header), and saw hop limit 1 and the Router Alert, from the node's link-local address.
    expect(first.line).toContain('[icmp6 sum ok]');
    expect(first.line).toContain('hlim 1, next-header Options (0)');
    expect(first.line).toContain('HBH (rtalert: 0x0000)');
    expect(first.line).toContain(`${nodeLL} > ff02::16:`);
    expect(first.line).toContain('multicast listener report v2');
    // One record per group: the two addresses sharing a group are reported once.
    expect(first.records.filter((r) => r === `to_ex ${G_SHARED}`)).toHaveLength(1);

    // The node's carrier drops and returns (the switch may have forgotten the port's groups): every group again.
    const hostSaid = (text: string) => readFileSync(host!.logFile, 'utf8').includes(text);
    await lan.cutLan(node);
    await waitFor('the announcer to see the carrier go', () => hostSaid('link eth0 carrier false'), { timeoutMs: 5_000, intervalMs: 20 });
    await lan.restoreLan(node);
    const restored = Date.now();
    await waitFor('the groups reported again after the link came back', async () => (await withRecord(`to_ex ${G_OWN}`, restored)).length > 0 && (await withRecord(`to_ex ${G_SHARED}`, restored)).length > 0, { timeoutMs: 5_000, intervalMs: 100 });

    // A General Query: a current-state report with every group within the Maximum Response Delay.
    const general = await sendQuery(lan, cap, 2);
    await waitFor('an answer to the General Query', async () => (await withRecord(`is_ex ${G_OWN}`, general)).length > 0, { timeoutMs: MAX_RESPONSE_MS + 3_000, intervalMs: 100 });
    const answer = (await withRecord(`is_ex ${G_OWN}`, general))[0]!;
    expect(answer.records).toEqual(expect.arrayContaining([`is_ex ${G_SHARED}`, `is_ex ${G_OWN}`]));
    expect(answer.atMs - general).toBeLessThan(MAX_RESPONSE_MS + SLACK_MS);

    // A group-specific query (sent to the group itself): an answer for that group only.
    const specific = await sendQuery(lan, cap, 2, G_SHARED);
    await waitFor('an answer to the group-specific query', async () => (await withRecord(`is_ex ${G_SHARED}`, specific)).length > 0, { timeoutMs: MAX_RESPONSE_MS + 3_000, intervalMs: 100 });
    const specificAnswer = (await withRecord(`is_ex ${G_SHARED}`, specific))[0]!;
    expect(specificAnswer.records).toEqual([`is_ex ${G_SHARED}`]);
    expect(specificAnswer.atMs - specific).toBeLessThan(MAX_RESPONSE_MS + SLACK_MS);

    // Withdrawing the address with a group of its own: CHANGE_TO_INCLUDE {} for it, twice; the shared group stays.
    const beforeLeave = Date.now();
    host.kill('SIGUSR2');
    await waitFor('two leaves for the withdrawn group', async () => (await withRecord(`to_in ${G_OWN}`, beforeLeave)).length >= 2, { timeoutMs: 5_000, intervalMs: 100 });
    expect((await withRecord(`to_in ${G_SHARED}`)).length).toBe(0);

    // An MLDv1 querier: MLDv1 reports, one per group, each sent to the group itself.
    const v1 = await sendQuery(lan, cap, 1);
    await waitFor('an MLDv1 report', async () => (await withRecord(`v1report ${G_SHARED}`, v1)).length > 0, { timeoutMs: MAX_RESPONSE_MS + 3_000, intervalMs: 100 });
    const v1Answer = (await withRecord(`v1report ${G_SHARED}`, v1))[0]!;
    expect(v1Answer.line).toContain(`${nodeLL} > ${G_SHARED}:`);
    expect(v1Answer.atMs - v1).toBeLessThan(MAX_RESPONSE_MS + SLACK_MS);
    expect((await withRecord(`v1report ${G_OWN}`, v1)).length).toBe(0);

    // Graceful stop: the last group is left (as an MLDv1 Done to ff02::2 while the v1 querier is present).
    // The host handles SIGTERM once its bursts are over and it has printed its report.
    await waitFor('the announcer to finish its bursts', () => readFileSync(host!.logFile, 'utf8').includes('"requested"'), { timeoutMs: 15_000, intervalMs: 100 });
    const beforeStop = Date.now();
    await host.stop(5_000);
    host = undefined;
    await waitFor('an MLDv1 Done for the last group', async () => (await withRecord(`v1done ${G_SHARED}`, beforeStop)).length > 0, { timeoutMs: 5_000, intervalMs: 100 });
    expect((await withRecord(`v1done ${G_SHARED}`, beforeStop))[0]!.line).toContain(`${nodeLL} > ff02::2:`);
  }, 60_000);

  it('a node taking 2,000 IPv6 addresses at once joins every group on the wire exactly twice, none lost in the burst', async () => {
    const COUNT = 2_000;
    lan = await Lan.create({ nodes: 1 });
    const node = lan.nodes[0]!;
    const addresses = Array.from({ length: COUNT }, (_, i) => `2001:db8:1::${(0x1000 + i).toString(16)}`);
    const cap = await lan.capture(lan.client, 'ip6 and ip6[6] = 0');
    host = startHost(lan, node, { mld: true, addresses });
    // The host prints its report once the set is owned and 5.8 s have passed: the repeats (within 1 s) are out.
    await waitFor('the announcer to own its addresses', () => readFileSync(host!.logFile, 'utf8').includes('"requested"'), {
      timeoutMs: 30_000, intervalMs: 100, abortIf: () => (host!.child.exitCode !== null ? readFileSync(host!.logFile, 'utf8').slice(-2000) : undefined),
    });
    const report = JSON.parse(readFileSync(host.logFile, 'utf8').split('\n').find((l) => l.includes('"requested"'))!) as { owned: number; mldReportsUnsent: object };
    expect(report.owned).toBe(COUNT);
    expect(report.mldReportsUnsent).toEqual({});
    await cap.stop();
    // The capture lost nothing, so what it did not see was not on the wire.
    expect(cap.kernelDrops()).toBe(0);
    const joins = new Map<string, number>();
    for (const p of await mldPackets(cap)) if (p.from === node.mac) for (const r of p.records) if (r.startsWith('to_ex ')) joins.set(r.slice(6), (joins.get(r.slice(6)) ?? 0) + 1);
    const expected = addresses.map((_, i) => `ff02::1:ff00:${(0x1000 + i).toString(16)}`);
    // (The kernel's own reports for the node's addresses are from its MAC too: only herald's groups are counted.)
    expect(expected.filter((g) => joins.get(g) !== 2)).toEqual([]);
  }, 60_000);

  it('on a snooping bridge with an MLD querier, the client resolves the address only because herald reports its group', async () => {
    lan = await Lan.create({ nodes: 1, multicastSnooping: true, multicastQuerier: true });
    const node = lan.nodes[0]!;
    const vip = VIPS[2]!;
    const nodeCap = await lan.capture(node, 'icmp6 and ip6[40] = 135');
    const mdb = async () => JSON.stringify(JSON.parse(await lan!.exec(lan!.switchNetns, ['bridge', '-j', 'mdb', 'show', 'dev', 'br0']) || '[]'));

    // Without reports: the solicitation for the address never reaches the node. The positive marker: the
    // node's own address, whose group its kernel reported, is resolved right after through the same bridge.
    host = startHost(lan, node, { mld: false });
    await waitFor('the announcer (reports off) to own its addresses', () => readFileSync(host!.logFile, 'utf8').includes('"requested"'), { timeoutMs: 20_000, intervalMs: 100 });
    await lan.ping6(vip);
    expect((await lan.neighbour(vip))?.lladdr).toBeUndefined();
    expect((await lan.ping6(node.ipv6)).code).toBe(0);
    const nodeSaw = (await nodeCap.stop()).join('\n');
    expect(nodeSaw).toContain(`who has ${node.ipv6}`);
    expect(nodeSaw).not.toContain(`who has ${vip}`);
    expect(await mdb()).not.toContain(G_OWN);
    await host.stop(5_000);

    // With reports: the bridge learns the group on the node's port and forwards the solicitation.
    host = startHost(lan, node, { mld: true });
    await waitFor(`the bridge to learn ${G_OWN} on port ${node.name}`, async () => (await mdb()).includes(G_OWN), { timeoutMs: 20_000, intervalMs: 100 });
    expect(await mdb()).toContain(`"port":"${node.name}"`);
    await lan.exec(lan.client.netns, ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
    await lan.ping6(vip);
    await lan.waitForNeighbour(vip, node.mac, { timeoutMs: 3_000 });
  }, 60_000);
});
