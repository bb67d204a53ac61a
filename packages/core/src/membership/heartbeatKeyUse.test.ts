import { describe, expect, it } from 'vitest';
import { heartbeatKeyUse } from './heartbeatKeyUse.js';

const GRACE = 60_000;

describe('heartbeatKeyUse', () => {
  it.each([
    { name: 'never rotated: sign and accept the current key', rotatedAtMs: undefined, nowMs: 5_000, sign: 'current', accept: ['current'] },
    { name: 'just rotated: keep signing with the previous key, accept both', rotatedAtMs: 10_000, nowMs: 10_000, sign: 'previous', accept: ['previous', 'current'] },
    { name: 'just before grace ends: still the previous key', rotatedAtMs: 10_000, nowMs: 10_000 + GRACE - 1, sign: 'previous', accept: ['previous', 'current'] },
    { name: 'grace over: sign with the new key, still accept the previous one', rotatedAtMs: 10_000, nowMs: 10_000 + GRACE, sign: 'current', accept: ['current', 'previous'] },
    { name: 'two graces over: the previous key is forgotten', rotatedAtMs: 10_000, nowMs: 10_000 + 2 * GRACE, sign: 'current', accept: ['current'] },
  ])('$name', ({ rotatedAtMs, nowMs, sign, accept }) => {
    expect(heartbeatKeyUse({ ...(rotatedAtMs === undefined ? {} : { rotatedAtMs }), nowMs, graceMs: GRACE })).toEqual({ sign, accept });
  });

  it('two nodes that see the change up to grace apart always verify each other', () => {
    for (const skew of [0, 1, 30_000, GRACE - 1]) {
      const a = 1_000_000;
      const b = a + skew;
      for (let now = a - 1_000; now < b + 3 * GRACE; now += 997) {
        const ua = heartbeatKeyUse({ ...(now >= a ? { rotatedAtMs: a } : {}), nowMs: now, graceMs: GRACE });
        const ub = heartbeatKeyUse({ ...(now >= b ? { rotatedAtMs: b } : {}), nowMs: now, graceMs: GRACE });
        // A slot names the same bytes on both nodes only once both have seen the change; before that,
        // b's "current" is a's "previous".
        const bytes = (use: 'current' | 'previous', seen: boolean) => (seen ? (use === 'current' ? 'new' : 'old') : 'old');
        const aSigns = bytes(ua.sign, now >= a);
        const bSigns = bytes(ub.sign, now >= b);
        expect(ub.accept.map((s) => bytes(s, now >= b)), `skew ${skew} at +${now - a}: b verifies a`).toContain(aSigns);
        expect(ua.accept.map((s) => bytes(s, now >= a)), `skew ${skew} at +${now - a}: a verifies b`).toContain(bSigns);
      }
    }
  });
});
