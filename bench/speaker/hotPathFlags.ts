// Does a V8 flag set slow the speaker's hot path? Runs hotPathFlagsChild.mjs (decideArp for an owned
// address among 1,000; a heartbeat's encode + HMAC + decode, from @herald/core's built code) under each
// flag set, RUNS times (default 5) interleaved so host load hits every set alike, and reports per set the
// median over the runs of each run's per-operation p50 and p99. CPU-bound and host-load sensitive: compare
// the sets with each other within one run of this bench, not with figures from another time.
// Run: node --import tsx bench/speaker/hotPathFlags.ts   [RUNS=5]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadAverage, machine, writeReport } from './report.js';
import { round } from './stats.js';

const runs = Number(process.env.RUNS ?? 5);
const child = join(import.meta.dirname, 'hotPathFlagsChild.mjs');
const sets: Record<string, string[]> = {
  'semi-space 8 MiB (image before)': ['--max-semi-space-size=8'],
  'semi-space 2 MiB': ['--max-semi-space-size=2'],
  'semi-space 8 MiB, optimize-for-size': ['--max-semi-space-size=8', '--optimize-for-size'],
  'semi-space 2 MiB, optimize-for-size': ['--max-semi-space-size=2', '--optimize-for-size'],
};
type Op = { p50Us: number; p99Us: number };
const results = new Map<string, Record<string, Op>[]>(Object.keys(sets).map((k) => [k, []]));
const env = machine();
for (let r = 0; r < runs; r++) {
  for (const [name, flags] of Object.entries(sets)) {
    const out = spawnSync(process.execPath, [...flags, child], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
    if (out.status !== 0) throw new Error(`${name}: exit ${out.status}: ${out.stderr}`);
    results.get(name)!.push(JSON.parse(out.stdout) as Record<string, Op>);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
writeReport('hotPathFlags', {
  benchmark: "speaker hot path per operation under V8 flag sets (decideArp among 1,000 owned; heartbeat encode + HMAC + decode)",
  setup: { runs, node: process.version, batchesPerRun: 200, opsPerBatch: 500 },
  ...Object.fromEntries(Object.entries(sets).map(([name, flags]) => {
    const rs = results.get(name)!;
    const ops = Object.keys(rs[0]!);
    return [name, { flags, ...Object.fromEntries(ops.map((op) => [op, { p50Us: round(median(rs.map((x) => x[op]!.p50Us)), 2), p99Us: round(median(rs.map((x) => x[op]!.p99Us)), 2) }])) }];
  })),
  machine: { ...env, loadAvgAtEnd: loadAverage() },
});
