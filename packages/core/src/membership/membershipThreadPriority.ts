import { DEFAULT_DEADLINE_BUDGET, type DeadlineBudget } from './membershipThreadDeadline.js';

/**
 * The CPU priority of the speaker's membership thread, which sends heartbeats and answers ARP/NDP (ADR 0012,
 * "The membership thread's priority"). On a busy node that thread waited for a CPU for milliseconds: a
 * reply's p99 was the run queue's, not herald's. Measured on a shared 2-core host, a raised nice value
 * did not shorten the wait (CFS weighs nice only against threads of the same group; the wait is behind other
 * groups), SCHED_RR did. `realtime` asks for SCHED_RR at priority 1 (the lowest real-time priority: above
 * every normal thread, below every real-time one), then for nice -10. A real-time thread that spins starves
 * the normal threads of its CPU: the main thread bounds its duty cycle (`judgeRealtimeDutyCycle`) and demotes
 * it to the next step for good if it keeps a CPU busy. That bounds one speaker, not many sharing a machine:
 * 40 of them on 2 cores, each under the bound, took the CPUs from everything else (ADR 0012); so did 40 at
 * nice -10 sharing one scheduling group. So the default is `off`, and both are for a node where one
 * speaker has its own CPU group (a Pod's) or the CPUs to itself. `deadline` asks for SCHED_DEADLINE with a
 * budget (membershipThreadDeadline.ts): ahead of normal threads too, but the kernel holds each thread to
 * its budget and admits deadline threads only up to a host's limit, so on a host shared by many speakers
 * only a few get it, each bounded; one the kernel does not admit runs as started (ADR 0012, "SCHED_DEADLINE").
 */
export type MembershipThreadPriority = 'deadline' | 'realtime' | 'nice' | 'off';

export const MEMBERSHIP_THREAD_PRIORITIES: readonly MembershipThreadPriority[] = ['deadline', 'realtime', 'nice', 'off'];

/**
 * One thing to ask the kernel for: SCHED_RR at a real-time priority, SCHED_OTHER at a nice value, or
 * SCHED_DEADLINE with a budget: `runtimeUs` of CPU in every `periodUs`, to be had within `deadlineUs` of
 * each period's start.
 */
export type ThreadScheduling =
  | { readonly policy: 'rr'; readonly priority: number }
  | { readonly policy: 'other'; readonly nice: number }
  | { readonly policy: 'deadline'; readonly runtimeUs: number; readonly deadlineUs: number; readonly periodUs: number };

export const REALTIME_SCHEDULING: ThreadScheduling = { policy: 'rr', priority: 1 };
export const NICE_SCHEDULING: ThreadScheduling = { policy: 'other', nice: -10 };

/**
 * What to try, in order, until the kernel grants one; empty: leave the thread as it is. `deadline` has no
 * second step: a thread the kernel refused a budget (no CAP_SYS_NICE, or the host's deadline bandwidth
 * taken) runs as started. Not nice -10: on a host full of speakers that starved their own main threads
 * (ADR 0012), and that host is where admission refuses.
 */
export function threadSchedulingSteps(setting: MembershipThreadPriority, deadline: DeadlineBudget = DEFAULT_DEADLINE_BUDGET): readonly ThreadScheduling[] {
  if (setting === 'deadline') return [{ policy: 'deadline', runtimeUs: deadline.runtimeUs, deadlineUs: deadline.periodUs, periodUs: deadline.periodUs }];
  if (setting === 'realtime') return [REALTIME_SCHEDULING, NICE_SCHEDULING];
  if (setting === 'nice') return [NICE_SCHEDULING];
  return [];
}

/**
 * Why the kernel refused a step, as a value (the log's `refused[].reason`, the label of
 * herald_membership_thread_scheduling_refusals_total) and in words (`detail`, the log's message):
 * - NotPermitted: EPERM / EACCES. No CAP_SYS_NICE; for SCHED_RR also a cgroup with no real-time runtime
 *   (cgroup v1's cpu.rt_runtime_us = 0); for SCHED_DEADLINE also a thread that may run on fewer CPUs than
 *   its root domain has (a cpuset), which the kernel refuses deadline threads;
 * - NotAdmitted: SCHED_DEADLINE's EBUSY, admission control: the deadline threads already admitted hold the
 *   bandwidth the host allows;
 * - Invalid: SCHED_DEADLINE's EINVAL, a budget (or policy) this kernel does not take;
 * - Refused: any other code.
 */
export type ThreadSchedulingRefusalReason = 'NotPermitted' | 'NotAdmitted' | 'Invalid' | 'Refused';

export const THREAD_SCHEDULING_REFUSAL_REASONS: readonly ThreadSchedulingRefusalReason[] = ['NotPermitted', 'NotAdmitted', 'Invalid', 'Refused'];

export interface ThreadSchedulingRefusal {
  readonly reason: ThreadSchedulingRefusalReason;
  readonly detail: string;
}

export function threadSchedulingRefusal(step: ThreadScheduling, code: string | undefined): ThreadSchedulingRefusal {
  if (code === 'EPERM' || code === 'EACCES') {
    if (step.policy === 'rr') return { reason: 'NotPermitted', detail: 'not permitted: the container lacks CAP_SYS_NICE, or its CPU cgroup has no real-time runtime (cpu.rt_runtime_us = 0)' };
    if (step.policy === 'deadline') return { reason: 'NotPermitted', detail: 'not permitted: the container lacks CAP_SYS_NICE, or the thread may run on fewer CPUs than the kernel\'s scheduling domain (a cpuset)' };
    return { reason: 'NotPermitted', detail: 'not permitted: the container lacks CAP_SYS_NICE' };
  }
  if (step.policy === 'deadline' && code === 'EBUSY') {
    return { reason: 'NotAdmitted', detail: 'not admitted: the deadline threads on this host already hold the CPU bandwidth the kernel allows them (kernel.sched_rt_runtime_us per kernel.sched_rt_period_us of each CPU)' };
  }
  if (step.policy === 'deadline' && code === 'EINVAL') {
    return { reason: 'Invalid', detail: 'refused by the kernel (EINVAL): no SCHED_DEADLINE in this kernel, or the period is outside kernel.sched_deadline_period_min_us..max_us' };
  }
  return { reason: 'Refused', detail: `refused by the kernel (${code ?? 'unknown error'})` };
}

export interface DutyCycleFacts {
  /** CPU time the thread used since the previous look, ns. */
  readonly cpuNs: number;
  /** Wall time since the previous look, ns. */
  readonly windowNs: number;
  /** Consecutive looks over the limit before this one. */
  readonly overBefore: number;
}

export interface DutyCycleJudgement {
  readonly decision: 'Keep' | 'Demote';
  /** Consecutive looks over the limit, this one included: pass as `overBefore` next time. */
  readonly over: number;
  /** CPU share of this window, 0..1 (per CPU: a thread runs on one at a time). */
  readonly share: number;
}

/**
 * The real-time thread's bound: more than `REALTIME_DUTY_LIMIT` of a CPU in `REALTIME_OVER_LOOKS`
 * consecutive one-second looks → demote. On the owner of 10,000 addresses the thread used 2.8–5.5 % of a
 * CPU while answering ~150 ARP/NDP requests a second, idle and while ~5,000 addresses moved
 * (bench/speaker/wholeSpeaker.ts, ownerThreads); a thread stuck in a loop uses all of one and would take
 * that CPU from every normal thread on it (the kernel's real-time throttling leaves them 5 %).
 */
export const REALTIME_DUTY_LIMIT = 0.5;
export const REALTIME_OVER_LOOKS = 3;

export function judgeRealtimeDutyCycle(f: DutyCycleFacts): DutyCycleJudgement {
  if (!(f.windowNs > 0)) return { decision: 'Keep', over: f.overBefore, share: 0 };
  const share = Math.max(0, f.cpuNs) / f.windowNs;
  const over = share > REALTIME_DUTY_LIMIT ? f.overBefore + 1 : 0;
  return { decision: over >= REALTIME_OVER_LOOKS ? 'Demote' : 'Keep', over, share };
}
