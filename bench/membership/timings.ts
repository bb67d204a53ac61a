// Failure-detection timings, simulated: the same SwimMember and discrete-event simulation as simulate.ts,
// run for several (suspectAfter, probeTimeout) pairs at each N, loss and stall length, to find the fastest
// detection that still declares no running member dead. Stalls are frequent on purpose (every member stalls
// at Poisson times with a 5 s mean gap by default, far more than a real cluster), so that a timing that
// loses a race against a stall shows up within seconds of simulated time.
// Run: node --import tsx bench/membership/timings.ts [--nodes 50,500] [--seconds 60,20] [--loss 0,0.01,0.05]
//      [--stalls 300,400] [--timings 350/200,300/200,275/225/75 (suspectAfter/probeTimeout[/interval] ms)]
//      [--stallGapSeconds 5] [--seed 11] [--wakeOrder drainFirst|judgeFirst] [--wire off|on] [--name membership-timings]
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { decodeSwimMessage, encodeSwimMessage, joinHeartbeatFrame, runSwimSimulation, splitHeartbeatFrame, type SwimMessage } from '@herald/core';
import { percentile, round } from '../controller/stats.js';
import { progress, writeReport } from '../controller/report.js';

const log = progress('membership-timings');
const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '50,500' },
    seconds: { type: 'string', default: '60,20' },
    loss: { type: 'string', default: '0,0.01,0.05' },
    stalls: { type: 'string', default: '300,400' },
    timings: { type: 'string', default: '350/200,325/200,300/225,300/200' },
    stallGapSeconds: { type: 'string', default: '5' },
    wire: { type: 'string', default: 'off' },
    seed: { type: 'string', default: '11' },
    wakeOrder: { type: 'string', default: 'drainFirst' },
    name: { type: 'string', default: 'membership-timings' },
  },
});
const list = (s: string) => s.split(',').map(Number);
const nodes = list(args.nodes);
const seconds = list(args.seconds);
/** suspectAfter/probeTimeout[/interval], ms. */
const timings = args.timings.split(',').map((t) => {
  const [suspectAfterMs, probeTimeoutMs, intervalMs] = t.split('/').map(Number);
  return { suspectAfterMs: suspectAfterMs!, probeTimeoutMs: probeTimeoutMs!, ...(intervalMs === undefined ? {} : { intervalMs }) };
});
const stallGapMs = Number(args.stallGapSeconds) * 1000;

const key = new Uint8Array(32).fill(7);
function wire(m: SwimMessage): SwimMessage | undefined {
  const payload = encodeSwimMessage(m);
  const frame = splitHeartbeatFrame(joinHeartbeatFrame(payload, createHmac('sha256', key).update(payload).digest()));
  if (!frame.ok) throw new Error(`frame: ${frame.error.message}`);
  if (!timingSafeEqual(createHmac('sha256', key).update(frame.value.payload).digest(), frame.value.mac)) throw new Error('HMAC mismatch');
  const decoded = decodeSwimMessage(frame.value.payload);
  if (!decoded.ok) throw new Error(`decode ${m.type}: ${decoded.error.message}`);
  return decoded.value;
}
const ms = (values: readonly number[], p: number) => (values.length ? round(percentile([...values].sort((a, b) => a - b), p)) : null);

const warmupMs = 2000;
const runs: object[] = [];
for (const [i, n] of nodes.entries()) {
  const durationMs = (seconds[i] ?? seconds[seconds.length - 1]!) * 1000;
  for (const stallMs of list(args.stalls)) {
    for (const loss of list(args.loss)) {
      for (const tuning of timings) {
        const t0 = performance.now();
        const r = runSwimSimulation({
          nodes: n,
          durationMs,
          loss,
          seed: Number(args.seed) + i,
          tuning,
          warmupMs,
          stalls: { meanGapMs: stallGapMs, durationMs: stallMs },
          wakeOrder: args.wakeOrder === 'judgeFirst' ? 'judgeFirst' : 'drainFirst',
          crashes: { everyMs: 1000, restartAfterMs: 3000 },
          ...(args.wire === 'on' ? { wire } : {}),
        });
        const nodeHours = (n * (durationMs - warmupMs)) / 3_600_000;
        const row = {
          nodes: n,
          loss,
          stallMs,
          suspectAfterMs: tuning.suspectAfterMs,
          probeTimeoutMs: tuning.probeTimeoutMs,
          intervalMs: tuning.intervalMs ?? 100,
          simulatedSeconds: durationMs / 1000,
          wallSeconds: round((performance.now() - t0) / 1000),
          crashes: r.crashes,
          stalls: r.stalls,
          detectionMs: { p50: ms(r.detectionMs, 50), p99: ms(r.detectionMs, 99), max: ms(r.detectionMs, 100), samples: r.detectionMs.length },
          learnMs: { p50: ms(r.learnMs, 50), p99: ms(r.learnMs, 99) },
          falseDeaths: r.falseDeaths,
          falseDeathsByStalled: r.falseDeathsByStalled,
          falseDeathsPerNodeHour: round(r.falseDeaths / nodeHours, 4),
          nodeHours: round(nodeHours, 3),
          sentPerNodePerSec: r.sentPerNodePerSec,
        };
        log(JSON.stringify(row));
        runs.push(row);
      }
    }
  }
}
writeReport(args.name, {
  what: 'SwimMember (packages/core) in the discrete-event simulation, per (suspectAfter, probeTimeout): a crash every second (restart 3 s later), every member stalling at Poisson times; figures after a 2 s warm-up',
  wire: args.wire === 'on' ? 'every datagram encoded, HMAC-SHA256 signed, verified and decoded' : 'messages passed as objects (codec and HMAC bypassed)',
  stalls: `each member stalls its event loop at Poisson times, mean gap ${stallGapMs / 1000} s; on waking it ${args.wakeOrder === 'judgeFirst' ? 'judges (tick) before reading what queued' : 'reads what queued, then judges'}`,
  runs,
});
