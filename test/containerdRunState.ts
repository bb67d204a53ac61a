// What containerd 1.6 and its runc shims put in the machine's /run/containerd whatever containerd's own
// `root` and `state` say: the shims' sockets (/run/containerd/s/<hash>; 1.6 hard-codes the dir) and runc's
// state (/run/containerd/runc/<namespace>/<container id>, the runc shim's default Root). A shim that dies by
// SIGKILL (a node stopped or killed by the harness) leaves both behind. The harness's nodes now mount a
// tmpfs of their own over /run/containerd (test/nodes/kubeletNode.ts), so nothing of theirs reaches the
// machine's; this finds what older runs (or a harness without that mount) left there, for the sweep.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recordedStates } from './harnessState.js';
import { isAlive } from './processes.js';

/** The machine's containerd run dir (containerd 1.6's defaults.DefaultStateDir). */
export const CONTAINERD_RUN_DIR = '/run/containerd';

/**
 * The name of the shim socket containerd 1.6 gives a task group (a Pod's sandbox id, or a lone container's
 * id) of the containerd listening at `address`: sha256 of `<address>/<namespace>/<id>`, in `<run dir>/s`.
 */
export function shimSocketName(o: { address: string; namespace: string; id: string }): string {
  return createHash('sha256').update(join(o.address, o.namespace, o.id)).digest('hex');
}

/**
 * The entries a harness node's containerd (its socket at `<nodeDir>/containerd.sock`) would have in the
 * machine's run dir for containers `ids`, that exist there: runc state dirs and shim sockets.
 */
export function hostRunEntries(o: { nodeDir: string; ids: string[]; namespace?: string; runDir?: string }): string[] {
  const runDir = o.runDir ?? CONTAINERD_RUN_DIR;
  const namespace = o.namespace ?? 'k8s.io';
  const address = join(o.nodeDir, 'containerd.sock');
  return o.ids.flatMap((id) => [join(runDir, 'runc', namespace, id), join(runDir, 's', shimSocketName({ address, namespace, id }))]).filter((p) => existsSync(p));
}

/** Dirs listed in the state file of a live owner: a node whose dir is one of them is running. */
function liveStateDirs(): Set<string> {
  return new Set(recordedStates().filter((s) => s.owner && isAlive(s.owner)).flatMap((s) => s.dirs ?? []));
}

/** The harness dir (/tmp/hrl-…) a runc container's bundle is in, from runc's state.json; undefined if not one. */
function harnessDirOf(stateJson: string): string | undefined {
  const state = JSON.parse(stateJson) as { config?: { labels?: string[] } };
  const bundle = state.config?.labels?.find((l) => l.startsWith('bundle='))?.slice('bundle='.length);
  return /^(\/tmp\/hrl-[^/]+)\//.exec(bundle ?? '')?.[1];
}

/**
 * runc state dirs in the machine's run dir whose container bundle is in a harness node's dir (/tmp/hrl-…)
 * that no live owner's state lists (the node stopped, or its test process died), and the shim sockets of
 * those containers: removed, or with `dryRun` only reported. Everything else (a live run's, a container
 * that is not the harness's) is left alone. Returns how many entries there were.
 */
export function sweepContainerdRunState(o: { runDir?: string; dryRun?: boolean; log?: (m: string) => void } = {}): number {
  const runDir = o.runDir ?? CONTAINERD_RUN_DIR;
  const log = o.log ?? console.log;
  const runcRoot = join(runDir, 'runc');
  if (!existsSync(runcRoot)) return 0;
  // Listed before the states are read: a node lists its dir before its containerd starts, so a node that
  // starts meanwhile is seen as live.
  const found: { namespace: string; id: string; dir: string }[] = [];
  for (const namespace of readdirSync(runcRoot)) {
    try {
      for (const id of readdirSync(join(runcRoot, namespace))) found.push({ namespace, id, dir: join(runcRoot, namespace, id) });
    } catch { /* not a dir, or gone */ }
  }
  const live = liveStateDirs();
  let n = 0;
  for (const c of found) {
    let nodeDir: string | undefined;
    try { nodeDir = harnessDirOf(readFileSync(join(c.dir, 'state.json'), 'utf8')); } catch { continue; /* gone, or not runc's */ }
    if (nodeDir === undefined || live.has(nodeDir)) continue;
    const socket = join(runDir, 's', shimSocketName({ address: join(nodeDir, 'containerd.sock'), namespace: c.namespace, id: c.id }));
    for (const entry of [socket, c.dir].filter((p) => existsSync(p))) {
      n++;
      if (o.dryRun) {
        log(`leftover containerd run state ${entry} (no live run lists node ${nodeDir})`);
        continue;
      }
      rmSync(entry, { recursive: true, force: true });
      log(`removed leftover containerd run state ${entry}`);
    }
  }
  return n;
}
