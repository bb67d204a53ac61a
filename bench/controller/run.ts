// Runs the controller benchmarks one after another, each in its own process (so memory figures are its
// own): allocator and planning (pure), endToEnd and restart (each on a private control plane; needs root).
// Prints one JSON object with every result and writes it to bench/results/controller.json.
// Run: npm run bench:controller   (or: node --import tsx bench/controller/run.ts [allocator] [planning] [endToEnd] [restart] [scale])
// scale (10,000 Services; seeding alone takes minutes) runs only when named.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { progress, writeReport } from './report.js';
import { round } from './stats.js';

const DEFAULT = ['allocator', 'planning', 'endToEnd', 'restart'] as const;
const ALL = [...DEFAULT, 'scale'] as const;
type Name = (typeof ALL)[number];
const log = progress('controller');
const here = import.meta.dirname;

const chosen = process.argv.slice(2);
const unknown = chosen.filter((n) => !(ALL as readonly string[]).includes(n));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${ALL.join(', ')}\n`);
  process.exit(2);
}
const names: Name[] = chosen.length ? (chosen as Name[]) : [...DEFAULT];
if (names.some((n) => n !== 'allocator' && n !== 'planning') && process.getuid?.() !== 0) {
  process.stderr.write('the cluster benchmarks start a control plane and must run as root\n');
  process.exit(2);
}

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // The child cleans up its control plane and controller on the signal, then exits; we follow.
    if (current) current.kill(signal);
    else process.exit(130);
  });
}

/** Runs one benchmark script; resolves with the JSON it printed on stdout. */
function runOne(name: Name): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(here, `${name}.ts`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      current = undefined;
      if (code !== 0) return reject(new Error(`${name} failed (${code ?? signal})`));
      try {
        resolvePromise(JSON.parse(out));
      } catch {
        reject(new Error(`${name} printed no JSON object on stdout`));
      }
    });
  });
}

const started = Date.now();
const results: Record<string, unknown> = {};
const failures: string[] = [];
for (const name of names) {
  log(`running ${name}`);
  const t = Date.now();
  try {
    results[name] = await runOne(name);
    log(`${name} done in ${round((Date.now() - t) / 1000)} s`);
  } catch (e) {
    failures.push((e as Error).message);
    results[name] = { error: (e as Error).message };
    log((e as Error).message);
  }
}
writeReport('controller', { ...results, wallSeconds: round((Date.now() - started) / 1000) });
if (failures.length) process.exit(1);
