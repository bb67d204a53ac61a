import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HarnessState } from './harnessState.js';

export interface Spawned {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a process in its own process group with output appended to `logFile`, and records its pid in
 * `state` so a reaper can kill it if the test process dies first.
 */
export function spawnLogged(
  command: string,
  args: readonly string[],
  options: { logFile: string; state?: HarnessState; env?: NodeJS.ProcessEnv; cwd?: string },
): Spawned {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  options.state?.add('pids', pid);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      options.state?.remove('pids', pid);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (e) => resolve(`spawn error: ${e.message}`));
  });
  const kill = (signal: NodeJS.Signals = 'SIGKILL'): void => {
    try { process.kill(-pid, signal); } catch { /* group already gone */ }
  };
  let done = false;
  void exited.then(() => { done = true; });
  return {
    pid,
    child,
    logFile: options.logFile,
    exited,
    kill,
    async stop(graceMs = 10_000) {
      if (done) return;
      kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) {
        kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Polls `check` until it returns true; the error names `what` and the last failure. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number; abortIf?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const abort = options.abortIf?.();
    if (abort) throw new Error(`gave up waiting for ${what}: ${abort}`);
    try {
      if (await check()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(options.intervalMs ?? 100);
  }
}

/** True while a process exists (EPERM means it exists but is not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The V8 flags the image and the chart set in NODE_OPTIONS (Dockerfile ENV, the chart's env). */
export const IMAGE_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2'];
/**
 * The V8 flags in the bundles' shebang (packages/kube/tools/bundleBinaries.mjs): Node refuses
 * --optimize-for-size in NODE_OPTIONS, so the entrypoints carry it.
 */
export const BUNDLE_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];
/** Everything the image's entrypoints run with; tests start the binaries the same way. */
export const IMAGE_NODE_FLAGS: readonly string[] = [...IMAGE_NODE_OPTIONS, ...BUNDLE_NODE_FLAGS];
/**
 * The flags the tests and benches start herald's binaries with: the image's, or HERALD_BENCH_NODE_FLAGS
 * (space-separated) when a benchmark compares other V8 flags (bench/speaker/idleCompare.ts).
 */
export const HERALD_NODE_FLAGS: readonly string[] = process.env.HERALD_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? IMAGE_NODE_FLAGS;
