// npm run lan:sweep — removes what crashed test runs left behind: hrl-* namespaces, links and cgroups (with
// the processes in them), harness processes, state files and temp dirs (/tmp/hrl-<kind>-p<pid>-*) whose
// owner is dead, and the runc state and shim sockets of dead harness nodes in /run/containerd. Live runs (owner alive) are left alone.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sweepContainerdRunState } from '../containerdRunState.js';
import { cgroupPids, harnessCgroups, removeCgroup } from '../harnessCgroups.mjs';
import { recordedStates, STATE_DIR, type HarnessResources } from '../harnessState.js';
import { sweepTempDirs } from '../harnessTempDir.js';
import { run } from '../run.js';
import { isAlive } from '../processes.js';


/** Removes leftovers (or, with `dryRun`, only reports them); returns how many there were. */
export async function sweep(log: (m: string) => void = console.log, dryRun = false): Promise<number> {
  let removed = 0;
  const protectedNames = new Set<string>();
  if (existsSync(STATE_DIR)) {
    for (const f of readdirSync(STATE_DIR).filter((x) => x.endsWith('.json'))) {
      const path = join(STATE_DIR, f);
      let state: { owner?: number } & Partial<HarnessResources>;
      try { state = JSON.parse(readFileSync(path, 'utf8')); } catch { rmSync(path, { force: true }); continue; }
      if (state.owner && isAlive(state.owner)) {
        for (const n of [...(state.netns ?? []), ...(state.links ?? [])]) protectedNames.add(n);
        continue;
      }
      for (const pid of state.pids ?? []) {
        if (!isAlive(pid)) continue;
        removed++;
        if (dryRun) {
          log(`leftover process ${pid} (owner ${state.owner} is gone)`);
          continue;
        }
        try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        log(`killed leftover process ${pid}`);
      }
      if (dryRun) continue;
      for (const c of state.cgroups ?? []) await removeCgroup(c);
      for (const d of state.dirs ?? []) rmSync(d, { recursive: true, force: true });
      rmSync(path, { force: true });
    }
  }
  const nsList = (await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('hrl-'));
  for (const ns of nsList) {
    if (protectedNames.has(ns)) continue;
    removed++;
    if (dryRun) {
      log(`leftover namespace ${ns}`);
      continue;
    }
    for (const pid of (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
    await run('ip', ['netns', 'del', ns]);
    log(`deleted leftover namespace ${ns}`);
  }
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout || '[]') as { ifname: string }[];
  for (const { ifname } of links.filter((l) => l.ifname.startsWith('hrl-'))) {
    if (protectedNames.has(ifname)) continue;
    removed++;
    if (dryRun) {
      log(`leftover link ${ifname}`);
      continue;
    }
    await run('ip', ['link', 'del', ifname]);
    log(`deleted leftover link ${ifname}`);
  }
  removed += await sweepCgroups({ dryRun, log });
  // After the cgroups (their containers are dead now): the runc state and shim sockets dead nodes left in
  // the machine's /run/containerd.
  removed += sweepContainerdRunState({ dryRun, log });
  // After the state files: a dir still listed in one is theirs (and its reaper's) to remove.
  removed += sweepTempDirs({ dryRun, log });
  if (existsSync(STATE_DIR) && !dryRun) {
    for (const d of readdirSync(STATE_DIR).filter((x) => x.startsWith('mgmt-slot-'))) {
      let owner = 0;
      try { owner = Number(readFileSync(join(STATE_DIR, d, 'owner'), 'utf8')); } catch { /* none */ }
      if (!owner || !isAlive(owner)) rmSync(join(STATE_DIR, d), { recursive: true, force: true });
    }
  }
  return removed;
}

/** Cgroups listed in the state of a live owner: that run's own, whatever their name. */
function liveCgroups(): Set<string> {
  return new Set(recordedStates().filter((s) => s.owner && isAlive(s.owner)).flatMap((s) => s.cgroups ?? []));
}

/**
 * Harness cgroups (hrl-…, or `prefix`…, in any hierarchy) that no live owner's state lists: every process in
 * them killed and their dirs removed deepest first, or with `dryRun` only reported. Returns how many.
 */
export async function sweepCgroups(o: { prefix?: string; dryRun?: boolean; log?: (m: string) => void } = {}): Promise<number> {
  const log = o.log ?? console.log;
  // Listed before the states are read: a run records a cgroup before it creates it, so one that starts
  // meanwhile is seen as live.
  const names = harnessCgroups(o.prefix);
  const live = liveCgroups();
  let n = 0;
  for (const name of names) {
    if (live.has(name)) continue;
    n++;
    if (o.dryRun) {
      log(`leftover cgroup ${name} (${cgroupPids(name).length} processes)`);
      continue;
    }
    const left = await removeCgroup(name);
    log(left.length === 0 ? `removed leftover cgroup ${name}` : `could not remove leftover cgroup ${name}: ${left.join(' ')} still busy`);
  }
  return n;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  // --check: report what a dead test run left behind and fail if anything; live runs are not leftovers.
  const check = process.argv.includes('--check');
  const n = await sweep(console.log, check);
  console.log(n === 0 ? 'nothing left over' : check ? `${n} leftovers` : `removed ${n} leftovers`);
  if (check && n > 0) process.exit(1);
}
