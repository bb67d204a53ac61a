import { describe, expect, it } from 'vitest';
import type { PoolVerdict } from '@herald/core';
import { desiredPoolStatus } from './poolStatus.js';

const usage = { v4: { total: 16n, inUse: 3n }, v6: { total: 1n << 64n, inUse: 2n } };
const valid: PoolVerdict = { pool: 'web', valid: true, reason: 'Valid', message: '16 IPv4 addresses' };
const conflict: PoolVerdict = { pool: 'web', valid: false, reason: 'Conflict', message: 'overlaps pool "older"', conflictsWith: 'older' };

describe('desiredPoolStatus', () => {
  it.each([
    ['a valid pool counts what is free (exactly, even for a /64)', valid, { availableIPv4: 13, available: ((1n << 64n) - 2n + 13n).toString(), assigned: 5 }],
    ['an invalid pool hands out nothing: AVAILABLE is 0, its kept addresses still count as assigned', conflict, { availableIPv4: 0, availableIPv6: 0, available: '0', assigned: 5, assignedIPv4: 3 }],
  ] as const)('%s', (_name, verdict, counts) => {
    expect(desiredPoolStatus(usage, verdict).counts).toMatchObject(counts);
  });
});
