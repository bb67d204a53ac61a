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
 * speaker has its own CPU group (a Pod's) or the CPUs to itself.
 */
export type MembershipThreadPriority = 'realtime' | 'nice' | 'off';

export const MEMBERSHIP_THREAD_PRIORITIES: readonly MembershipThreadPriority[] = ['realtime', 'nice', 'off'];

/** One thing to ask the kernel for: SCHED_RR at a real-time priority, or SCHED_OTHER at a nice value. */
export type ThreadScheduling = { readonly policy: 'rr'; readonly priority: number } | { readonly policy: 'other'; readonly nice: number };

export const REALTIME_SCHEDULING: ThreadScheduling = { policy: 'rr', priority: 1 };
export const NICE_SCHEDULING: ThreadScheduling = { policy: 'other', nice: -10 };

/** What to try, in order, until the kernel grants one; empty: leave the thread as it is. */
export function threadSchedulingSteps(setting: MembershipThreadPriority): readonly ThreadScheduling[] {
  if (setting === 'realtime') return [REALTIME_SCHEDULING, NICE_SCHEDULING];
  if (setting === 'nice') return [NICE_SCHEDULING];
  return [];
}

/**
 * Why the kernel refused a step, from its errno code, for the log and the docs: EPERM / EACCES without
 * CAP_SYS_NICE (or, for SCHED_RR, in a cgroup with no real-time runtime: cgroup v1's cpu.rt_runtime_us = 0).
 */
export function threadSchedulingRefusal(step: ThreadScheduling, code: string | undefined): string {
  if (code === 'EPERM' || code === 'EACCES') {
    return step.policy === 'rr'
      ? 'not permitted: the container lacks CAP_SYS_NICE, or its CPU cgroup has no real-time runtime (cpu.rt_runtime_us = 0)'
      : 'not permitted: the container lacks CAP_SYS_NICE';
  }
  return `refused by the kernel (${code ?? 'unknown error'})`;
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
