import { describe, expect, it } from 'vitest';
import { DEFAULT_STATUS_WRITE_WINDOW, statusWriteOutcome, statusWriteWindow, type StatusWriteWindowInput } from './statusWriteWindow.js';

const limits = { min: 4, max: 32, slowMs: 1_000 };
const input = (over: Partial<StatusWriteWindowInput>): StatusWriteWindowInput => ({ window: 8, outcome: 'Written', latencyMs: 20, backlog: 100, limits, ...over });

describe('statusWriteWindow', () => {
  it.each([
    ['a prompt write with a backlog widens by one', {}, 9],
    ['never beyond the maximum', { window: 32 }, 32],
    ['no backlog: nothing to widen for', { backlog: 0 }, 8],
    ['a slow write holds the window', { latencyMs: 1_500 }, 8],
    ['a refusal (409, 404, 422) says nothing about load', { outcome: 'Refused' }, 8],
    ['throttled (429 or 5xx): halved', { outcome: 'Throttled', window: 20 }, 10],
    ['no answer: halved', { outcome: 'Failed', window: 20 }, 10],
    ['never below the minimum', { outcome: 'Throttled', window: 5 }, 4],
    ['a window below the minimum (limits changed) comes back up', { window: 1, backlog: 0 }, 4],
  ] as const)('%s', (_name, over, expected) => {
    expect(statusWriteWindow(input(over as Partial<StatusWriteWindowInput>))).toBe(expected);
  });

  it.each([
    ['200', 200, 'Written'],
    ['409 conflict', 409, 'Refused'],
    ['404 gone', 404, 'Refused'],
    ['422 invalid', 422, 'Refused'],
    ['429 priority and fairness', 429, 'Throttled'],
    ['500', 500, 'Throttled'],
    ['503', 503, 'Throttled'],
    ['no answer', undefined, 'Failed'],
  ] as const)('statusWriteOutcome: %s is %s', (_name, code, outcome) => {
    expect(statusWriteOutcome(code)).toBe(outcome);
  });

  it('from the minimum to the maximum in one backlog of prompt writes, doubling per round trip', () => {
    let w = DEFAULT_STATUS_WRITE_WINDOW.min;
    const perRound: number[] = [];
    for (let round = 0; round < 4; round++) {
      const ending = w;
      for (let i = 0; i < ending; i++) w = statusWriteWindow({ window: w, outcome: 'Written', latencyMs: 10, backlog: 1_000, limits: DEFAULT_STATUS_WRITE_WINDOW });
      perRound.push(w);
    }
    expect(perRound).toEqual([8, 16, 32, 32]);
  });
});
