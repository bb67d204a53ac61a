import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MallocTrimmer } from './mallocTrimmer.js';

const MiB = 2 ** 20;

function setup(rss: number[]) {
  let i = 0;
  let trims = 0;
  const released = new Counter({ name: 'released', help: 'h', registers: [new Registry()] });
  // Each rss() call reads the next value; a trim is what makes the next reading lower.
  const t = new MallocTrimmer({ trim: () => (trims++, true), rss: () => rss[Math.min(i++, rss.length - 1)]!, log: pino({ level: 'silent' }), released, growthBytes: 16 * MiB });
  return { t, trims: () => trims, released: async () => (await released.get()).values[0]!.value };
}

describe('MallocTrimmer', () => {
  it.each([
    // [name, rss readings (first is the baseline at construction), checks, trims expected]
    ['idle: the RSS does not grow, never trims', [100, 101, 100, 102], 3, 0],
    ['grew 15 MiB: below the threshold', [100, 115], 1, 0],
    ['grew 16 MiB: trims once', [100, 116, 104], 1, 1],
    ['after a trim the baseline is the trimmed RSS', [100, 130, 105, 120, 121, 104], 3, 2],
    ['a drop lowers the baseline: growth counts from the lowest RSS', [100, 90, 106, 95], 2, 1],
  ] as const)('%s', (_name, readings, checks, expected) => {
    const s = setup(readings.map((m) => m * MiB));
    for (let c = 0; c < checks; c++) s.t.check();
    expect(s.trims()).toBe(expected);
  });

  it('counts the bytes the trim returned', async () => {
    const s = setup([100 * MiB, 300 * MiB, 120 * MiB]);
    expect(s.t.check()).toBe(true);
    expect(await s.released()).toBe(180 * MiB);
  });
});
