import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harnessTempDir, removeHarnessTempDir } from '../harnessTempDir.js';
import { waitFor, isAlive } from '../processes.js';
import { run } from '../run.js';

const root = resolve(import.meta.dirname, '../..');


async function leftovers(lanId: string): Promise<string[]> {
  const ns = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`hrl-${lanId}-`));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => l.includes(`hrl-${lanId}-`));
  return [...ns, ...links];
}

function runFixture(mode: 'fail' | 'hang', report: string) {
  const child = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/leak/vitest.config.ts'], {
    cwd: root,
    env: { ...process.env, HRL_FIXTURE_MODE: mode, HRL_FIXTURE_REPORT: report },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? '?')));
  return { child, exited, output: () => output };
}

describe('harness cleanup', () => {
  // Where each fixture writes its report; removed when the suite ends, pass or fail.
  const reports: string[] = [];
  const reportDir = () => {
    const d = harnessTempDir('fixture');
    reports.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of reports) removeHarnessTempDir(d);
  });
  it('a run whose test fails on purpose leaves no hrl- namespace, link or process', async () => {
    const report = join(reportDir(), 'report.json');
    const f = runFixture('fail', report);
    const code = await f.exited;
    expect(code, f.output()).toBe(1);
    expect(f.output()).toContain('this test fails on purpose');
    const { lanId, sleeperPid } = JSON.parse(readFileSync(report, 'utf8'));
    expect(await leftovers(lanId)).toEqual([]);
    expect(isAlive(sleeperPid)).toBe(false);
  });

  it('a run killed with SIGKILL mid-test is cleaned up by its reapers: namespaces, links, control plane', async () => {
    const report = join(reportDir(), 'report.json');
    const f = runFixture('hang', report);
    await waitFor('the fixture to build its LAN and control plane', () => existsSync(report), { timeoutMs: 150_000, intervalMs: 200 });
    const { lanId, sleeperPid, planePids } = JSON.parse(readFileSync(report, 'utf8'));
    expect(await leftovers(lanId)).not.toEqual([]);
    expect(isAlive(sleeperPid)).toBe(true);
    process.kill(-f.child.pid!, 'SIGKILL');
    await f.exited;
    await waitFor('reapers to clean up', async () => (await leftovers(lanId)).length === 0 && !isAlive(sleeperPid) && !planePids.some(isAlive), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
  });
});
