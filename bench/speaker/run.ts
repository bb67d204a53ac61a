// Runs the speaker benchmarks one after another, each in its own process (its own control plane or LAN,
// so one's leftovers never touch another's figures): failover, graceful, createToGarp, replyLatency, rss, statusStorm (a 10-minute soak),
// electionLoop (in-process election cost at 10,000 addresses), and scale (40 speakers, 200 addresses: ~4–6 GiB RAM,
// ~10 minutes; only when named), and wholeSpeaker (one speaker owning 10,000 addresses; only when named).
// Each prints one JSON object and writes bench/results/<name>.json; this runner prints them together and
// writes bench/results/speaker.json. Needs root and a build (npm_config_nodedir=/usr npm run build).
// Run: npm run bench:speaker   (or: node --import tsx bench/speaker/run.ts [failover] [graceful] …)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { loadAverage, progress, writeReport } from './report.js';
import { round } from './stats.js';

const ALL = ['failover', 'graceful', 'createToGarp', 'replyLatency', 'rss', 'statusStorm', 'electionLoop', 'scale', 'wholeSpeaker'] as const;
/** Run when no benchmark is named: everything but the 40-speaker world and the 10,000-address speaker, which need most of a small machine. */
const DEFAULT: readonly Name[] = ALL.filter((n) => n !== 'scale' && n !== 'wholeSpeaker');
type Name = (typeof ALL)[number];
const log = progress('run');
const here = import.meta.dirname;

const chosen = process.argv.slice(2);
const unknown = chosen.filter((n) => !(ALL as readonly string[]).includes(n));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${ALL.join(', ')}\n`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  process.stderr.write('the speaker benchmarks create network namespaces and must run as root\n');
  process.exit(2);
}
const names: Name[] = chosen.length ? (chosen as Name[]) : [...DEFAULT];

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // The child tears down its world on the signal, then exits; we follow.
    if (current) current.kill(signal);
    else process.exit(130);
  });
}

/** Runs one benchmark script; resolves with the JSON it printed (also when it failed but still reported). */
function runOne(name: Name): Promise<{ code: number | null; figures: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(here, `${name}.ts`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      current = undefined;
      try {
        resolvePromise({ code, figures: JSON.parse(out) });
      } catch {
        reject(new Error(`${name} exited (${code ?? signal}) and printed no JSON object on stdout`));
      }
    });
  });
}

const started = Date.now();
const loadAvgAtStart = loadAverage();
const results: Record<string, unknown> = {};
let failed = false;
for (const name of names) {
  log(`running ${name}`);
  const t = Date.now();
  try {
    const { code, figures } = await runOne(name);
    results[name] = figures;
    if (code !== 0) failed = true;
    log(`${name} ${code === 0 ? 'done' : `failed (${code})`} in ${round((Date.now() - t) / 1000)} s`);
  } catch (e) {
    failed = true;
    results[name] = { error: (e as Error).message };
    log((e as Error).message);
  }
}
writeReport('speaker', { ...results, loadAvgAtStart, loadAvgAtEnd: loadAverage(), wallSeconds: round((Date.now() - started) / 1000) });
if (failed) process.exit(1);
