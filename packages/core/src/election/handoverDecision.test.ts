import { describe, expect, it } from 'vitest';
import { handoverDecision, type HandoverFacts } from './handoverDecision.js';

const base: HandoverFacts = { owner: false, announcing: true, successor: { claimed: false }, lostAtMs: 1_000, nowMs: 1_000, timeoutMs: 2_000 };

describe('handoverDecision', () => {
  it.each([
    ['the owner answers', { owner: true }, true, 'Owner'],
    ['the owner answers even before it announced', { owner: true, announcing: false }, true, 'Owner'],
    ['a node that does not answer has nothing to hand over', { announcing: false }, false, 'NotOwner'],
    ['a node that does not answer stays silent after the timeout too', { announcing: false, nowMs: 9_000 }, false, 'NotOwner'],
    ['the old owner keeps answering while the successor has not claimed', {}, true, 'AwaitingSuccessor'],
    ['... right up to the timeout', { nowMs: 2_999 }, true, 'AwaitingSuccessor'],
    ['the old owner stops at the timeout without a claim', { nowMs: 3_000 }, false, 'HandoverTimeout'],
    ['the old owner stops as soon as the successor claims', { successor: { claimed: true } }, false, 'SuccessorClaimed'],
    ['a claim after the timeout still reads as a claim', { successor: { claimed: true }, nowMs: 9_000 }, false, 'SuccessorClaimed'],
    ['with no node allowed to announce, stop at once', { successor: undefined }, false, 'NoSuccessor'],
  ] as const)('%s', (_name, over, answer, reason) => {
    expect(handoverDecision({ ...base, ...(over as Partial<HandoverFacts>) })).toEqual({ answer, reason });
  });

  it('a story: failback to a restarted node keeps one voice at every step', () => {
    // t=0 this node owns; t=10 the restarted node becomes ready and wins; t=150 its heartbeat lists the address.
    const steps: [Partial<HandoverFacts>, boolean][] = [
      [{ owner: true, nowMs: 0 }, true],
      [{ owner: false, lostAtMs: 10, nowMs: 10 }, true],
      [{ owner: false, lostAtMs: 10, nowMs: 100 }, true],
      [{ owner: false, lostAtMs: 10, nowMs: 150, successor: { claimed: true } }, false],
      [{ owner: false, announcing: false, lostAtMs: 10, nowMs: 200, successor: { claimed: true } }, false],
    ];
    for (const [facts, answer] of steps) expect(handoverDecision({ ...base, ...facts }).answer).toBe(answer);
  });
});
