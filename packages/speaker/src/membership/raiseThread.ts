import { threadSchedulingRefusal, threadSchedulingSteps, type DeadlineBudget, type MembershipThreadPriority, type ThreadScheduling, type ThreadSchedulingRefusalReason } from '@herald/core';
import type { Logger } from 'pino';
import { setThreadScheduling, threadId } from '../native/index.js';

/** A step the kernel refused: its errno code, the reason value (core threadSchedulingRefusal) and why in words. */
export interface RefusedStep {
  readonly step: ThreadScheduling;
  readonly code: string | undefined;
  readonly reason: ThreadSchedulingRefusalReason;
  readonly detail: string;
}

/** What raising the calling thread came to: its kernel id, the step the kernel granted, the ones it refused. */
export interface RaisedThread {
  readonly tid: number;
  /** Absent: the thread runs as it was started (SCHED_OTHER, nice 0). */
  readonly applied?: ThreadScheduling;
  readonly refused: readonly RefusedStep[];
}

export interface RaiseThreadOptions {
  readonly setting: MembershipThreadPriority;
  /** With `deadline`: the budget asked for (default: core's DEFAULT_DEADLINE_BUDGET). */
  readonly deadline?: DeadlineBudget;
  readonly log: Logger;
  /** The native calls; tests may pass others. */
  readonly native?: { readonly threadId: () => number; readonly set: (tid: number, s: ThreadScheduling) => void };
}

const describe = (s: ThreadScheduling) =>
  s.policy === 'rr' ? `SCHED_RR priority ${s.priority}` : s.policy === 'deadline' ? `SCHED_DEADLINE ${s.runtimeUs / 1_000} ms every ${s.periodUs / 1_000} ms` : `nice ${s.nice}`;

/**
 * Raises the CPU priority of the thread that calls it — the membership worker, which heartbeats and answers
 * ARP/NDP — by the steps of its setting (core threadSchedulingSteps): the first the kernel grants stays.
 * Without CAP_SYS_NICE every step is refused (and a deadline budget the host does not admit): the speaker
 * runs on at normal priority and says so once.
 */
export function raiseThisThread(o: RaiseThreadOptions): RaisedThread {
  const native = o.native ?? { threadId, set: setThreadScheduling };
  const tid = native.threadId();
  const refused: RefusedStep[] = [];
  let applied: ThreadScheduling | undefined;
  for (const step of threadSchedulingSteps(o.setting, o.deadline)) {
    try {
      native.set(0, step);
      applied = step;
      break;
    } catch (e) {
      const code = (e as { code?: string }).code;
      refused.push({ step, code, ...threadSchedulingRefusal(step, code) });
    }
  }
  const fields = { tid, setting: o.setting, ...(applied ? { applied } : {}), ...(refused.length > 0 ? { refused } : {}) };
  if (applied && refused.length === 0) o.log.info({ event: 'membershipThreadPriority', ...fields }, `the membership thread runs at ${describe(applied)}`);
  else if (refused.length > 0) {
    o.log.warn(
      { event: 'membershipThreadPriorityRefused', ...fields },
      `${refused.map((r) => `${describe(r.step)}: ${r.detail}`).join('; ')}. The membership thread (heartbeats, ARP/NDP replies) runs at ${applied ? describe(applied) : 'normal priority'}: on a busy node its replies wait for a CPU`,
    );
  }
  return { tid, ...(applied ? { applied } : {}), refused };
}
