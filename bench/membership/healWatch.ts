// How a partition heal converges: runs the partition scenario on virtual time and prints, every 500 ms
// after the heal, how many members still hold running members dead, split by side (cut / rest), and for
// the last stragglers who holds whom dead, at which version, against the version the node runs.
// Run: node --import tsx bench/membership/healWatch.ts [--nodes 2000] [--fraction 0.1] [--seconds 10] [--seed 11]
import { parseArgs } from 'node:util';
import { runSwimSimulation } from '../../packages/core/src/membership/swimSimulation.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2000' },
    fraction: { type: 'string', default: '0.1' },
    seconds: { type: 'string', default: '10' },
    seed: { type: 'string', default: '11' },
    every: { type: 'string', default: '500' },
  },
});
const n = Number(args.nodes);
const healAt = 6000;
let nextReport = healAt;
const byType: Record<string, Record<string, number>> = {};
const t0 = performance.now();
const r = runSwimSimulation({
  nodes: n,
  durationMs: Number(args.seconds) * 1000,
  loss: 0.01,
  seed: Number(args.seed),
  partition: { fraction: Number(args.fraction), atMs: 3000, durationMs: 3000 },
  onSend: ({ atMs, message }) => {
    if (atMs < healAt - 1000) return;
    const sec = String(Math.floor(atMs / 1000));
    const b = (byType[sec] ??= {});
    b[message.type] = (b[message.type] ?? 0) + 1;
  },
  onHealCheck: ({ atMs, members, cut }) => {
    if (atMs < nextReport) return;
    nextReport += Number(args.every);
    const name = (i: number) => `node-${i}`;
    const idx = (s: string) => Number(s.slice(5));
    const holders = { cut: 0, rest: 0 };
    const pairs = { cutHoldsRest: 0, cutHoldsCut: 0, restHoldsCut: 0, restHoldsRest: 0 };
    const heldBy = new Map<string, number>();
    const stragglers: string[] = [];
    members.forEach((m, i) => {
      if (!m || m.deadCount === 0) return;
      const hc = cut.has(i);
      if (hc) holders.cut++; else holders.rest++;
      for (const x of m.knownNodes()) {
        if (m.status(x) !== 'dead' || !members[idx(x)]) continue;
        const xc = cut.has(idx(x));
        const k = (hc ? 'cut' : 'rest') + 'Holds' + (xc ? 'Cut' : 'Rest');
        const counts = pairs as Record<string, number>;
        counts[k] = (counts[k] ?? 0) + 1;
        heldBy.set(x, (heldBy.get(x) ?? 0) + 1);
        if (m.deadCount <= 3 && stragglers.length < 8) stragglers.push(`${name(i)}${hc ? '(cut)' : ''} holds ${x}${xc ? '(cut)' : ''}@v${m.versionOf(x)} dead, it runs v${members[idx(x)]!.self.version}`);
      }
    });
    const most = [...heldBy.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log(JSON.stringify({ sinceHealMs: Math.round(atMs - healAt), holders, pairs, deadNodesHeld: heldBy.size, mostHeld: most, stragglers }));
  },
});
console.log(JSON.stringify({ nodes: n, wallSeconds: Math.round((performance.now() - t0) / 100) / 10, partitionHealMs: r.partitionHealMs ?? null, falseDeaths: r.falseDeaths, cutDeaths: r.cutDeaths, peakSent: r.peakSentPerNodePerSec, peakReceived: r.peakReceivedPerNodePerSec, sent: r.sentPerNodePerSec, received: r.receivedPerNodePerSec, byTypePerSecond: byType }));
