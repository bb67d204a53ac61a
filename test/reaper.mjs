#!/usr/bin/env node
// Cleans up after a test harness whose owner process died without doing it (SIGKILL, crash, OOM).
// Usage: reaper.mjs <ownerPid> <stateFile>. The state file lists what the owner created:
//   { "pids": [..], "netns": ["hrl-…"], "links": ["hrl-…"], "dirs": ["/tmp/…"], "cgroups": ["hrl-…"] }
// The owner rewrites it as it goes and deletes it after a clean teardown, which also ends the reaper.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { removeCgroup } from './harnessCgroups.mjs';

const [ownerText, stateFile] = process.argv.slice(2);
const owner = Number(ownerText);
if (!owner || !stateFile) {
  console.error('usage: reaper.mjs <ownerPid> <stateFile>');
  process.exit(2);
}

const alive = (pid) => {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};

export async function sweepState(state) {
  for (const ns of state.netns ?? []) {
    try {
      const out = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const p of out.split(/\s+/).filter(Boolean)) { try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ } }
    } catch { /* namespace already gone */ }
  }
  for (const pid of state.pids ?? []) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* not a group leader or gone */ }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  // Containers are in pod network namespaces of their own and their own sessions: their cgroups find them.
  for (const name of state.cgroups ?? []) await removeCgroup(name);
  for (const ns of state.netns ?? []) { try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* gone */ } }
  for (const link of state.links ?? []) { try { execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' }); } catch { /* gone */ } }
  for (const dir of state.dirs ?? []) { try { rmSync(dir, { recursive: true, force: true }); } catch { /* gone */ } }
}

const timer = setInterval(async () => {
  if (!existsSync(stateFile)) { clearInterval(timer); return; }
  if (alive(owner)) return;
  clearInterval(timer);
  try { await sweepState(JSON.parse(readFileSync(stateFile, 'utf8'))); } catch { /* half-written state: best effort */ }
  rmSync(stateFile, { force: true });
}, 200);
