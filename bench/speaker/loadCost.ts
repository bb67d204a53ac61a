// What loading herald's code costs, before any work: each binary (the unbundled tsc output and the esbuild
// bundle the image runs, packages/kube/tools/bundleBinaries.mjs) is started with the image's V8 flags and
// arguments that stop it right after every module is loaded (the speaker: a heartbeat key file that does
// not exist; the controller: an unknown option). loadCostPreload.mjs counts the modules and reads VmRSS and
// the heap in use (after a full collection) at exit. Each variant RUNS times (default 5), interleaved so
// host load hits them alike; median and range reported. No root, no cluster.
// Run: node --import tsx bench/speaker/loadCost.ts   [RUNS=5] [FLAGS="--optimize-for-size"] (extra V8 flags)
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { HERALD_NODE_FLAGS } from '../../test/processes.js';
import { loadAverage, machine, writeReport } from './report.js';
import { mib, round, summarize } from './stats.js';

const root = resolve(import.meta.dirname, '../..');
const runs = Number(process.env.RUNS ?? 5);
const extraFlags = (process.env.FLAGS ?? '').split(' ').filter(Boolean);
const preload = join(import.meta.dirname, 'loadCostPreload.mjs');
const variants = [
  { name: 'speaker, unbundled (dist/main.js)', main: 'packages/speaker/dist/main.js', args: ['--node-name', 'bench', '--secret-key-file', '/nonexistent/herald-bench-key'] },
  { name: 'speaker, bundle (image)', main: 'packages/speaker/dist/bundle/herald-speaker.mjs', args: ['--node-name', 'bench', '--secret-key-file', '/nonexistent/herald-bench-key'] },
  { name: 'controller, unbundled (dist/main.js)', main: 'packages/controller/dist/main.js', args: ['--bench-unknown-option'] },
  { name: 'controller, bundle (image)', main: 'packages/controller/dist/bundle/herald-controller.mjs', args: ['--bench-unknown-option'] },
];

interface Sample { modules: number; rssKiB: number; heapUsedBytes: number }
const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
const env = machine();
for (let i = 0; i < runs; i++) {
  for (const v of variants) {
    const r = spawnSync(process.execPath, [...HERALD_NODE_FLAGS, ...extraFlags, '--expose-gc', '--import', preload, join(root, v.main), ...v.args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
    const line = r.stderr.split('\n').find((l) => l.startsWith('{"loadCost"'));
    if (!line) throw new Error(`${v.name}: no loadCost line (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    samples.get(v.name)!.push((JSON.parse(line) as { loadCost: Sample }).loadCost);
  }
}
writeReport('loadCost', {
  benchmark: 'resident memory and heap of each binary right after loading its modules, unbundled vs bundle',
  setup: { runs, nodeFlags: [...HERALD_NODE_FLAGS, ...extraFlags], node: process.version },
  ...Object.fromEntries(variants.map((v) => {
    const s = samples.get(v.name)!;
    return [v.name, {
      modules: s[0]!.modules,
      rssMiB: summarize(s.map((x) => mib(x.rssKiB))),
      heapUsedMiB: summarize(s.map((x) => round(x.heapUsedBytes / 2 ** 20, 1))),
    }];
  })),
  machine: { ...env, loadAvgAtEnd: loadAverage() },
});
