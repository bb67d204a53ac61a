import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Lan, type LanNode } from '../lan/lan.js';
import { waitFor, type Spawned } from '../processes.js';

// The speaker's link watcher under pod churn that overflows its netlink event socket (issue 11): 300 veth
// pairs created, then deleted, in one `ip -batch` each while the watcher's event loop is blocked for 1 s,
// with an event socket buffer small enough that the kernel must drop events (ENOBUFS). The watcher must
// survive, re-read the links, end with the kernel's picture, and ARP must be answered throughout.
// herald's LinkWatcher and Announcer (dist/) run in fixtures/linkChurnHost.ts, without Kubernetes.
const HOST = fileURLToPath(new URL('./fixtures/linkChurnHost.ts', import.meta.url));
const VIP = '192.0.2.200';
const PAIRS = 300;
/** The kernel doubles it and enforces a floor; either way a burst of 600 new links cannot fit. */
const SMALL_BUFFER = 4_096;

interface HostEvent {
  event?: string;
  names?: string[];
  msg?: string;
  code?: string;
}

describe('link watcher under veth churn that overflows its netlink socket', () => {
  let lan: Lan;
  let host: Spawned;

  afterAll(async () => {
    await lan?.destroy();
  });

  const lines = (): HostEvent[] => readFileSync(host.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as HostEvent);
  const alive = () => (host.child.exitCode !== null || host.child.signalCode !== null ? `the host exited (${host.child.exitCode ?? host.child.signalCode}):\n${readFileSync(host.logFile, 'utf8').slice(-3000)}` : undefined);
  const lastLinks = () => lines().filter((e) => e.event === 'links').at(-1)?.names;
  const batch = async (node: LanNode, commands: string[]) => {
    const file = join(lan.logDir, `churn-${Date.now()}.txt`);
    writeFileSync(file, `${commands.join('\n')}\n`);
    await lan.exec(node.netns, ['ip', '-batch', file], { timeoutMs: 60_000 });
  };
  const pairs = Array.from({ length: PAIRS }, (_, i) => [`hv${i}a`, `hv${i}b`] as const);

  it(`${PAIRS} veth pairs created and deleted while the watcher is blocked: it resyncs, never crashes, and ARP is answered`, async () => {
    lan = await Lan.create({ nodes: 1 });
    const node = lan.nodes[0]!;
    host = lan.spawn(node, [process.execPath, '--import', 'tsx', HOST, VIP, String(SMALL_BUFFER)], { logName: 'link-churn' });
    await waitFor('the host to start', () => lines().some((e) => e.event === 'ready'), { timeoutMs: 20_000, intervalMs: 100, abortIf: alive });
    expect((await lan.arping(VIP, { count: 1 })).replies).toEqual([node.mac]);

    for (const [phase, commands, expected] of [
      ['create', pairs.flatMap(([a, b]) => [`link add ${a} type veth peer name ${b}`, `link set ${a} up`, `link set ${b} up`]), 2 + 2 * PAIRS],
      ['delete', pairs.map(([a]) => `link del ${a}`), 2],
    ] as const) {
      const overflowsBefore = lines().filter((e) => e.msg?.includes('overflow') || e.code === 'ENOBUFS').length;
      host.kill('SIGUSR2');
      await batch(node, [...commands]);
      await waitFor(`${phase}: the host to unblock`, () => lines().filter((e) => e.event === 'unblocked').length > (phase === 'create' ? 0 : 1), { timeoutMs: 10_000, intervalMs: 50, abortIf: alive });
      // Positive markers: the kernel dropped events (ENOBUFS reported) and the watcher's picture is the kernel's again.
      await waitFor(`${phase}: the watcher to report ${expected} links`, () => lastLinks()?.length === expected, { timeoutMs: 15_000, intervalMs: 100, abortIf: alive });
      expect(lines().filter((e) => e.msg?.includes('overflow') || e.code === 'ENOBUFS').length, `${phase}: no ENOBUFS seen; the buffer was not small enough to prove anything`).toBeGreaterThan(overflowsBefore);
      const kernel = (JSON.parse(await lan.exec(node.netns, ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname).sort();
      expect([...lastLinks()!].sort()).toEqual(kernel);
      expect(alive()).toBeUndefined();
      expect((await lan.arping(VIP, { count: 1 })).replies).toEqual([node.mac]);
    }
  }, 60_000);
});
