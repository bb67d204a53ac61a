import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harnessTempDir, removeHarnessTempDir } from '../harnessTempDir.js';
import type { LanNode } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { speakerLogSince } from './neighbourProbe.js';
import type { SpeakerWorld } from './speakerWorld.js';

/**
 * The speaker's test hook (packages/speaker/src/testStall.ts) driven from a test: with `env` in
 * world.speakerEnv, `block` blocks one speaker's main thread synchronously (SIGUSR2, Atomics.wait) for the
 * milliseconds written to the hook's file, as a long GC pause or a wedged main loop does.
 */
export class MainThreadBlock {
  private readonly dir = harnessTempDir('stall');
  private readonly file = join(this.dir, 'ms');

  constructor(private readonly world: SpeakerWorld) {}

  /** For world.speakerEnv, before the speakers start: turns the hook on. */
  get env(): NodeJS.ProcessEnv {
    return { HERALD_TEST_STALL_FILE: this.file };
  }

  /**
   * Blocks `n`'s main thread for `ms` and resolves once it has logged testStallStarted (the block is on),
   * with the wall time just before it was asked for: read the speakers' logs from there.
   */
  async block(n: LanNode, ms: number): Promise<number> {
    writeFileSync(this.file, String(ms));
    const at = Date.now();
    process.kill(this.world.speakers.get(n.name)!.proc.pid, 'SIGUSR2');
    await waitFor(`${n.name} to log testStallStarted`, () => speakerLogSince(this.world, n, at).some((l) => l.event === 'testStallStarted'), { timeoutMs: 5_000, intervalMs: 5 });
    return at;
  }

  /** Removes the hook's file and its directory (afterAll). */
  remove(): void {
    removeHarnessTempDir(this.dir);
  }
}
