import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';

describe('readConfig() write backoff', () => {
  it('defaults to 1 s doubling up to 5 min', () => {
    expect(readConfig([], {})).toMatchObject({ writeBackoffInitialMs: 1_000, writeBackoffMaxMs: 300_000 });
  });

  it('takes both bounds from flags', () => {
    expect(readConfig(['--write-backoff-initial', '250', '--write-backoff-max', '2000'], {})).toMatchObject({ writeBackoffInitialMs: 250, writeBackoffMaxMs: 2_000 });
  });

  it.each([
    ['a cap below the first delay', ['--write-backoff-initial', '5000', '--write-backoff-max', '1000'], /--write-backoff-max \(1000\) must not be below --write-backoff-initial \(5000\)/],
    ['zero', ['--write-backoff-max', '0'], /--write-backoff-max must be a positive whole number of milliseconds, not "0"/],
    ['a unit suffix', ['--write-backoff-initial', '1s'], /--write-backoff-initial must be a positive whole number of milliseconds, not "1s"/],
  ])('refuses %s, naming the flag', (_name, argv, error) => {
    expect(() => readConfig(argv, {})).toThrow(error);
  });
});
