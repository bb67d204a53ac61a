import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { startController } from '../controller/controllerProcess.js';
import { HarnessState } from '../harnessState.js';
import { harnessTempDir, removeHarnessTempDir, sweepTempDirs } from '../harnessTempDir.js';
import { HeraldRelease } from '../install/heraldRelease.js';
import { Lan } from '../lan/lan.js';

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

  it('releasing a state removes the dirs still listed in it: a teardown that forgot one leaves nothing behind', () => {
    const state = new HarnessState(`hrl-tempdirs-${process.pid}-forgot`, { reaper: false });
    const forgotten = harnessTempDir('unit', { state, root: scratch });
    const kept = harnessTempDir('unit', { state, root: scratch });
    // A dir its owner keeps on purpose (logs of a failed run) is taken out of the state first.
    state.remove('dirs', kept);
    state.release();
    expect(existsSync(state.file)).toBe(false);
    expect(existsSync(forgotten), `${forgotten} outlived its released state`).toBe(false);
    expect(existsSync(kept)).toBe(true);
  });

  it('a state handed over (a control plane left running for cluster:up) keeps its dirs', () => {
    const state = new HarnessState(`hrl-tempdirs-${process.pid}-handed`, { reaper: false });
    const dir = harnessTempDir('unit', { state, root: scratch });
    state.release({ keepDirs: true });
    expect(existsSync(state.file)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  it('a LAN destroyed while a HeraldRelease still has its dir (the demo never calls dispose) removes that dir', async () => {
    // The leak CI found: /tmp/hrl-release-p<pid>-… listed only in the LAN's state, which destroy() released.
    const ours = () => new Set(readdirSync('/tmp').filter((n) => n.startsWith(`hrl-release-p${process.pid}-`)));
    const before = ours();
    const lan = await Lan.create({ nodes: 1 });
    try {
      new HeraldRelease({ kc: adminKubeConfig(), cluster: cluster(), lan, nodeName: (n) => n.name });
      const made = [...ours()].filter((n) => !before.has(n));
      expect(made).toHaveLength(1);
      expect(lan.state.resources.dirs).toContain(join('/tmp', made[0]!));
    } finally {
      await lan.destroy();
    }
    const left = [...ours()].filter((n) => !before.has(n));
    for (const n of left) rmSync(join('/tmp', n), { recursive: true, force: true });
    expect(left, 'release dirs left behind by Lan.destroy()').toEqual([]);
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
