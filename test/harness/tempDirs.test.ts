import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startController } from '../controller/controllerProcess.js';
import { HarnessState } from '../harnessState.js';
import { harnessTempDir, removeHarnessTempDir, sweepTempDirs } from '../harnessTempDir.js';

/** The pid of a process that has exited (an owner that died). */
const deadPid = (): number => spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim() as unknown as number;

describe('harness temp dirs are removed on a clean stop, on failure, and by the sweep once their owner is dead', () => {
  const scratch = harnessTempDir('tempdirs-test');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the controller process fixture removes its dir (kubeconfig, log) when stopped, and its logs stay readable', async () => {
    // A controller that cannot reach any API server: it runs (retrying) until stopped, which is all this needs.
    const c = await startController({ kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n', namespace: 'herald-system', waitReady: false });
    const dir = dirname(c.proc.logFile);
    expect(existsSync(dir)).toBe(true);
    await c.stop();
    expect(existsSync(dir), `${dir} left behind`).toBe(false);
    expect(Array.isArray(c.logLines())).toBe(true);
  });

  it('a controller that never gets ready is stopped and its dir removed when start fails', async () => {
    // Not a kubeconfig: the controller exits at once, and the start fails. The marker finds its dir.
    const marker = `not: [a kubeconfig ${process.pid}-${Date.now()}`;
    const ours = () => readdirSync('/tmp').filter((n) => n.startsWith('hrl-ctl-')).filter((n) => {
      try { return readFileSync(join('/tmp', n, 'kubeconfig'), 'utf8') === marker; } catch { return false; }
    });
    await expect(startController({ kubeconfig: marker, namespace: 'herald-system' })).rejects.toThrow(/controller exited/);
    expect(ours()).toEqual([]);
  });

  it('harnessTempDir names the owner; removeHarnessTempDir takes it out of the state too', () => {
    const state = new HarnessState(`hrl-tempdirs-${process.pid}`, { reaper: false });
    const dir = harnessTempDir('unit', { state, root: scratch });
    expect(dir).toMatch(new RegExp(`/hrl-unit-p${process.pid}-[A-Za-z0-9]{6}$`));
    expect(state.resources.dirs).toEqual([dir]);
    removeHarnessTempDir(dir, state);
    expect(existsSync(dir)).toBe(false);
    expect(state.resources.dirs).toEqual([]);
    state.release();
  });

  it('the sweep removes dirs whose owner is dead and leaves live owners\' dirs and unowned ones alone', () => {
    const root = join(scratch, 'root');
    mkdirSync(root);
    const dead = harnessTempDir('ctl', { root, pid: Number(deadPid()) });
    const live = harnessTempDir('ctl', { root });
    mkdirSync(join(root, 'hrl-ctl-AbCdEf'));
    const seen: string[] = [];
    expect(sweepTempDirs({ root, dryRun: true, log: (m) => seen.push(m) })).toBe(1);
    expect(existsSync(dead)).toBe(true);
    expect(seen).toEqual([expect.stringContaining(dead)]);
    expect(sweepTempDirs({ root, log: () => undefined })).toBe(1);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(join(root, 'hrl-ctl-AbCdEf'))).toBe(true);
  });
});
