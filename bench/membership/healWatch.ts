// How a partition heal converges: runs the partition scenario on virtual time and prints, every 500 ms
// after the heal, how many members still hold running members dead, split by side (cut / rest), and for
// the last stragglers who holds whom dead, at which version, against the version the node runs; and, for
// every node whose Dead notice still passes between members after the heal (mostly deaths leaking over
// it: a far-side Dead notice reaching members that held the node alive at that version), how long after
// the first such delivery the node was first told of its death and first sent its refutation.
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
/** After the heal: first delivery of a node's Dead notice to another member, of a tell to it, of its refutation. */
const leakAt = new Map<string, number>();
const toldAt = new Map<string, number>();
const refutedAt = new Map<string, number>();
const t0 = performance.now();
const r = runSwimSimulation({
  nodes: n,
  durationMs: Number(args.seconds) * 1000,
  loss: 0.01,
  seed: Number(args.seed),
  partition: { fraction: Number(args.fraction), atMs: 3000, durationMs: 3000 },
  onSend: ({ atMs, from, to, message, delivered }) => {
    if (atMs < healAt - 1000) return;
    if (atMs >= healAt && delivered && 'notices' in message) {
      for (const x of message.notices) {
        if (x.kind === 'Dead' && x.node !== to && !leakAt.has(x.node)) leakAt.set(x.node, atMs);
        if (x.kind === 'Dead' && x.node === to && !toldAt.has(to)) toldAt.set(to, atMs);
        if (x.kind === 'State' && x.state.node === from && x.state.version > 1 && !refutedAt.has(from)) refutedAt.set(from, atMs);
      }
    }
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
    const all: string[] = [];
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
        if (all.length < 200) all.push(`${name(i)}${hc ? '(cut)' : ''}>${x}${xc ? '(cut)' : ''}@v${m.versionOf(x)}/v${members[idx(x)]!.self.version}`);
        if (m.deadCount <= 3 && stragglers.length < 8) stragglers.push(`${name(i)}${hc ? '(cut)' : ''} holds ${x}${xc ? '(cut)' : ''}@v${m.versionOf(x)} dead, it runs v${members[idx(x)]!.self.version}`);
      }
    });
    const most = [...heldBy.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const total = Object.values(pairs).reduce((a, b) => a + b, 0);
    console.log(JSON.stringify({ sinceHealMs: Math.round(atMs - healAt), holders, pairs, deadNodesHeld: heldBy.size, mostHeld: most, stragglers, ...(total <= 200 ? { allPairs: all } : {}) }));
  },
});
/** p50 / p90 / max of (event − leak) over the nodes whose death leaked and that had the event after it. */
const lagAfterLeak = (at: ReadonlyMap<string, number>) => {
  const lags = [...leakAt].flatMap(([x, leak]) => (at.get(x) ?? -1) >= leak ? [at.get(x)! - leak] : []).sort((a, b) => a - b);
  const q = (p: number) => (lags.length ? Math.round(lags[Math.floor(p * (lags.length - 1))]!) : null);
  return { nodes: lags.length, p50: q(0.5), p90: q(0.9), max: q(1) };
};
console.log(JSON.stringify({ leakedDeaths: leakAt.size, toldAfterLeakMs: lagAfterLeak(toldAt), refutedAfterLeakMs: lagAfterLeak(refutedAt) }));
console.log(JSON.stringify({ nodes: n, wallSeconds: Math.round((performance.now() - t0) / 100) / 10, partitionHealMs: r.partitionHealMs ?? null, falseDeaths: r.falseDeaths, cutDeaths: r.cutDeaths, peakSent: r.peakSentPerNodePerSec, peakReceived: r.peakReceivedPerNodePerSec, sent: r.sentPerNodePerSec, received: r.receivedPerNodePerSec, byTypePerSecond: byType }));
