import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';

export const RESULTS_DIR = resolve(import.meta.dirname, '../results');

/** Progress for people: stderr, so stdout carries exactly one JSON object. */
export const progress = (scope: string) => (message: string): void => {
  process.stderr.write(`[bench:speaker:${scope}] ${message}\n`);
};

/** Prints the figures as one JSON object on stdout and writes them to bench/results/<name>.json. */
export function writeReport(name: string, figures: object): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const text = JSON.stringify(figures, null, 2);
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${text}\n`);
  process.stdout.write(`${text}\n`);
}

/** 1, 5 and 15 minute load averages: the machine is shared, so every figure says how busy it was. */
export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** What the figures were measured on, and how loaded it was at the start; `finish` adds the end. */
export function machine(): { cpus: number; loadAvgAtStart: number[] } {
  return { cpus: cpus().length, loadAvgAtStart: loadAverage() };
}
