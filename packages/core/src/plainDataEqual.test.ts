import { describe, expect, it } from 'vitest';
import { plainDataEqual } from './plainDataEqual.js';

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

describe('plainDataEqual', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal strings', 'a', 'a', true],
    ['different numbers', 1, 2, false],
    ['equal bigints (IP addresses hold one)', 2n ** 100n, 2n ** 100n, true],
    ['different bigints', 1n, 2n, false],
    ['a bigint and a number', 1n, 1, false],
    ['null and an empty object', null, {}, false],
    ['equal nested objects, other key order', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, true],
    ['a property that is undefined counts as absent (as in JSON)', { a: 1, b: undefined }, { a: 1 }, true],
    ['a missing property', { a: 1, b: 2 }, { a: 1 }, false],
    ['an extra property on the right', { a: 1 }, { a: 1, b: 2 }, false],
    ['arrays of different length', [1, 2], [1, 2, 3], false],
    ['an array and an object with the same indexes', [1], { 0: 1 }, false],
    ['the same element in another order', ['x', 'y'], ['y', 'x'], false],
    ['equal address facts', { address: { family: 6, value: 1n }, pool: { name: 'p', labels: { a: 'b' } }, services: [{ key: 'ns/s', local: false, endpoints: [{ nodeName: 'n1', ready: true, serving: true }] }], answered: true },
      { address: { family: 6, value: 1n }, pool: { name: 'p', labels: { a: 'b' } }, services: [{ key: 'ns/s', local: false, endpoints: [{ nodeName: 'n1', ready: true, serving: true }] }], answered: true }, true],
    ['address facts whose endpoint turned not ready', { services: [{ endpoints: [{ ready: true }] }] }, { services: [{ endpoints: [{ ready: false }] }] }, false],
  ])('%s', (_name, a, b, equal) => {
    expect(plainDataEqual(a, b)).toBe(equal);
    expect(plainDataEqual(b, a)).toBe(equal);
  });

  it('agrees with comparing JSON for plain data whose keys are in the same order', () => {
    const values: unknown[] = [0, 1, 'x', true, false, null, [], {}, [1], { a: 1 }, { a: [1, { b: 2n }] }, { a: [1, { b: 3n }] }, { a: 1, b: undefined }];
    for (const a of values) for (const b of values) expect(plainDataEqual(a, b)).toBe(json(a) === json(b));
  });
});
