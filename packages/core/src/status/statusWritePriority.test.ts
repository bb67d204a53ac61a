import { describe, expect, it } from 'vitest';
import { statusWritePriority } from './statusWritePriority.js';

describe('statusWritePriority', () => {
  it.each([
    ['the owner moved from another node (failover)', { kind: 'Owner', previousNode: 'b' }, 'OwnerChanged'],
    ['a named node no longer answers and nobody does', { kind: 'NoOwner', previousNode: 'b' }, 'OwnerChanged'],
    ['a first status for a new address', { kind: 'Owner', previousNode: undefined }, 'Routine'],
    ['a detail of the same owner, or a no-owner reason changing', { kind: 'NoOwner', previousNode: undefined }, 'Routine'],
  ] as const)('%s', (_name, plan, expected) => {
    expect(statusWritePriority({ write: true, status: {}, ...plan })).toBe(expected);
  });
});
