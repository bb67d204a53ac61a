import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything a harness created, so that a reaper (or a sweeper) can undo it if the owner dies. */
export interface HarnessResources {
  pids: number[];
  netns: string[];
  links: string[];
  dirs: string[];
  /** Cgroup names (hrl-…) in every hierarchy under /sys/fs/cgroup, with whatever processes are in them. */
  cgroups: string[];
}

export const STATE_DIR = '/tmp/hrl-state';
/** A state file as written: its owner's pid and what it recorded (older files may lack a kind). */
export type RecordedState = { readonly owner?: number } & Partial<HarnessResources>;

/** Every state file in STATE_DIR; a half-written or vanished one is skipped (the next sweep sees it). */
export function recordedStates(): RecordedState[] {
  if (!existsSync(STATE_DIR)) return [];
  const out: RecordedState[] = [];
  for (const f of readdirSync(STATE_DIR).filter((x) => x.endsWith('.json'))) {
    try {
      out.push(JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as RecordedState);
    } catch { /* half-written or gone */ }
  }
  return out;
}

const reaperPath = join(dirname(fileURLToPath(import.meta.url)), 'reaper.mjs');

/**
 * Records resources in a state file and starts a detached reaper that undoes them if this process dies
 * before `release()`. Normal teardown does the cleanup itself and then calls `release()`.
 */
export class HarnessState {
  readonly file: string;
  readonly resources: HarnessResources = { pids: [], netns: [], links: [], dirs: [], cgroups: [] };
  private readonly reaperPid: number | undefined;

  constructor(readonly id: string, options: { reaper?: boolean } = {}) {
    mkdirSync(STATE_DIR, { recursive: true });
    this.file = join(STATE_DIR, `${id}.json`);
    this.flush();
    if (options.reaper !== false) {
      const child = spawn(process.execPath, [reaperPath, String(process.pid), this.file], { detached: true, stdio: 'ignore' });
      child.unref();
      this.reaperPid = child.pid;
    }
  }

  add<K extends keyof HarnessResources>(kind: K, value: HarnessResources[K][number]): void {
    (this.resources[kind] as unknown[]).push(value);
    this.flush();
  }

  remove<K extends keyof HarnessResources>(kind: K, value: HarnessResources[K][number]): void {
    const list = this.resources[kind] as unknown[];
    const i = list.indexOf(value);
    if (i >= 0) list.splice(i, 1);
    this.flush();
  }

  private flush(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ owner: process.pid, ...this.resources }));
    renameSync(tmp, this.file);
  }

  /**
   * Cleanup is done: the reaper has nothing left to guard. Dirs still listed are removed here, because once
   * the state file is gone nothing else would (the sweep judges an unlisted dir by its owner's pid, which is
   * alive until the test process ends): a teardown that forgot one cannot leak it. A dir kept on purpose
   * (logs of a failed run) is taken out of the state before. HERALD_KEEP_LOGS keeps them all; `keepDirs`
   * hands them to someone else (a control plane left running for `npm run cluster:up`).
   */
  release(o: { keepDirs?: boolean } = {}): void {
    if (!o.keepDirs && !process.env.HERALD_KEEP_LOGS) {
      for (const dir of this.resources.dirs) rmSync(dir, { recursive: true, force: true });
    }
    rmSync(this.file, { force: true });
    if (this.reaperPid) {
      try { process.kill(this.reaperPid, 'SIGTERM'); } catch { /* already gone */ }
    }
  }
}

/** Short random id for names like hrl-3f9a-n1 (interface names are limited to 15 bytes). */
export function runId(): string {
  return Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
}
