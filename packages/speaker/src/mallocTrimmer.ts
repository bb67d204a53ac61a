import type { Logger } from 'pino';
import type { Counter } from 'prom-client';

export interface MallocTrimmerOptions {
  /** Returns free C-heap pages to the kernel (native trimMalloc). */
  trim: () => boolean;
  /** Resident set size in bytes now (process.memoryUsage.rss). */
  rss: () => number;
  log: Logger;
  /** Bytes returned, counted as RSS before − after each trim. */
  released: Counter;
  /** How often the RSS is checked. Default 5 s. */
  intervalMs?: number;
  /** Trim once the RSS grew this much since the last trim (or its lowest since). Default 16 MiB. */
  growthBytes?: number;
}

/**
 * Keeps glibc's freed C heap from counting against the container's memory limit. glibc returns free
 * memory to the kernel only from the top of its main heap; after a burst (thousands of status writes and
 * Events: HTTP and TLS buffers) the freed middle stays resident. A speaker owning 3,780 addresses was 486
 * MiB resident with a 128 MiB JS heap, 212 MiB of it such free C heap (bench/speaker/addressMemory.ts).
 * Checking the RSS is cheap; a trim runs only after the RSS grew, so an idle speaker never trims and a
 * busy one trims a small heap often rather than a large one rarely.
 */
export class MallocTrimmer {
  private timer: NodeJS.Timeout | undefined;
  private baseline: number;

  constructor(private readonly o: MallocTrimmerOptions) {
    this.baseline = o.rss();
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.o.intervalMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One check: trims when the RSS grew past the threshold since the last trim. Returns whether it trimmed. */
  check(): boolean {
    const before = this.o.rss();
    if (before < this.baseline) this.baseline = before;
    if (before - this.baseline < (this.o.growthBytes ?? 16 * 2 ** 20)) return false;
    const started = performance.now();
    this.o.trim();
    const after = this.o.rss();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    this.baseline = after;
    if (before > after) this.o.released.inc(before - after);
    this.o.log.debug({ event: 'mallocTrimmed', rssBefore: before, rssAfter: after, durationMs }, 'returned free C heap to the kernel');
    return true;
  }
}
