import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CGROUP_FS, cgroupPids, harnessCgroups, removeCgroup } from '../harnessCgroups.mjs';
import { STATE_DIR } from '../harnessState.js';
import { Lan } from '../lan/lan.js';
import { sweepCgroups } from '../lan/sweep.js';

const root = resolve(import.meta.dirname, '../..');
/** Two v1 hierarchies, as the kubelet's cgroupRoot has one dir in each (and more). */
const HIERARCHIES = ['pids', 'memory'];
/** Every cgroup and state file of this file starts with it, so cleanup finds them all (also after a failure). */
const prefix = `hrl-cgt-p${process.pid}-`;
/** The pid of a process that has exited (an owner that died). */
const deadPid = (): number => Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());

const sleepers: ChildProcess[] = [];
const stateFiles: string[] = [];

/**
 * A container-like process: `sleep` in its own session, put into `<hierarchy>/<name>/sub` of each hierarchy
 * (created here, nested as the kubelet's kubepods/pod…/container are). Resolves with the process and a
 * promise of its exit.
 */
function cgroupWithSleeper(name: string): { pid: number; exited: Promise<unknown> } {
  const p = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  sleepers.push(p);
  const exited = new Promise((r) => p.once('exit', r));
  for (const h of HIERARCHIES) {
    mkdirSync(join(CGROUP_FS, h, name, 'sub'), { recursive: true });
    writeFileSync(join(CGROUP_FS, h, name, 'sub', 'cgroup.procs'), String(p.pid));
  }
  return { pid: p.pid!, exited };
}

function writeState(name: string, owner: number, cgroups: string[]): string {
  mkdirSync(STATE_DIR, { recursive: true });
  const file = join(STATE_DIR, `${name}.json`);
  stateFiles.push(file);
  writeFileSync(file, JSON.stringify({ owner, pids: [], netns: [], links: [], dirs: [], cgroups }));
  return file;
}

const gone = (name: string) => HIERARCHIES.every((h) => !existsSync(join(CGROUP_FS, h, name)));
const within = <T>(p: Promise<T>, ms: number, what: string) => Promise.race([p, sleep(ms).then(() => { throw new Error(`${what} within ${ms} ms`); })]);

describe('harness cgroups (real cgroup v1 hierarchies) are undone for a dead owner, and a live owner\'s are left alone', () => {
  afterAll(async () => {
    for (const name of harnessCgroups(prefix)) await removeCgroup(name);
    for (const p of sleepers) p.kill('SIGKILL');
    for (const f of stateFiles) rmSync(f, { force: true });
  });

  it('the reaper of a dead owner kills the processes in its cgroups (all hierarchies, nested) and removes them deepest first', async () => {
    const name = `${prefix}reaped`;
    const sleeper = cgroupWithSleeper(name);
    expect(cgroupPids(name)).toEqual([sleeper.pid]);
    const owner = deadPid();
    const file = writeState(name, owner, [name]);
    const reaper = spawn(process.execPath, [join(root, 'test/reaper.mjs'), String(owner), file], { stdio: 'ignore' });
    const code = await within(new Promise((r) => reaper.once('exit', r)), 15_000, 'the reaper to finish');
    expect(code).toBe(0);
    await within(sleeper.exited, 5_000, 'the process in the cgroup to be killed');
    expect(gone(name), `${name} left in ${HIERARCHIES.join(', ')}`).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('Lan.destroy() removes the cgroups listed in its state (a node never stopped): their processes are killed', async () => {
    const name = `${prefix}lan`;
    const lan = await Lan.create({ nodes: 1 });
    let sleeper: { pid: number; exited: Promise<unknown> };
    try {
      lan.state.add('cgroups', name);
      sleeper = cgroupWithSleeper(name);
    } finally {
      await lan.destroy();
    }
    await within(sleeper.exited, 5_000, 'the process in the LAN\'s cgroup to be killed');
    expect(gone(name), `${name} left after Lan.destroy()`).toBe(true);
  });

  it('the sweep reports, then kills and removes, cgroups of a dead owner and of no owner; a live owner\'s stay with their processes', async () => {
    const dead = `${prefix}dead`;
    const orphan = `${prefix}orphan`;
    const live = `${prefix}live`;
    const deadSleeper = cgroupWithSleeper(dead);
    const orphanSleeper = cgroupWithSleeper(orphan);
    const liveSleeper = cgroupWithSleeper(live);
    writeState(dead, deadPid(), [dead]);
    writeState(live, process.pid, [live]);

    const reported: string[] = [];
    expect(await sweepCgroups({ prefix, dryRun: true, log: (m) => reported.push(m) })).toBe(2);
    expect(reported).toEqual([`leftover cgroup ${dead} (1 processes)`, `leftover cgroup ${orphan} (1 processes)`]);
    expect(cgroupPids(dead)).toEqual([deadSleeper.pid]);

    const removed: string[] = [];
    expect(await sweepCgroups({ prefix, log: (m) => removed.push(m) })).toBe(2);
    expect(removed).toEqual([`removed leftover cgroup ${dead}`, `removed leftover cgroup ${orphan}`]);
    await within(Promise.all([deadSleeper.exited, orphanSleeper.exited]), 5_000, 'the processes in the dead owner\'s cgroups to be killed');
    expect(gone(dead) && gone(orphan)).toBe(true);
    expect(cgroupPids(live)).toEqual([liveSleeper.pid]);
    expect(harnessCgroups(prefix)).toEqual([live]);
  });
});
