// How late a sleeping thread wakes on this host, by the scheduling the membership thread can ask for
// (core threadSchedulingSteps, herald_net setThreadScheduling): as started, nice -10, SCHED_RR priority 1.
// A worker thread sleeps 2 ms at a time (setTimeout, like the membership thread's timers and socket
// wake-ups) and records how much later than due it ran, for WAKEUP_SECONDS per case; with WAKEUP_BURNERS
// busy threads in the same process (what the speaker's own main thread is during an election: it keeps
// the process's CPU group runnable) and without. Nothing here is herald's code path beyond the native call:
// it shows which knob moves the run-queue wait at all before a whole speaker is measured.
// Run (root): flock /tmp/hrl-bench.lock node --import tsx bench/speaker/threadWakeup.ts
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { loadAverage, machine, progress, writeReport } from './report.js';
import { summarize } from './stats.js';

const log = progress('threadWakeup');
const SECONDS = Number(process.env.WAKEUP_SECONDS ?? 8);
const BURNERS = Number(process.env.WAKEUP_BURNERS ?? 2);
const ADDON = fileURLToPath(new URL('../../packages/speaker/native/build/Release/herald_net.node', import.meta.url));
const CASES = [
  { name: 'asStarted', policy: undefined },
  { name: 'nice-10', policy: ['other', -10] },
  { name: 'rr1', policy: ['rr', 1] },
] as const;

/** Lateness (ms) of every 2 ms timer over SECONDS, in a worker at `policy`, beside `burners` busy threads. */
async function measure(policy: readonly [string, number] | undefined, burners: number): Promise<number[]> {
  const burning = Array.from({ length: burners }, () => new Worker('for (;;) {}', { eval: true, name: 'burner' }));
  const probe = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const policy = ${JSON.stringify(policy ?? null)};
    if (policy) require(${JSON.stringify(ADDON)}).setThreadScheduling(0, policy[0], policy[1]);
    const late = [];
    const end = Date.now() + ${SECONDS * 1000};
    let due;
    const tick = () => {
      late.push(performance.now() - due);
      if (Date.now() >= end) return parentPort.postMessage(late);
      due = performance.now() + 2;
      setTimeout(tick, 2);
    };
    setTimeout(() => { due = performance.now() + 2; setTimeout(tick, 2); }, 300);
  `, { eval: true, name: 'probe' });
  try {
    return await new Promise<number[]>((resolve, reject) => {
      probe.once('message', resolve);
      probe.once('error', reject);
    });
  } finally {
    await probe.terminate();
    for (const b of burning) await b.terminate();
  }
}

const env = machine();
const results: Record<string, unknown> = {};
for (const burners of [0, BURNERS]) {
  for (const c of CASES) {
    const load1 = loadAverage()[0];
    const late = await measure(c.policy, burners);
    results[`${c.name}, ${burners} burners`] = { load1: [load1, loadAverage()[0]], latenessMs: summarize(late, 3) };
    log(`${c.name}, ${burners} burners: ${JSON.stringify(results[`${c.name}, ${burners} burners`])}`);
  }
}
writeReport('threadWakeup', {
  benchmark: 'wake-up lateness of a thread sleeping 2 ms at a time, by scheduling, with and without busy threads in the same process',
  seconds: SECONDS,
  results,
  machine: { ...env, loadAvgAtEnd: loadAverage() },
});
