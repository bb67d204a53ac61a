import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../cluster/freePort.js';
import { HarnessState, runId } from '../harnessState.js';
import { harnessTempDir, removeHarnessTempDir } from '../harnessTempDir.js';
import { HERALD_NODE_FLAGS, spawnLogged, waitFor, type Spawned } from '../processes.js';

const root = resolve(import.meta.dirname, '../..');
/** The bundle the image runs (packages/kube/tools/bundleBinaries.mjs). */
export const CONTROLLER_MAIN = join(root, 'packages/controller/dist/bundle/herald-controller.mjs');
const CLOCK_OFFSET = join(import.meta.dirname, 'clockOffset.mjs');

export interface ControllerProcess {
  readonly proc: Spawned;
  readonly metricsPort: number;
  readonly healthPort: number;
  readonly identity: string;
  metrics(): Promise<string>;
  probe(path: '/healthz' | '/readyz'): Promise<number>;
  logLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Runs the built herald-controller as a real process (compile first: npm run build). */
export async function startController(o: {
  kubeconfig: string;
  namespace: string;
  lbClass?: string;
  identity?: string;
  extraArgs?: string[];
  waitReady?: boolean;
  /** Wall clock of the process shifted by this much (see clockOffset.mjs); its monotonic clock is untouched. */
  clockOffsetMs?: number;
  /** Another build's main.js (benchmarks compare builds); default this tree's. */
  main?: string;
}): Promise<ControllerProcess> {
  // HERALD_CONTROLLER_MAIN runs the tests against another build (to tell a regression from a slow machine).
  const main = o.main ?? process.env.HERALD_CONTROLLER_MAIN ?? CONTROLLER_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  // Listed in the state (the reaper removes it if this process dies) and removed by stop().
  const state = new HarnessState(`hrl-ctl-${runId()}`);
  const dir = harnessTempDir('ctl', { state });
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, o.kubeconfig, { mode: 0o600 });
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const identity = o.identity ?? `controller-${runId()}`;
  const skew = o.clockOffsetMs ? ['--import', CLOCK_OFFSET] : [];
  const env = o.clockOffsetMs ? { ...process.env, HERALD_TEST_CLOCK_OFFSET_MS: String(o.clockOffsetMs) } : process.env;
  const proc = spawnLogged(
    process.execPath,
    [
      ...HERALD_NODE_FLAGS,
      ...skew,
      main,
      '--kubeconfig', kubeconfigPath,
      '--namespace', o.namespace,
      '--metrics-address', `127.0.0.1:${metricsPort}`,
      '--health-address', `127.0.0.1:${healthPort}`,
      '--identity', identity,
      '--log-level', 'debug',
      ...(o.lbClass ? ['--lb-class', o.lbClass] : []),
      ...(o.extraArgs ?? []),
    ],
    { logFile: join(dir, 'controller.log'), state, env },
  );
  const probe = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${healthPort}${path}`, { signal: AbortSignal.timeout(2_000) });
    return r.status;
  };
  // Tests read the log after stop(): it is kept in memory when the dir goes.
  let finalLog: string | undefined;
  const logText = () => finalLog ?? readFileSync(proc.logFile, 'utf8');
  const stop = async () => {
    await proc.stop(10_000);
    if (finalLog !== undefined) return;
    try { finalLog = readFileSync(proc.logFile, 'utf8'); } catch { finalLog = ''; }
    removeHarnessTempDir(dir, state);
    state.release();
  };
  const c: ControllerProcess = {
    proc,
    metricsPort,
    healthPort,
    identity,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) })).text(),
    probe,
    logLines: () =>
      logText()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop,
  };
  if (o.waitReady !== false) {
    let exited: string | undefined;
    void proc.exited.then((code) => (exited = `controller exited (${code}): ${logText().slice(-2000)}`));
    try {
      await waitFor('the controller to be ready', async () => (await probe('/readyz')) === 200, { timeoutMs: 30_000, intervalMs: 100, abortIf: () => exited });
    } catch (e) {
      // Nobody gets a handle to stop it: stop it here, and leave no dir behind.
      await stop();
      throw e;
    }
  }
  return c;
}

/** The value of one sample in Prometheus text format, e.g. metric(text, 'herald_pool_addresses_in_use', {pool: 'web', family: 'IPv4'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
