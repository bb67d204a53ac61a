import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

export const RESULTS_DIR = resolve(import.meta.dirname, '../results');

const loadAtStart = loadavg();

/** Progress for people: stderr, so stdout carries exactly one JSON object. */
export const progress = (scope: string) => (message: string): void => {
  process.stderr.write(`[bench:${scope}] ${message}\n`);
};

/**
 * Prints the figures as one JSON object on stdout and writes them to bench/results/<name>.json. The host's
 * load average is added: on a shared 2-core machine it says how much the figures were disturbed.
 */
export function writeReport(name: string, figures: object): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const host = { cpus: availableParallelism(), loadAverage1m: { atStart: r2(loadAtStart[0] as number), atEnd: r2(loadavg()[0] as number) } };
  const text = JSON.stringify({ ...figures, host, finishedAt: new Date().toISOString() }, null, 2);
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${text}\n`);
  process.stdout.write(`${text}\n`);
}
