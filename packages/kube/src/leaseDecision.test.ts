import { describe, expect, it } from 'vitest';
import { decideLease, leaseStillHeld, observeLease, type LeaseDecisionInput, type LeaseObservation, type LeaseRecordView } from './leaseDecision.js';

const ME = 'replica-a';
const OTHER = 'replica-b';
const LEASE = 15_000;
const DEADLINE = 10_000;

const record = (version: string, holder: string | undefined, leaseDurationMs = LEASE): LeaseRecordView => ({ version, holder, leaseDurationMs });
const seen = (r: LeaseRecordView, observedAtMs: number): LeaseObservation => ({ ...r, observedAtMs });
const input = (o: Partial<LeaseDecisionInput>): LeaseDecisionInput => ({ identity: ME, nowMs: 100_000, renewDeadlineMs: DEADLINE, record: undefined, observed: undefined, renewedAtMs: undefined, ...o });

describe('decideLease', () => {
  it.each<{ name: string; i: Partial<LeaseDecisionInput>; action: string; reason: string; expiresInMs?: number }>([
    { name: 'no Lease: a standby creates it', i: {}, action: 'create', reason: 'LeaseAbsent' },
    { name: 'no Lease while leading (deleted under us): create it again', i: { renewedAtMs: 99_000 }, action: 'create', reason: 'LeaseAbsent' },
    { name: 'first sight of another holder: wait a whole leaseDuration from now', i: { record: record('7', OTHER) }, action: 'wait', reason: 'HeldByOther', expiresInMs: LEASE },
    {
      name: 'record unchanged since we first saw it, not yet leaseDuration: wait',
      i: { record: record('7', OTHER), observed: seen(record('7', OTHER), 90_000) },
      action: 'wait',
      reason: 'HeldByOther',
      expiresInMs: 5_000,
    },
    { name: 'record unchanged for exactly leaseDuration: acquire', i: { record: record('7', OTHER), observed: seen(record('7', OTHER), 85_000) }, action: 'acquire', reason: 'HolderExpired' },
    {
      name: 'the holder renewed (new version) just before expiry: the clock starts again',
      i: { record: record('8', OTHER), observed: seen(record('7', OTHER), 80_000) },
      action: 'wait',
      reason: 'HeldByOther',
      expiresInMs: LEASE,
    },
    {
      name: 'expiry uses the holder\'s leaseDuration, not ours',
      i: { record: record('7', OTHER, 60_000), observed: seen(record('7', OTHER, 60_000), 80_000) },
      action: 'wait',
      reason: 'HeldByOther',
      expiresInMs: 40_000,
    },
    { name: 'released (empty holder): acquire at once', i: { record: record('9', undefined) }, action: 'acquire', reason: 'NoHolder' },
    { name: 'the record names this identity though we do not lead (restart, same Pod): take it back', i: { record: record('5', ME) }, action: 'acquire', reason: 'HeldByThisIdentity' },
    { name: 'leading, record still ours, within renewDeadline: renew', i: { record: record('5', ME), renewedAtMs: 98_000 }, action: 'renew', reason: 'HeldByUs' },
    { name: 'leading, last renewal renewDeadline ago: step down even though the record is ours', i: { record: record('5', ME), renewedAtMs: 90_000 }, action: 'stepDown', reason: 'RenewDeadlineExceeded' },
    { name: 'leading, no record read (call failed), deadline passed: step down', i: { renewedAtMs: 89_999 }, action: 'stepDown', reason: 'RenewDeadlineExceeded' },
    { name: 'leading, but the record names another holder: step down now, not at the deadline', i: { record: record('6', OTHER), renewedAtMs: 99_500 }, action: 'stepDown', reason: 'TakenByOther' },
    { name: 'leading, record released by someone else: take it again', i: { record: record('6', undefined), renewedAtMs: 99_500 }, action: 'acquire', reason: 'NoHolder' },
  ])('$name', ({ i, action, reason, expiresInMs }) => {
    const d = decideLease(input(i));
    expect(d.action).toBe(action);
    expect(d.reason).toBe(reason);
    if (expiresInMs !== undefined) expect(d.expiresInMs).toBe(expiresInMs);
  });

  it('a standby keeps the time it first saw a version, whatever the wall clocks of the two machines say', () => {
    // Story with a fake monotonic clock: the holder renews every 2 s for a while, then stops.
    let now = 1_000;
    let observed: LeaseObservation | undefined;
    const poll = (r: LeaseRecordView) => {
      const d = decideLease({ identity: ME, nowMs: now, renewDeadlineMs: DEADLINE, record: r, observed, renewedAtMs: undefined });
      observed = d.observed;
      return d;
    };
    for (let v = 1; v <= 10; v++, now += 2_000) expect(poll(record(String(v), OTHER)).action).toBe('wait');
    // The holder froze after version 10 (seen at now - 2 s). Polls at 2 s intervals wait until a whole leaseDuration passed.
    const frozenSeenAt = now - 2_000;
    const actions: string[] = [];
    for (; now <= frozenSeenAt + LEASE + 2_000; now += 1_000) actions.push(poll(record('10', OTHER)).action);
    expect(actions.indexOf('acquire')).toBe(LEASE / 1_000 - 2);
    expect(observed?.observedAtMs).toBe(frozenSeenAt);
  });

  it('a process that starts late waits a full leaseDuration even for an old record (it cannot know how old it is)', () => {
    expect(decideLease(input({ nowMs: 10_000_000, record: record('3', OTHER) })).action).toBe('wait');
  });
});

describe('leaseStillHeld', () => {
  it.each([
    { name: 'not leading', renewedAtMs: undefined, nowMs: 0, held: false },
    { name: 'just renewed', renewedAtMs: 1_000, nowMs: 1_000, held: true },
    { name: 'one ms before the deadline', renewedAtMs: 1_000, nowMs: 1_000 + DEADLINE - 1, held: true },
    { name: 'at the deadline', renewedAtMs: 1_000, nowMs: 1_000 + DEADLINE, held: false },
    { name: 'long frozen (SIGSTOP) and resumed', renewedAtMs: 1_000, nowMs: 60_000, held: false },
  ])('$name → $held', ({ renewedAtMs, nowMs, held }) => {
    expect(leaseStillHeld({ renewedAtMs, nowMs, renewDeadlineMs: DEADLINE })).toBe(held);
  });
});

describe('observeLease', () => {
  it('keeps the first observation of an unchanged version and restarts on a new one', () => {
    const first = observeLease(undefined, record('1', OTHER), 5);
    expect(first).toEqual({ version: '1', holder: OTHER, leaseDurationMs: LEASE, observedAtMs: 5 });
    expect(observeLease(first, record('1', OTHER), 500)).toBe(first);
    expect(observeLease(first, record('2', OTHER), 500)?.observedAtMs).toBe(500);
    expect(observeLease(first, undefined, 500)).toBeUndefined();
  });
});
