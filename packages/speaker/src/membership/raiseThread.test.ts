import type { ThreadScheduling } from '@herald/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { raiseThisThread } from './raiseThread.js';

/** A kernel that refuses the listed policies with the given codes; what it was asked, in order. */
function kernel(refuse: Partial<Record<ThreadScheduling['policy'], string>>) {
  const asked: ThreadScheduling[] = [];
  return {
    asked,
    native: {
      threadId: () => 4242,
      set: (tid: number, s: ThreadScheduling) => {
        expect(tid).toBe(0); // the calling thread
        asked.push(s);
        const code = refuse[s.policy];
        if (code) throw Object.assign(new Error(`refused: ${code}`), { code });
      },
    },
  };
}

function logged() {
  const lines: { level: number; event?: string; msg?: string }[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number }) }) };
}

describe('raiseThisThread: the membership thread asks for real time, then nice, and says once what it got', () => {
  it('realtime granted: SCHED_RR 1, one info line, nice never asked', () => {
    const k = kernel({});
    const { lines, log } = logged();
    expect(raiseThisThread({ setting: 'realtime', log, native: k.native })).toEqual({ tid: 4242, applied: { policy: 'rr', priority: 1 }, refused: [] });
    expect(k.asked).toEqual([{ policy: 'rr', priority: 1 }]);
    expect(lines.map((l) => [l.level, l.event])).toEqual([[30, 'membershipThreadPriority']]);
  });

  it('real time refused (a cgroup without real-time runtime), nice granted: one warning naming both', () => {
    const k = kernel({ rr: 'EPERM' });
    const { lines, log } = logged();
    const r = raiseThisThread({ setting: 'realtime', log, native: k.native });
    expect(r.applied).toEqual({ policy: 'other', nice: -10 });
    expect(r.refused.map((x) => [x.step.policy, x.code])).toEqual([['rr', 'EPERM']]);
    expect(lines.map((l) => [l.level, l.event])).toEqual([[40, 'membershipThreadPriorityRefused']]);
    expect(lines[0]!.msg).toMatch(/SCHED_RR priority 1: not permitted: .*CAP_SYS_NICE.* runs at nice -10/);
  });

  it('no CAP_SYS_NICE: both refused, the thread as started, one warning', () => {
    const k = kernel({ rr: 'EPERM', other: 'EACCES' });
    const { lines, log } = logged();
    const r = raiseThisThread({ setting: 'realtime', log, native: k.native });
    expect(r.applied).toBeUndefined();
    expect(k.asked).toHaveLength(2);
    expect(lines.map((l) => [l.level, l.event])).toEqual([[40, 'membershipThreadPriorityRefused']]);
    expect(lines[0]!.msg).toMatch(/runs at normal priority/);
  });

  it('deadline granted: SCHED_DEADLINE with the budget asked, one info line naming it', () => {
    const k = kernel({});
    const { lines, log } = logged();
    const want = { policy: 'deadline', runtimeUs: 500, deadlineUs: 20_000, periodUs: 20_000 };
    expect(raiseThisThread({ setting: 'deadline', deadline: { runtimeUs: 500, periodUs: 20_000 }, log, native: k.native })).toEqual({ tid: 4242, applied: want, refused: [] });
    expect(k.asked).toEqual([want]);
    expect(lines.map((l) => [l.level, l.event, l.msg])).toEqual([[30, 'membershipThreadPriority', 'the membership thread runs at SCHED_DEADLINE 0.5 ms every 20 ms']]);
  });

  it.each([
    { code: 'EBUSY', reason: 'NotAdmitted', detail: /not admitted: the deadline threads on this host already hold/ },
    { code: 'EPERM', reason: 'NotPermitted', detail: /not permitted: the container lacks CAP_SYS_NICE/ },
  ])('deadline refused ($code): nothing else asked, the thread as started, one warning with the reason $reason', ({ code, reason, detail }) => {
    const k = kernel({ deadline: code });
    const { lines, log } = logged();
    const r = raiseThisThread({ setting: 'deadline', log, native: k.native });
    expect(r.applied).toBeUndefined();
    expect(k.asked).toEqual([{ policy: 'deadline', runtimeUs: 2_000, deadlineUs: 10_000, periodUs: 10_000 }]);
    expect(r.refused.map((x) => [x.code, x.reason])).toEqual([[code, reason]]);
    expect(r.refused[0]!.detail).toMatch(detail);
    expect(lines.map((l) => [l.level, l.event])).toEqual([[40, 'membershipThreadPriorityRefused']]);
    expect(lines[0]!.msg).toMatch(/^SCHED_DEADLINE 2 ms every 10 ms: not .* runs at normal priority/);
  });

  it('off: nothing asked, nothing logged', () => {
    const k = kernel({});
    const { lines, log } = logged();
    expect(raiseThisThread({ setting: 'off', log, native: k.native })).toEqual({ tid: 4242, refused: [] });
    expect(k.asked).toEqual([]);
    expect(lines).toEqual([]);
  });
});
