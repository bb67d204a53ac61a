import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { trimMalloc } from '../../packages/speaker/src/native/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * The real addon against the real C library: Buffers' memory comes from malloc. Freeing 15 of every 16
 * of 24,000 leaves ~85 MiB free in the middle of glibc's heap, which it keeps resident by itself (the
 * speaker's 212 MiB after a burst, bench/speaker/addressMemory.ts); trimMalloc must return it.
 */
describe('trimMalloc (herald_net)', () => {
  it('returns the free middle of the C heap to the kernel', async () => {
    const kept: Buffer[] = [];
    let all: (Buffer | undefined)[] = Array.from({ length: 24_000 }, () => Buffer.alloc(4_000, 1));
    for (let i = 15; i < all.length; i += 16) kept.push(all[i]!);
    all = [];
    gc();
    gc();
    // Backing stores are freed by V8's concurrent sweeper: give it a moment.
    await new Promise((r) => setTimeout(r, 500));
    const before = process.memoryUsage.rss();
    expect(trimMalloc()).toBe(true);
    const after = process.memoryUsage.rss();
    expect(before - after).toBeGreaterThan(30 * 2 ** 20);
    expect(kept.every((b) => b[0] === 1 && b[3_999] === 1)).toBe(true);
  });
});
