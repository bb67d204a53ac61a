// Cgroups a harness creates (the real-kubelet nodes' cgroupRoot, hrl-<lan id>-<node>, under which containerd
// and runc put every container): shared by the reaper (plain Node, no tsx) and the sweep, so both undo them
// the same way. Names are relative to each hierarchy's root: cgroup v1 has one tree per controller
// (/sys/fs/cgroup/pids, /sys/fs/cgroup/memory, …, and the v2 tree at /sys/fs/cgroup/unified), and a name
// lives in every one of them.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const CGROUP_FS = '/sys/fs/cgroup';

/** The dirs of cgroup `name` in every hierarchy, each parent before its children. */
function cgroupDirs(name) {
  const out = [];
  const walk = (dir) => {
    out.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  if (!existsSync(CGROUP_FS)) return out;
  for (const h of readdirSync(CGROUP_FS)) {
    const dir = join(CGROUP_FS, h, name);
    try { if (existsSync(dir)) walk(dir); } catch { /* removed meanwhile */ }
  }
  return out;
}

/** Every process in cgroup `name` or below it, in any hierarchy. */
export function cgroupPids(name) {
  const pids = new Set();
  for (const dir of cgroupDirs(name)) {
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch { /* removed meanwhile */ }
  }
  return [...pids];
}

/**
 * Kills every process in cgroup `name` (all hierarchies, recursively: containers sit in their own process
 * groups and sessions, so only their cgroup finds them) and removes its dirs, deepest first. A frozen cgroup
 * is thawed first, or SIGKILL would wait. Returns the dirs it could not remove (none when all went well).
 */
export async function removeCgroup(name, { timeoutMs = 5_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const dir of cgroupDirs(name)) {
      if (existsSync(join(dir, 'freezer.state'))) { try { writeFileSync(join(dir, 'freezer.state'), 'THAWED'); } catch { /* gone or root */ } }
    }
    const pids = cgroupPids(name);
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    const left = [];
    for (const dir of cgroupDirs(name).reverse()) {
      try { rmdirSync(dir); } catch (e) { if (e.code !== 'ENOENT') left.push(dir); }
    }
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(pids.length > 0 ? 50 : 100);
  }
}

/** Names of harness cgroups (hrl-…, or those starting with `prefix`) at the top of any hierarchy. */
export function harnessCgroups(prefix = 'hrl-') {
  const names = new Set();
  if (!existsSync(CGROUP_FS)) return [];
  for (const h of readdirSync(CGROUP_FS)) {
    try {
      for (const e of readdirSync(join(CGROUP_FS, h), { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith(prefix)) names.add(e.name);
    } catch { /* not a directory */ }
  }
  return [...names].sort();
}
