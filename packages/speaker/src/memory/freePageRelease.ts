// Returns the C allocator's free pages to the kernel now and then. glibc keeps what Node, V8 (its parser and
// compiler zones, also on V8's background threads, each with an arena of its own) and OpenSSL freed; an
// idle speaker measured 12 MB of its 26 MB malloc heap free but resident, 8 MiB of it handed back by one
// malloc_trim (bench/speaker/memoryLevers.ts). Once after the caches synced (start-up's lists, parsing and
// compilation are behind) and then every minute, since later work (a resync, optimizing compilations)
// leaves free pages again. Each call costs well under a millisecond of the main thread (it logs how long).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';

export interface FreePageReleaseOptions {
  /** The allocator call: true when memory went back to the kernel (native releaseFreePages). */
  readonly release: () => boolean;
  readonly log: Logger;
  readonly firstAfterMs?: number;
  readonly everyMs?: number;
  /** Resident anonymous memory in KiB, for the log line; /proc/self/status by default. */
  readonly residentAnonKiB?: () => number | undefined;
}

const FIRST_AFTER_MS = 15_000;
const EVERY_MS = 60_000;

/** RssAnon of this process, in KiB; undefined where /proc is not readable. */
export function residentAnonKiB(): number | undefined {
  try {
    const kib = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib);
  } catch {
    return undefined;
  }
}

/** Starts releasing; the returned function stops it. The timers never keep the process alive. */
export function startFreePageRelease(o: FreePageReleaseOptions): () => void {
  const anon = o.residentAnonKiB ?? residentAnonKiB;
  const run = () => {
    const beforeKiB = anon();
    const t0 = performance.now();
    let released: boolean;
    try {
      released = o.release();
    } catch (e) {
      o.log.warn({ event: 'freePagesReleaseFailed', err: (e as Error).message }, 'could not release free memory pages');
      return;
    }
    const tookMs = Math.round((performance.now() - t0) * 1000) / 1000;
    o.log.debug({ event: 'freePagesReleased', released, anonBeforeKiB: beforeKiB ?? null, anonAfterKiB: anon() ?? null, tookMs }, 'released free memory pages to the kernel');
  };
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    run();
    every = setInterval(run, o.everyMs ?? EVERY_MS).unref();
  }, o.firstAfterMs ?? FIRST_AFTER_MS).unref();
  return () => {
    clearTimeout(first);
    if (every) clearInterval(every);
  };
}
