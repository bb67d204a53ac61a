import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINE_BUDGET } from './membershipThreadDeadline.js';
import {
  judgeRealtimeDutyCycle,
  NICE_SCHEDULING,
  REALTIME_SCHEDULING,
  THREAD_SCHEDULING_REFUSAL_REASONS,
  threadSchedulingRefusal,
  threadSchedulingSteps,
  type DutyCycleFacts,
  type DutyCycleJudgement,
  type MembershipThreadPriority,
  type ThreadScheduling,
  type ThreadSchedulingRefusalReason,
} from './membershipThreadPriority.js';

describe('threadSchedulingSteps: what the membership thread asks the kernel for, in order', () => {
  it.each<{ setting: MembershipThreadPriority; want: readonly ThreadScheduling[] }>([
    { setting: 'deadline', want: [{ policy: 'deadline', runtimeUs: 2_000, deadlineUs: 10_000, periodUs: 10_000 }] },
    { setting: 'realtime', want: [{ policy: 'rr', priority: 1 }, { policy: 'other', nice: -10 }] },
    { setting: 'nice', want: [{ policy: 'other', nice: -10 }] },
    { setting: 'off', want: [] },
  ])('$setting', ({ setting, want }) => {
    expect(threadSchedulingSteps(setting)).toEqual(want);
  });

  it.each<{ setting: MembershipThreadPriority; want: readonly ThreadScheduling[] }>([
    { setting: 'deadline', want: [{ policy: 'deadline', runtimeUs: 500, deadlineUs: 20_000, periodUs: 20_000 }] },
    { setting: 'realtime', want: [REALTIME_SCHEDULING, NICE_SCHEDULING] },
    { setting: 'off', want: [] },
  ])('a budget of 0.5 ms every 20 ms: $setting', ({ setting, want }) => {
    expect(threadSchedulingSteps(setting, { runtimeUs: 500, periodUs: 20_000 })).toEqual(want);
  });

  it('the default budget: 2 ms every 10 ms, 20 % of a CPU', () => {
    expect(DEFAULT_DEADLINE_BUDGET).toEqual({ runtimeUs: 2_000, periodUs: 10_000 });
  });
});

describe('threadSchedulingRefusal: why, from the errno code, as a reason value and in words', () => {
  const DEADLINE: ThreadScheduling = { policy: 'deadline', runtimeUs: 2_000, deadlineUs: 10_000, periodUs: 10_000 };
  it.each<{ step: ThreadScheduling; code: string | undefined; reason: ThreadSchedulingRefusalReason; detail: RegExp }>([
    { step: REALTIME_SCHEDULING, code: 'EPERM', reason: 'NotPermitted', detail: /lacks CAP_SYS_NICE, or its CPU cgroup has no real-time runtime/ },
    { step: NICE_SCHEDULING, code: 'EACCES', reason: 'NotPermitted', detail: /^not permitted: the container lacks CAP_SYS_NICE$/ },
    { step: NICE_SCHEDULING, code: 'EPERM', reason: 'NotPermitted', detail: /^not permitted: the container lacks CAP_SYS_NICE$/ },
    { step: REALTIME_SCHEDULING, code: 'EINVAL', reason: 'Refused', detail: /^refused by the kernel \(EINVAL\)$/ },
    { step: NICE_SCHEDULING, code: undefined, reason: 'Refused', detail: /^refused by the kernel \(unknown error\)$/ },
    { step: DEADLINE, code: 'EPERM', reason: 'NotPermitted', detail: /^not permitted: the container lacks CAP_SYS_NICE, or the thread may run on fewer CPUs than .*\(a cpuset\)$/ },
    { step: DEADLINE, code: 'EACCES', reason: 'NotPermitted', detail: /^not permitted: the container lacks CAP_SYS_NICE, or the thread may run on fewer CPUs/ },
    { step: DEADLINE, code: 'EBUSY', reason: 'NotAdmitted', detail: /^not admitted: the deadline threads on this host already hold the CPU bandwidth the kernel allows them \(kernel.sched_rt_runtime_us/ },
    { step: DEADLINE, code: 'EINVAL', reason: 'Invalid', detail: /^refused by the kernel \(EINVAL\): no SCHED_DEADLINE in this kernel, or the period is outside kernel.sched_deadline_period_min_us..max_us$/ },
    { step: DEADLINE, code: 'E2BIG', reason: 'Refused', detail: /^refused by the kernel \(E2BIG\)$/ },
    { step: REALTIME_SCHEDULING, code: 'EBUSY', reason: 'Refused', detail: /^refused by the kernel \(EBUSY\)$/ },
  ])('$step.policy, $code → $reason', ({ step, code, reason, detail }) => {
    const r = threadSchedulingRefusal(step, code);
    expect(r.reason).toBe(reason);
    expect(r.detail).toMatch(detail);
  });

  it('every reason value is listed (the metric labels)', () => {
    expect(THREAD_SCHEDULING_REFUSAL_REASONS).toEqual(['NotPermitted', 'NotAdmitted', 'Invalid', 'Refused']);
  });
});

describe('judgeRealtimeDutyCycle: a real-time membership thread keeping a CPU busy is demoted after three looks', () => {
  const s = 1e9;
  it.each<{ name: string; f: DutyCycleFacts; want: DutyCycleJudgement }>([
    { name: 'idle (2 % of a CPU): keep', f: { cpuNs: 0.02 * s, windowNs: s, overBefore: 0 }, want: { decision: 'Keep', over: 0, share: 0.02 } },
    { name: 'exactly half a CPU: keep (not over)', f: { cpuNs: 0.5 * s, windowNs: s, overBefore: 2 }, want: { decision: 'Keep', over: 0, share: 0.5 } },
    { name: 'a busy second (60 %): keep, counted', f: { cpuNs: 0.6 * s, windowNs: s, overBefore: 0 }, want: { decision: 'Keep', over: 1, share: 0.6 } },
    { name: 'second busy second: keep', f: { cpuNs: 0.9 * s, windowNs: s, overBefore: 1 }, want: { decision: 'Keep', over: 2, share: 0.9 } },
    { name: 'third busy second in a row: demote', f: { cpuNs: 1 * s, windowNs: s, overBefore: 2 }, want: { decision: 'Demote', over: 3, share: 1 } },
    { name: 'a quiet second resets the count', f: { cpuNs: 0.1 * s, windowNs: s, overBefore: 2 }, want: { decision: 'Keep', over: 0, share: 0.1 } },
    { name: 'a late look (2 s window, 1.2 s of CPU): 60 %, counted', f: { cpuNs: 1.2 * s, windowNs: 2 * s, overBefore: 0 }, want: { decision: 'Keep', over: 1, share: 0.6 } },
    { name: 'no time passed: keep, nothing counted', f: { cpuNs: 5, windowNs: 0, overBefore: 1 }, want: { decision: 'Keep', over: 1, share: 0 } },
  ])('$name', ({ f, want }) => {
    expect(judgeRealtimeDutyCycle(f)).toEqual(want);
  });
});
