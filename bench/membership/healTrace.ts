// Follows a few nodes through a partition heal (the stragglers healWatch.ts names): runs the partition
// scenario on virtual time and writes, as JSON lines, every datagram that carries news of a watched node
// (its State or Dead notice, a SyncRequest naming it, a tell to it) from the partition on, and every
// 500 ms after the heal how many members hold it alive or dead at each version. The run is the same as
// healWatch's for the same options (the hooks draw no random numbers).
// Run: node --import tsx bench/membership/healTrace.ts --watch node-2698,node-3360 [--nodes 5000] [--seed 11] > trace.jsonl
import { parseArgs } from 'node:util';
import { runSwimSimulation } from '../../packages/core/src/membership/swimSimulation.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    fraction: { type: 'string', default: '0.1' },
    seconds: { type: 'string', default: '10' },
    seed: { type: 'string', default: '11' },
    watch: { type: 'string', default: '' },
  },
});
const watched = new Set(args.watch.split(',').filter((x) => x !== ''));
const healAt = 6000;
let nextReport = healAt;
const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const r = runSwimSimulation({
  nodes: Number(args.nodes),
  durationMs: Number(args.seconds) * 1000,
  loss: 0.01,
  seed: Number(args.seed),
  partition: { fraction: Number(args.fraction), atMs: 3000, durationMs: 3000 },
  onSend: ({ atMs, from, to, message, delivered }) => {
    if (atMs < 3000) return;
    const t = Math.round(atMs * 10) / 10;
    if (message.type === 'SyncRequest') {
      for (const x of message.nodes) if (watched.has(x)) line({ t, ev: 'pull', from, to, x, delivered, named: message.nodes.length });
      return;
    }
    if (!('notices' in message)) return;
    for (const n of message.notices) {
      const x = n.kind === 'Dead' ? n.node : n.state.node;
      if (!watched.has(x)) continue;
      line({ t, ev: message.type, from, to, x, kind: n.kind, v: n.kind === 'Dead' ? n.version : n.state.version, ...(n.kind === 'Dead' ? { by: n.by } : {}), delivered, notices: message.notices.length });
    }
  },
  onHealCheck: ({ atMs, members, cut }) => {
    if (atMs < nextReport) return;
    nextReport += 500;
    for (const x of watched) {
      const counts: Record<string, number> = {};
      const holders: string[] = [];
      members.forEach((m, i) => {
        if (!m || m.self.node === x) return;
        const st = m.status(x) ?? 'unknown';
        const k = `${st}@v${m.versionOf(x)}`;
        counts[k] = (counts[k] ?? 0) + 1;
        if (st === 'dead') holders.push(`${m.self.node}${cut.has(i) ? '(cut)' : ''}`);
      });
      const xi = Number(x.slice(5));
      line({ t: Math.round(atMs), ev: 'views', x, runs: members[xi]?.self.version, cut: cut.has(xi), counts, holders: holders.slice(0, 40) });
    }
  },
});
line({ ev: 'end', partitionHealMs: r.partitionHealMs ?? null });
