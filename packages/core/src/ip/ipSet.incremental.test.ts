import { describe, expect, it } from 'vitest';
import { IPSet } from './ipSet.js';

// The allocator keeps its used-address set with withAddress/withoutAddress; they must agree with a plain set.
describe('IPSet.withAddress / withoutAddress', () => {
  it('agree with a reference set over 20,000 random steps, and stay canonical', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return Math.abs(seed) % n;
    };
    let set = IPSet.empty;
    const ref = new Set<number>();
    for (let step = 0; step < 20_000; step++) {
      const v = rand(64);
      const family = rand(5) === 0 ? 6 : 4;
      const key = family * 1000 + v;
      if (rand(2) === 0) {
        set = set.withAddress({ family, value: BigInt(v) });
        ref.add(key);
      } else {
        set = set.withoutAddress({ family, value: BigInt(v) });
        ref.delete(key);
      }
      if (step % 97 === 0) {
        for (let x = 0; x < 64; x++) {
          for (const f of [4, 6] as const) expect(set.contains({ family: f, value: BigInt(x) }), `step ${step} v${f} ${x}`).toBe(ref.has(f * 1000 + x));
        }
        expect(IPSet.of(set.ranges).equals(set)).toBe(true);
        expect(set.size()).toBe(BigInt(ref.size));
      }
    }
  });
});
