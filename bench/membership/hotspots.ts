// Where a partition heal's datagrams go: runs the partition scenario on virtual time and prints, as JSON,
// the busiest member-seconds (sent + received) broken down by message type and direction, with the peers
// that sent most to the member in that second.
// Run: node --import tsx bench/membership/hotspots.ts [--nodes 5000] [--fraction 0.1] [--seconds 10] [--top 10]
import { parseArgs } from 'node:util';
import { runSwimSimulation } from '../../packages/core/src/membership/swimSimulation.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    fraction: { type: 'string', default: '0.1' },
    seconds: { type: 'string', default: '10' },
    top: { type: 'string', default: '10' },
    seed: { type: 'string', default: '12' },
  },
});
const n = Number(args.nodes);
type Cell = { sent: Record<string, number>; received: Record<string, number>; total: number; sentTotal: number; receivedTotal: number; from: Map<string, number> };
const cells = new Map<string, Cell>();
const cell = (node: string, sec: number): Cell => {
  const k = `${node}@${sec}`;
  let c = cells.get(k);
  if (!c) cells.set(k, (c = { sent: {}, received: {}, total: 0, sentTotal: 0, receivedTotal: 0, from: new Map() }));
  return c;
};
const t0 = performance.now();
const r = runSwimSimulation({
  nodes: n,
  durationMs: Number(args.seconds) * 1000,
  loss: 0.01,
  seed: Number(args.seed),
  partition: { fraction: Number(args.fraction), atMs: 3000, durationMs: 3000 },
  onSend: ({ atMs, from, to, message, delivered }) => {
    const sec = Math.floor(atMs / 1000);
    // Gossip split by what it is: a "you are dead" tell, a member's own State (refutation or answer), a push.
    const one = message.type === 'Gossip' && message.notices.length === 1 ? message.notices[0]! : undefined;
    const type = message.type !== 'Gossip' ? message.type
      : one?.kind === 'Dead' && one.node === to ? 'Gossip/tell'
        : one?.kind === 'State' && one.state.node === from ? 'Gossip/ownState' : 'Gossip/push';
    const s = cell(from, sec);
    s.sent[type] = (s.sent[type] ?? 0) + 1;
    s.total++;
    s.sentTotal++;
    if (!delivered) return;
    const d = cell(to, sec);
    d.received[type] = (d.received[type] ?? 0) + 1;
    d.total++;
    d.receivedTotal++;
    d.from.set(from, (d.from.get(from) ?? 0) + 1);
  },
});
const topBy = (f: (c: Cell) => number) => [...cells.entries()].sort((a, b) => f(b[1]) - f(a[1])).slice(0, Number(args.top));
const show = ([k, c]: [string, Cell]) => ({ at: k, total: c.total, sentTotal: c.sentTotal, receivedTotal: c.receivedTotal, sent: c.sent, received: c.received, topSenders: [...c.from.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5) });
console.log(JSON.stringify({
  nodes: n,
  wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
  partitionHealMs: r.partitionHealMs ?? null,
  sent: r.sentPerNodePerSec,
  received: r.receivedPerNodePerSec,
  peak: r.peakPerNodePerSec,
  peakSent: r.peakSentPerNodePerSec,
  peakReceived: r.peakReceivedPerNodePerSec,
  byType: r.messagesByType,
  hottest: topBy((c) => c.total).map(show),
  busiestSenders: topBy((c) => c.sentTotal).slice(0, 3).map(show),
  busiestReceivers: topBy((c) => c.receivedTotal).slice(0, 3).map(show),
}, null, 1));
