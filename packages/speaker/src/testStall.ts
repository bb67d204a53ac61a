import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';

/**
 * Test only, off unless $HERALD_TEST_STALL_FILE is set: on SIGUSR2 the main thread blocks synchronously
 * for the milliseconds written in that file — what a long GC pause or a wedged main loop does to the
 * speaker — so that tests can show heartbeats ride out a short stall and stop for a long one.
 */
export function installTestStall(o: { readonly file: string; readonly log: Logger }): void {
  o.log.warn({ event: 'testStallInstalled', file: o.file }, 'test hook: SIGUSR2 blocks the main thread');
  process.on('SIGUSR2', () => {
    let ms: number;
    try {
      ms = Number(readFileSync(o.file, 'utf8').trim());
    } catch (e) {
      return o.log.error({ event: 'testStallFailed', err: (e as Error).message }, 'cannot read the test stall file');
    }
    if (!(ms > 0)) return o.log.error({ event: 'testStallFailed', err: `not a positive number of ms: ${ms}` }, 'bad test stall file');
    o.log.warn({ event: 'testStallStarted', ms }, `test hook: blocking the main thread for ${ms} ms`);
    const started = performance.now();
    // Blocks this thread without spinning (the machine is shared); worker threads keep running.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    o.log.warn({ event: 'testStallEnded', blockedMs: Math.round(performance.now() - started) }, 'test hook: main thread unblocked');
  });
}
