import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, type Spawned } from '../processes.js';
import type { LanNode } from '../lan/lan.js';
import type { SpeakerWorld } from './speakerWorld.js';

const PROBE = new URL('./fixtures/neighbourProbe.mjs', import.meta.url).pathname;

/** One target's figures from fixtures/neighbourProbe.mjs (times in epoch ms). */
export interface TargetResult {
  target: string;
  sent: number;
  answered: number;
  lost: number;
  lostSentAtEpochMs: number[];
  dupProbes: number;
  dups: { sentAtEpochMs: number; macs: string[] }[];
  perMac: Record<string, { replies: number; firstEpochMs: number; lastEpochMs: number }>;
  worstGapMs: number;
  firstReplyEpochMs: number | null;
  changes: { atEpochMs: number; mac: string }[];
}

export interface RunningProbe {
  /** Ends the probe (SIGINT) and returns its figures per target. */
  finish(): Promise<TargetResult[]>;
}

/** ARP/NDP requests for every target every `intervalMs` from the client namespace, until finish(). */
export async function startNeighbourProbe(world: SpeakerWorld, targets: readonly string[], o: { intervalMs?: number; maxMs?: number } = {}): Promise<RunningProbe> {
  const proc: Spawned = world.lan.spawn(world.lan.client, [process.execPath, PROBE, 'eth0', world.lan.client.ipv4, String(o.intervalMs ?? 20), String(o.maxMs ?? 300_000), ...targets], { logName: `probe-${Date.now()}` });
  await waitFor('the probe to start', () => readFileSync(proc.logFile, 'utf8').includes('ready\n'), { timeoutMs: 15_000, intervalMs: 20 });
  return {
    async finish() {
      proc.kill('SIGINT');
      await proc.exited;
      const last = readFileSync(proc.logFile, 'utf8').trim().split('\n').pop()!;
      return (JSON.parse(last) as { targets: TargetResult[] }).targets;
    },
  };
}

/** Every pino line of a node's speaker(s) at or after `since` (restarts append to one file). */
export function speakerLogSince(world: SpeakerWorld, n: LanNode, since: number): { time: number; event?: string; [k: string]: unknown }[] {
  const out = [];
  let text = '';
  try {
    text = readFileSync(join(world.lan.logDir, `${n.name}-speaker.log`), 'utf8');
  } catch {
    return [];
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const l = JSON.parse(line) as { time: number; event?: string };
      if (l.time >= since) out.push(l);
    } catch {
      // a line being written
    }
  }
  return out;
}
