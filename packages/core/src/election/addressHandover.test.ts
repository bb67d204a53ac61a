import { describe, expect, it } from 'vitest';
import { addressHandover, type AddressHandoverFacts } from './addressHandover.js';

const base: AddressHandoverFacts = { owner: false, successor: 'n2', held: true, lostAtMs: undefined, wireClaimed: false, successorAnnouncing: false, nowMs: 10_000, timeoutMs: 2_000 };

describe('addressHandover', () => {
  it.each([
    ['the owner answers and forgets any hand-over clock', { owner: true, successor: undefined, lostAtMs: 9_000 }, 'own', 'Owner', undefined, undefined],
    ['a node that does not answer has nothing to hand over', { held: false }, 'none', 'NotOwner', undefined, undefined],
    ['an old owner starts the clock and keeps answering', {}, 'keep', 'AwaitingSuccessor', 10_000, 12_000],
    ['an old owner keeps the clock it started earlier', { lostAtMs: 9_000 }, 'keep', 'AwaitingSuccessor', 9_000, 11_000],
    ['it stops once the successor lists the address in its heartbeat', { successorAnnouncing: true }, 'none', 'SuccessorClaimed', 10_000, undefined],
    ['it stops once the successor claimed it on the wire', { wireClaimed: true, lostAtMs: 9_500 }, 'none', 'SuccessorClaimed', 9_500, undefined],
    ['it stops when the successor never claims it in time', { lostAtMs: 8_000 }, 'none', 'HandoverTimeout', 8_000, undefined],
    ['it stops at once when nobody may announce the address', { successor: undefined }, 'none', 'NoSuccessor', 10_000, undefined],
  ] as const)('%s', (_name, over, answer, reason, lostAtMs, deadlineMs) => {
    expect(addressHandover({ ...base, ...(over as Partial<AddressHandoverFacts>) })).toEqual({ answer, reason, lostAtMs, deadlineMs });
  });
});
