// The floor under an idle speaker's membership thread (issue 11, goal 7): what version 2's idle datagram
// pattern costs with nothing else around it — three nodes on loopback, each sending one 200-byte datagram
// to the two others every 100 ms (20 sent and 20 received a second, as herald's three-node ring) — in
// Node.js on a worker thread (as herald's membership thread), on Node's main thread, and in C (poll and a
// timerfd). Per variant and round: CPU % of one core of the thread doing the work, its wake-ups a second
// (voluntary context switches: each time it went back to sleep) and CPU per wake-up. herald's own figure
// for the same pattern is bench/speaker/idleProfile.ts's membership thread. Not run by CI; needs gcc.
// Run: node --import tsx bench/membership/wakeupFloor.ts [--seconds 30] [--settle 10] [--rounds 2]
//      [--variants worker,main,c] [--name membership-wakeup-floor]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { threadSplit, threadStats } from '../speaker/idleWindow.js';
import { progress, writeReport } from '../controller/report.js';
import { loadAverage, machine } from '../speaker/report.js';
import { round } from '../speaker/stats.js';

const log = progress('wakeupFloor');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    settle: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'worker,main,c' },
    name: { type: 'string', default: 'membership-wakeup-floor' },
  },
});
const seconds = Number(args.seconds);
const fixtures = join(import.meta.dirname, 'fixtures');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'hrl-wakeup-floor-'));
const cBinary = join(dir, 'wakeupFloor');
execFileSync('gcc', ['-O2', '-Wall', '-o', cBinary, join(fixtures, 'wakeupFloor.c')]);

type Variant = 'worker' | 'main' | 'c';
/** The thread that does the work, by the name threadSplit gives it. */
const workThread: Record<Variant, string> = { worker: 'floor', main: 'main', c: 'main' };

function startNodes(variant: Variant, base: number): ChildProcess[] {
  const ports = [base, base + 1, base + 2];
  return ports.map((port, i) => {
    const peers = ports.filter((_, j) => j !== i).map(String);
    const argv = variant === 'c' ? [cBinary, String(port), ...peers] : [process.execPath, join(fixtures, 'wakeupFloorNode.mjs'), String(port), ...peers, variant];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGTERM') {
        log(`${variant} node on port ${port} exited (${code ?? signal}): figures void`);
        process.exitCode = 1;
      }
    });
    return child;
  });
}

const results: Record<string, unknown[]> = {};
try {
  const variants = args.variants.split(',') as Variant[];
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const variant of variants) {
      const base = 41_000 + 10 * r + 3 * variants.indexOf(variant);
      const nodes = startNodes(variant, base);
      await sleep(Number(args.settle) * 1000);
      const pid = nodes[0]!.pid!;
      const load = loadAverage();
      const before = threadStats(pid);
      await sleep(seconds * 1000);
      const split = threadSplit(before, threadStats(pid), seconds);
      for (const n of nodes) n.kill('SIGTERM');
      const work = split[workThread[variant]];
      if (!work) throw new Error(`${variant}: no thread named ${workThread[variant]} in ${Object.keys(split).join(', ')}`);
      const processCpu = Object.values(split).reduce((a, t) => a + t.cpuPercentOfOneCore, 0);
      const figure = {
        round: r + 1,
        load1m: load[0],
        thread: { cpuPercentOfOneCore: work.cpuPercentOfOneCore, wakeupsPerS: work.sleepsPerS, msPerWakeup: work.sleepsPerS > 0 ? round((work.cpuPercentOfOneCore * 10) / work.sleepsPerS, 3) : null },
        processCpuPercentOfOneCore: round(processCpu, 2),
        threads: split,
      };
      log(`${variant} round ${r + 1}: ${JSON.stringify(figure.thread)}, process ${figure.processCpuPercentOfOneCore} %, load ${load[0]}`);
      (results[variant] ??= []).push(figure);
      await sleep(500);
    }
  }
  writeReport(args.name, {
    what: 'three nodes on loopback, each sending one 200-byte datagram to the two others every 100 ms (20 sent + 20 received a second), nothing else; the first node measured from /proc/<pid>/task/*/{schedstat,status}',
    variants: { worker: 'Node.js, a worker thread (as herald\'s membership thread), HMAC-SHA256 on send and verify', main: 'Node.js, the main thread, same work', c: 'C, poll + timerfd, no HMAC (about 1 µs a datagram in C)' },
    node: process.version,
    seconds,
    machine: { ...machine(), loadAvgAtEnd: loadAverage() },
    results,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
