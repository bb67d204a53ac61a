import { describe, expect, it } from 'vitest';
import { planWriteRetry, retryAfterMs, type WriteRetryDecision, type WriteRetryInput } from './planWriteRetry.js';
import { writeFailureReason } from './writeFailureReason.js';

const base = { initialMs: 1_000, maxMs: 300_000, jitter: 0 };

describe('planWriteRetry()', () => {
  it.each<[string, Partial<WriteRetryInput> & { code: number | undefined; failures: number }, WriteRetryDecision]>([
    ['a first 500 retries after the initial delay', { code: 500, failures: 1 }, { action: 'retry', reason: 'ServerError', delayMs: 1_000 }],
    ['the delay doubles per failure', { code: 503, failures: 4 }, { action: 'retry', reason: 'ServerError', delayMs: 8_000 }],
    ['the delay never exceeds the cap', { code: 500, failures: 12 }, { action: 'retry', reason: 'ServerError', delayMs: 300_000 }],
    ['thousands of failures still give the cap, not Infinity', { code: 500, failures: 5_000 }, { action: 'retry', reason: 'ServerError', delayMs: 300_000 }],
    ['no answer at all backs off', { code: undefined, failures: 2 }, { action: 'retry', reason: 'Unreachable', delayMs: 2_000 }],
    ['403 keeps probing (RBAC is fixed out of band) with backoff', { code: 403, failures: 3 }, { action: 'retry', reason: 'Forbidden', delayMs: 4_000 }],
    ['403 reaches the cap and stays there', { code: 403, failures: 40 }, { action: 'retry', reason: 'Forbidden', delayMs: 300_000 }],
    ['401 (token expired) keeps probing', { code: 401, failures: 1 }, { action: 'retry', reason: 'Unauthorized', delayMs: 1_000 }],
    ['409 conflict retries', { code: 409, failures: 1 }, { action: 'retry', reason: 'Conflict', delayMs: 1_000 }],
    ['429 without Retry-After backs off', { code: 429, failures: 2 }, { action: 'retry', reason: 'TooManyRequests', delayMs: 2_000 }],
    ['429 honours Retry-After exactly', { code: 429, failures: 1, retryAfterMs: 7_000 }, { action: 'retry', reason: 'TooManyRequests', delayMs: 7_000 }],
    ['Retry-After beyond the cap is cut to the cap', { code: 429, failures: 1, retryAfterMs: 900_000 }, { action: 'retry', reason: 'TooManyRequests', delayMs: 300_000 }],
    ['503 with Retry-After honours it', { code: 503, failures: 6, retryAfterMs: 1_000 }, { action: 'retry', reason: 'ServerError', delayMs: 1_000 }],
    ['422 stops: the same body would be refused again', { code: 422, failures: 1 }, { action: 'stop', reason: 'Invalid' }],
    ['400 stops', { code: 400, failures: 1 }, { action: 'stop', reason: 'Rejected' }],
    ['405 stops', { code: 405, failures: 3 }, { action: 'stop', reason: 'Rejected' }],
    ['413 stops', { code: 413, failures: 1 }, { action: 'stop', reason: 'Rejected' }],
    ['404 drops: the object is gone', { code: 404, failures: 1 }, { action: 'drop', reason: 'NotFound' }],
    ['full jitter shortens by at most 20%', { code: 500, failures: 3, jitter: 0.999999 }, { action: 'retry', reason: 'ServerError', delayMs: 3_200 }],
    ['half jitter shortens by 10%', { code: 500, failures: 1, jitter: 0.5 }, { action: 'retry', reason: 'ServerError', delayMs: 900 }],
    ['a short cap (tests) is honoured', { code: 403, failures: 5, initialMs: 250, maxMs: 2_000 }, { action: 'retry', reason: 'Forbidden', delayMs: 2_000 }],
  ])('%s', (_name, input, expected) => {
    expect(planWriteRetry({ ...base, ...input })).toEqual(expected);
  });

  it('refuses nonsense bounds instead of spinning', () => {
    expect(() => planWriteRetry({ ...base, code: 500, failures: 1, initialMs: 0 })).toThrow(/initialMs/);
    expect(() => planWriteRetry({ ...base, code: 500, failures: 1, maxMs: 10 })).toThrow(/initialMs <= maxMs/);
    expect(() => planWriteRetry({ ...base, code: 500, failures: 0 })).toThrow(/failures/);
  });

  it('the delay never shrinks as failures grow (story over 30 failures)', () => {
    let last = 0;
    for (let failures = 1; failures <= 30; failures++) {
      const d = planWriteRetry({ ...base, code: 403, failures });
      expect(d.action).toBe('retry');
      const delay = (d as { delayMs: number }).delayMs;
      expect(delay).toBeGreaterThanOrEqual(last);
      expect(delay).toBeLessThanOrEqual(base.maxMs);
      last = delay;
    }
    expect(last).toBe(base.maxMs);
  });
});

describe('writeFailureReason()', () => {
  it.each([
    [401, 'Unauthorized'], [403, 'Forbidden'], [404, 'NotFound'], [409, 'Conflict'], [422, 'Invalid'], [429, 'TooManyRequests'],
    [400, 'Rejected'], [410, 'Rejected'], [500, 'ServerError'], [504, 'ServerError'], [undefined, 'Unreachable'], [0, 'Unreachable'],
  ] as const)('%s is %s', (code, reason) => {
    expect(writeFailureReason(code)).toBe(reason);
  });
});

describe('retryAfterMs()', () => {
  it.each([
    ['whole seconds', '3', 3_000],
    ['surrounding space', ' 1 ', 1_000],
    ['zero', '0', 0],
    ['absent', undefined, undefined],
    ['an HTTP date (Kubernetes never sends one)', 'Wed, 21 Oct 2015 07:28:00 GMT', undefined],
    ['a negative number', '-5', undefined],
    ['a fraction', '1.5', undefined],
  ] as const)('%s', (_name, header, expected) => {
    expect(retryAfterMs(header)).toBe(expected);
  });
});
