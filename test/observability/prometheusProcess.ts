// A real Prometheus (Debian's binary) for one test: loopback only, its own config and TSDB directory, killed
// (and the directory removed) by stop() or, if the test process dies, by the harness reaper.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../cluster/freePort.js';
import { HarnessState, runId } from '../harnessState.js';
import { spawnLogged, waitFor, type Spawned } from '../processes.js';
import type { RuleGroup } from './shippedQueries.js';

export const PROMETHEUS = '/usr/bin/prometheus';

export interface ScrapeTarget {
  job: string;
  address: string;
  /** Target labels, as the Prometheus Operator's monitors would attach them (namespace, pod, node, ...). */
  labels: Record<string, string>;
}

interface ApiAnswer<T> { status: string; data: T; error?: string }

export interface PrometheusProcess {
  readonly url: string;
  readonly proc: Spawned;
  api<T>(path: string, params?: Record<string, string | string[]>): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(o: { targets: ScrapeTarget[]; ruleGroups: RuleGroup[]; scrapeInterval?: string }): Promise<PrometheusProcess> {
  const dir = mkdtempSync('/tmp/hrl-prom-');
  const state = new HarnessState(`hrl-prom-${runId()}`);
  state.add('dirs', dir);
  // 2 s, not 1 s: a scrape timing out on a busy test machine would make up == 0 (HeraldSpeakerDown).
  const interval = o.scrapeInterval ?? '2s';
  const jobs = [...new Set(o.targets.map((t) => t.job))];
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: o.ruleGroups }));
  writeFileSync(join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: '1s' },
    rule_files: [join(dir, 'rules.yaml')],
    scrape_configs: jobs.map((job) => ({
      job_name: job,
      static_configs: o.targets.filter((t) => t.job === job).map((t) => ({ targets: [t.address], labels: t.labels })),
    })),
  }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnLogged(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ], { logFile: join(dir, 'prometheus.log'), state, cwd: dir });
  const stop = async () => {
    await proc.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
    state.release();
  };
  const api = async <T>(path: string, params: Record<string, string | string[]> = {}): Promise<T> => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) q.append(k, x);
    const r = await fetch(`${url}${path}?${q}`, { signal: AbortSignal.timeout(5_000) });
    const body = await r.json() as ApiAnswer<T>;
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${q}: ${body.error ?? r.status}`);
    return body.data;
  };
  let exited: string | undefined;
  void proc.exited.then((code) => (exited = `prometheus exited (${code}), see ${proc.logFile}`));
  try {
    await waitFor('prometheus to be ready', async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok, { timeoutMs: 20_000, intervalMs: 100, abortIf: () => exited });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, proc, api, stop };
}
