import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recordedStates, type HarnessState } from './harnessState.js';
import { isAlive } from './processes.js';

/** Where harness temp dirs go (the same /tmp the reapers and `npm run lan:sweep` look at). */
export const TEMP_ROOT = '/tmp';

/** hrl-<kind>-p<owner pid>-<6 random characters>, as harnessTempDir makes them. */
const OWNED = /^hrl-[a-z0-9-]+?-p(\d+)-[A-Za-z0-9]{6}$/;

/**
 * A fresh temp dir for a harness part, named /tmp/hrl-<kind>-p<pid>-XXXXXX. The owner's pid in the name
 * lets the sweep remove it once the owner is dead even when no state file lists it any more (a state
 * released after a clean stop that forgot the dir, a reaper killed with its owner). With `state`, the dir
 * is also listed there, so the reaper removes it as soon as the owner dies.
 */
export function harnessTempDir(kind: string, o: { state?: HarnessState; root?: string; pid?: number } = {}): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(kind)) throw new Error(`harness temp dir kind ${JSON.stringify(kind)} must be lower-case words joined by -`);
  const dir = mkdtempSync(join(o.root ?? TEMP_ROOT, `hrl-${kind}-p${o.pid ?? process.pid}-`));
  o.state?.add('dirs', dir);
  return dir;
}

/** Removes a harness temp dir (and its entry in `state`): the clean-stop half of harnessTempDir. */
export function removeHarnessTempDir(dir: string, state?: HarnessState): void {
  rmSync(dir, { recursive: true, force: true });
  state?.remove('dirs', dir);
}

/** Dirs listed in state files: their reaper, or the state-file pass of the sweep, owns their removal. */
function listedInStates(): Set<string> {
  return new Set(recordedStates().flatMap((s) => s.dirs ?? []));
}

/**
 * Harness temp dirs whose owner process is dead (and that no state file lists): removed, or with
 * `dryRun` only reported. Dirs of a live owner and dirs without an owner in their name are left alone.
 * Returns how many there were.
 */
export function sweepTempDirs(o: { root?: string; dryRun?: boolean; log?: (m: string) => void } = {}): number {
  const root = o.root ?? TEMP_ROOT;
  const log = o.log ?? console.log;
  const listed = listedInStates();
  let n = 0;
  for (const name of readdirSync(root)) {
    const owner = OWNED.exec(name)?.[1];
    const dir = join(root, name);
    if (owner === undefined || isAlive(Number(owner)) || listed.has(dir)) continue;
    n++;
    if (o.dryRun) {
      log(`leftover temp dir ${dir} (owner ${owner} is gone)`);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    log(`removed leftover temp dir ${dir}`);
  }
  return n;
}
