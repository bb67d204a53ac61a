// The sweep's part for containerd's run dir: runc state and shim sockets that harness nodes of dead runs left
// in the machine's /run/containerd (before the nodes had a tmpfs of their own there). Laid out here in a
// scratch run dir as containerd 1.6 and runc 1.1 lay them out (state.json's bundle label, the shim socket's
// sha256 name), so that nothing of other runs is touched. test/nodes/kubeletNode.test.ts checks that real
// nodes leave nothing in the machine's dir.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shimSocketName, sweepContainerdRunState } from '../containerdRunState.js';
import { STATE_DIR } from '../harnessState.js';
import { harnessTempDir } from '../harnessTempDir.js';

/** The pid of a process that has exited (an owner that died). */
const deadPid = (): number => Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());

describe('sweepContainerdRunState: runc state and shim sockets of dead harness nodes', () => {
  const runDir = harnessTempDir('containerd-run-test');
  const stateFiles: string[] = [];
  afterAll(() => {
    rmSync(runDir, { recursive: true, force: true });
    for (const f of stateFiles) rmSync(f, { force: true });
  });

  /** A container runc 1.1 knows about: its state dir, and the socket of its shim if it is a task group. */
  const container = (o: { nodeDir: string; id: string; socket: boolean }): { state: string; socket: string } => {
    const state = join(runDir, 'runc', 'k8s.io', o.id);
    mkdirSync(state, { recursive: true });
    const bundle = `${o.nodeDir}/containerd/state/io.containerd.runtime.v2.task/k8s.io/${o.id}`;
    writeFileSync(join(state, 'state.json'), JSON.stringify({ id: o.id, init_process_pid: deadPid(), config: { labels: [`bundle=${bundle}`] } }));
    const socket = join(runDir, 's', shimSocketName({ address: join(o.nodeDir, 'containerd.sock'), namespace: 'k8s.io', id: o.id }));
    mkdirSync(join(runDir, 's'), { recursive: true });
    if (o.socket) writeFileSync(socket, '');
    return { state, socket };
  };
  const stateFile = (name: string, owner: number, dirs: string[]): void => {
    const file = join(STATE_DIR, `hrl-crs-p${process.pid}-${name}.json`);
    mkdirSync(STATE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify({ owner, pids: [], netns: [], links: [], dirs, cgroups: [] }));
    stateFiles.push(file);
  };

  it('names a shim socket as containerd 1.6 does: sha256 of <address>/<namespace>/<id>', () => {
    // echo -n /tmp/hrl-node-n1-abc/containerd.sock/k8s.io/0123 | sha256sum
    const expected = spawnSync('sh', ['-c', 'printf %s /tmp/hrl-node-n1-abc/containerd.sock/k8s.io/0123 | sha256sum'], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(shimSocketName({ address: '/tmp/hrl-node-n1-abc/containerd.sock', namespace: 'k8s.io', id: '0123' })).toBe(expected);
  });

  it('reports, then removes, the entries of nodes no live owner lists; a live run\'s and non-harness containers stay', () => {
    const tag = `p${process.pid}`;
    // A node of a dead test process whose reaper died too: its state still lists its dir.
    const deadListed = `/tmp/hrl-node-n1-${tag}a`;
    stateFile('dead', deadPid(), [deadListed]);
    // A node whose state is gone (stopped, or reaped, and its dir removed): listed nowhere.
    const unlisted = `/tmp/hrl-node-n2-${tag}b`;
    // A node of a live run (this process owns the state).
    const live = `/tmp/hrl-node-n3-${tag}c`;
    stateFile('live', process.pid, [live]);
    const sandbox1 = container({ nodeDir: deadListed, id: `${'a'.repeat(60)}0001`, socket: true });
    const app1 = container({ nodeDir: deadListed, id: `${'a'.repeat(60)}0002`, socket: false });
    const sandbox2 = container({ nodeDir: unlisted, id: `${'b'.repeat(60)}0001`, socket: true });
    const liveSandbox = container({ nodeDir: live, id: `${'c'.repeat(60)}0001`, socket: true });
    const foreign = container({ nodeDir: '/var/lib/containerd', id: `${'d'.repeat(60)}0001`, socket: true });
    const leftovers = [sandbox1.socket, sandbox1.state, app1.state, sandbox2.socket, sandbox2.state];

    const reported: string[] = [];
    expect(sweepContainerdRunState({ runDir, dryRun: true, log: (m) => reported.push(m) })).toBe(5);
    expect(reported).toHaveLength(5);
    for (const p of leftovers) expect(reported.some((m) => m.startsWith(`leftover containerd run state ${p} (no live run lists node `)), p).toBe(true);
    for (const p of leftovers) expect(existsSync(p), `${p} removed by a dry run`).toBe(true);

    const removed: string[] = [];
    expect(sweepContainerdRunState({ runDir, log: (m) => removed.push(m) })).toBe(5);
    expect(removed.sort()).toEqual(leftovers.map((p) => `removed leftover containerd run state ${p}`).sort());
    for (const p of leftovers) expect(existsSync(p), `${p} left`).toBe(false);
    for (const p of [liveSandbox.state, liveSandbox.socket, foreign.state, foreign.socket]) expect(existsSync(p), `${p} swept`).toBe(true);
    expect(sweepContainerdRunState({ runDir, dryRun: true, log: () => undefined })).toBe(0);
  });
});
