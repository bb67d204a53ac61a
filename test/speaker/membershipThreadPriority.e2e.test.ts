import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import type { LanNode } from '../lan/lan.js';
import { waitFor } from '../processes.js';
import { speakerLogSince } from './neighbourProbe.js';
import { SpeakerWorld } from './speakerWorld.js';

/** One thread of a process as the kernel shows it: /proc/<pid>/task/<tid>/stat. */
interface ThreadStat { tid: number; comm: string; nice: number; rtPriority: number; policy: number }

const SCHED_OTHER = 0;
const SCHED_RR = 2;
const SCHED_DEADLINE = 6;
const CAP_SYS_NICE = 23;

function threads(pid: number): ThreadStat[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      // Fields after the comm, from field 3 (state): nice is field 19, rt_priority 40, policy 41.
      const f = stat.slice(close + 2).split(' ');
      return [{ tid: Number(tid), comm: stat.slice(stat.indexOf('(') + 1, close), nice: Number(f[16]), rtPriority: Number(f[37]), policy: Number(f[38]) }];
    } catch {
      return []; // a thread that just ended
    }
  });
}

/**
 * A SCHED_DEADLINE thread as the kernel shows it. /proc/<pid>/task/<tid>/sched (this 6.18 kernel) prints
 * `policy`, `dl.runtime` (the runtime left in the current period, ns) and `dl.deadline` (the current
 * absolute deadline), no period; the budget asked for is what sched_getattr returns, which chrt -p prints.
 */
function deadlineThread(pid: number, tid: number): { policy: number; runtimeLeftNs: number; chrt: string; budget: number[] } {
  const sched = readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name.replace('.', '\\.')}\\s*:\\s*(-?\\d+)`, 'm').exec(sched)?.[1]);
  const chrt = execFileSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
  const budget = /runtime\/deadline\/period parameters: (\d+)\/(\d+)\/(\d+)/.exec(chrt);
  return { policy: field('policy'), runtimeLeftNs: field('dl.runtime'), chrt: /scheduling policy: (\S+)/.exec(chrt)![1]!, budget: budget ? budget.slice(1).map(Number) : [] };
}

const effectiveCaps = (pid: number) => BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);

/**
 * The membership worker thread answers ARP/NDP and heartbeats: latency work, which on a busy node waited
 * for a CPU behind the speaker's own main thread and everything else (ADR 0012, "The membership thread's
 * priority"). It runs as started by default (40 speakers on one host raising it starved the host: ADR 0012),
 * at nice -10 with --membership-thread-priority nice, at SCHED_RR priority 1 with realtime, at SCHED_DEADLINE
 * with its budget with deadline; no other thread of the speaker is touched. A speaker without CAP_SYS_NICE (here: setpriv dropping it from the bounding
 * set, so not even root has it) runs on at normal priority, is a member like any other, and says why once:
 * in its log and in herald_membership_thread_scheduling.
 */
describe('the membership thread runs at a raised priority; without CAP_SYS_NICE the speaker runs on and says why', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 6);
  let plain: LanNode;
  let nice: LanNode;
  let realtime: LanNode;
  let capless: LanNode;
  let deadline: LanNode;
  let deadlineCapless: LanNode;
  const pid = (n: LanNode) => world.speakers.get(n.name)!.proc.pid;

  beforeAll(async () => {
    await world.start({ speakers: false });
    [plain, nice, realtime, capless, deadline, deadlineCapless] = world.lan.nodes as [LanNode, LanNode, LanNode, LanNode, LanNode, LanNode];
    await world.startSpeaker(plain);
    await world.startSpeaker(nice, ['--membership-thread-priority', 'nice']);
    await world.startSpeaker(realtime, ['--membership-thread-priority', 'realtime']);
    await world.startSpeaker(capless, ['--membership-thread-priority', 'realtime'], { prefix: ['setpriv', '--bounding-set=-sys_nice', '--inh-caps=-sys_nice', '--'] });
    await world.startSpeaker(deadline, ['--membership-thread-priority', 'deadline']);
    await world.startSpeaker(deadlineCapless, ['--membership-thread-priority', 'deadline', '--membership-thread-deadline-runtime', '1500', '--membership-thread-deadline-period', '12000'], {
      prefix: ['setpriv', '--bounding-set=-sys_nice', '--inh-caps=-sys_nice', '--'],
    });
    await world.waitForMembership(60_000);
  }, 180_000);

  afterAll(async () => {
    await world.stop();
  }, 60_000);

  /** The speaker's log events of one kind since it started. */
  const events = (n: LanNode, event: string) => speakerLogSince(world, n, 0).filter((l) => l.event === event);

  /** Only the membership thread is raised, to `raised`; every other thread stays as started. */
  function onlyMembershipThread(n: LanNode, raised: Partial<ThreadStat>): ThreadStat {
    const all = threads(pid(n));
    const membership = all.filter((t) => t.comm === 'herald-membersh');
    expect(membership, JSON.stringify(all)).toHaveLength(1);
    expect(membership[0]).toMatchObject(raised);
    const others = all.filter((t) => t.comm !== 'herald-membersh');
    expect(others.length).toBeGreaterThan(3); // the main thread, V8's and libuv's
    for (const t of others) expect(t, `${t.comm} (${t.tid})`).toMatchObject({ policy: SCHED_OTHER, rtPriority: 0, nice: 0 });
    return membership[0]!;
  }

  it.each([
    ['with nice: nice -10', () => nice, { policy: SCHED_OTHER, rtPriority: 0, nice: -10 }, { policy: 'other', nice: -10 }, 'nice'],
    ['with realtime: SCHED_RR priority 1', () => realtime, { policy: SCHED_RR, rtPriority: 1, nice: 0 }, { policy: 'rr', priority: 1 }, 'realtime'],
  ] as const)('with CAP_SYS_NICE, %s for its membership thread, every other thread as started', async (_n, node, kernel, applied, policy) => {
    const n = node();
    expect(effectiveCaps(pid(n)) & (1n << BigInt(CAP_SYS_NICE)), 'the speaker has CAP_SYS_NICE').not.toBe(0n);
    const membership = onlyMembershipThread(n, kernel);
    expect(events(n, 'membershipThreadPriority')).toEqual([expect.objectContaining({ tid: membership.tid, applied })]);
    expect(events(n, 'membershipThreadPriorityRefused')).toEqual([]);
    const metrics = await world.speakerMetrics(n);
    expect(metrics).toMatch(new RegExp(`^herald_membership_thread_scheduling\\{policy="${policy}"\\} 1$`, 'm'));
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 0$/m);
  });

  /**
   * A speaker without CAP_SYS_NICE: every thread as started, one refusal logged and nothing applied.
   * Returns the refused steps as [step, code, reason] and the warning's message.
   */
  function expectRefusedEverywhere(n: LanNode): { steps: unknown[]; msg: unknown } {
    expect(effectiveCaps(pid(n)) & (1n << BigInt(CAP_SYS_NICE)), 'setpriv dropped CAP_SYS_NICE').toBe(0n);
    const all = threads(pid(n));
    expect(all.filter((t) => t.comm === 'herald-membersh')).toHaveLength(1);
    for (const t of all) expect(t, `${t.comm} (${t.tid})`).toMatchObject({ policy: SCHED_OTHER, rtPriority: 0, nice: 0 });
    const refused = events(n, 'membershipThreadPriorityRefused');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.applied).toBeUndefined();
    expect(events(n, 'membershipThreadPriority')).toEqual([]);
    const steps = (refused[0]!.refused as { step: unknown; code: string; reason: string }[]).map((r) => [r.step, r.code, r.reason]);
    return { steps, msg: refused[0]!.msg };
  }

  it('by default: every thread as started, nothing asked, nothing refused', async () => {
    for (const t of threads(pid(plain))) expect(t, `${t.comm} (${t.tid})`).toMatchObject({ policy: SCHED_OTHER, rtPriority: 0, nice: 0 });
    expect(events(plain, 'membershipThreadPriority')).toEqual([]);
    expect(events(plain, 'membershipThreadPriorityRefused')).toEqual([]);
    expect(await world.speakerMetrics(plain)).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 1$/m);
  });

  it('without CAP_SYS_NICE: every thread as started, one warning naming CAP_SYS_NICE, and a member as the others', async () => {
    const refused = expectRefusedEverywhere(capless);
    expect(refused.steps).toEqual([
      [{ policy: 'rr', priority: 1 }, 'EPERM', 'NotPermitted'],
      [{ policy: 'other', nice: -10 }, 'EACCES', 'NotPermitted'],
    ]);
    expect(refused.msg).toMatch(/CAP_SYS_NICE/);
    const metrics = await world.speakerMetrics(capless);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 1$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="realtime"\} 0$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling_refusals_total\{reason="NotPermitted"\} 2$/m);
    // A member like the others: each hears the others' heartbeats.
    await waitFor('every speaker hearing the others', async () => {
      for (const n of [plain, nice, realtime, capless, deadline, deadlineCapless]) {
        if (!/^herald_membership_heartbeat_health\{reason="Healthy"\} 1$/m.test(await world.speakerMetrics(n))) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  });

  const DEADLINE_APPLIED = { policy: 'deadline', runtimeUs: 2_000, deadlineUs: 10_000, periodUs: 10_000 };

  /** The deadline speaker: its membership thread at SCHED_DEADLINE 2 ms every 10 ms, the rest as started. */
  async function expectDeadlineSpeaker(since: number): Promise<void> {
    const membership = onlyMembershipThread(deadline, { policy: SCHED_DEADLINE, rtPriority: 0, nice: 0 });
    const kernel = deadlineThread(pid(deadline), membership.tid);
    expect(kernel.policy).toBe(SCHED_DEADLINE);
    // What is left of this period's runtime never exceeds the budget (it is <= 0 only while throttled).
    expect(kernel.runtimeLeftNs).toBeLessThanOrEqual(2_000_000);
    expect(kernel.chrt).toBe('SCHED_DEADLINE|SCHED_RESET_ON_FORK');
    expect(kernel.budget).toEqual([2_000_000, 10_000_000, 10_000_000]);
    const log = speakerLogSince(world, deadline, since);
    expect(log.filter((l) => l.event === 'membershipThreadPriority')).toEqual([expect.objectContaining({ tid: membership.tid, applied: DEADLINE_APPLIED })]);
    expect(log.filter((l) => l.event === 'membershipThreadPriorityRefused')).toEqual([]);
    const metrics = await world.speakerMetrics(deadline);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="deadline"\} 1$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 0$/m);
    expect(metrics).toMatch(/^herald_membership_thread_demotions_total 0$/m);
    for (const reason of ['NotPermitted', 'NotAdmitted', 'Invalid', 'Refused']) expect(metrics).toMatch(new RegExp(`^herald_membership_thread_scheduling_refusals_total\\{reason="${reason}"\\} 0$`, 'm'));
  }

  it('with deadline: SCHED_DEADLINE 2 ms every 10 ms for its membership thread, every other thread as started; SIGTERM ends it with 0 and a restart gets it again', async () => {
    expect(effectiveCaps(pid(deadline)) & (1n << BigInt(CAP_SYS_NICE)), 'the speaker has CAP_SYS_NICE').not.toBe(0n);
    await expectDeadlineSpeaker(0);
    // The deadline thread is torn down with the speaker (the worker ends, then the process), and its
    // bandwidth goes back: the next speaker's thread is admitted again.
    const first = world.speakers.get(deadline.name)!;
    first.proc.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);
    const since = Date.now();
    await world.startSpeaker(deadline, ['--membership-thread-priority', 'deadline']);
    await waitFor('the restarted deadline speaker to be ready', () => world.speakerReady(deadline), { timeoutMs: 30_000, intervalMs: 200, abortIf: () => world.speakerGone(deadline) });
    expect(pid(deadline)).not.toBe(first.proc.pid);
    await expectDeadlineSpeaker(since);
  }, 60_000);

  it('with deadline, without CAP_SYS_NICE: refused (EPERM, naming CAP_SYS_NICE), nothing else asked, every thread as started', async () => {
    const refused = expectRefusedEverywhere(deadlineCapless);
    // The budget given by the flags is what was asked.
    expect(refused.steps).toEqual([
      [{ policy: 'deadline', runtimeUs: 1_500, deadlineUs: 12_000, periodUs: 12_000 }, 'EPERM', 'NotPermitted'],
    ]);
    expect(refused.msg).toMatch(/^SCHED_DEADLINE 1.5 ms every 12 ms: not permitted: the container lacks CAP_SYS_NICE.*runs at normal priority/);
    const metrics = await world.speakerMetrics(deadlineCapless);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 1$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="deadline"\} 0$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling_refusals_total\{reason="NotPermitted"\} 1$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling_refusals_total\{reason="NotAdmitted"\} 0$/m);
  });
});
