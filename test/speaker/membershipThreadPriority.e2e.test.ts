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

const effectiveCaps = (pid: number) => BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);

/**
 * The membership worker thread answers ARP/NDP and heartbeats: latency work, which on a busy node waited
 * for a CPU behind the speaker's own main thread and everything else (ADR 0012, "The membership thread's
 * priority"). It runs as started by default (40 speakers on one host raising it starved the host: ADR 0012),
 * at nice -10 with --membership-thread-priority nice, at SCHED_RR priority 1 with realtime; no other thread
 * of the speaker is touched. A speaker without CAP_SYS_NICE (here: setpriv dropping it from the bounding
 * set, so not even root has it) runs on at normal priority, is a member like any other, and says why once:
 * in its log and in herald_membership_thread_scheduling.
 */
describe('the membership thread runs at a raised priority; without CAP_SYS_NICE the speaker runs on and says why', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 4);
  let plain: LanNode;
  let nice: LanNode;
  let realtime: LanNode;
  let capless: LanNode;
  const pid = (n: LanNode) => world.speakers.get(n.name)!.proc.pid;

  beforeAll(async () => {
    await world.start({ speakers: false });
    [plain, nice, realtime, capless] = world.lan.nodes as [LanNode, LanNode, LanNode, LanNode];
    await world.startSpeaker(plain);
    await world.startSpeaker(nice, ['--membership-thread-priority', 'nice']);
    await world.startSpeaker(realtime, ['--membership-thread-priority', 'realtime']);
    await world.startSpeaker(capless, ['--membership-thread-priority', 'realtime'], { prefix: ['setpriv', '--bounding-set=-sys_nice', '--inh-caps=-sys_nice', '--'] });
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

  it('by default: every thread as started, nothing asked, nothing refused', async () => {
    for (const t of threads(pid(plain))) expect(t, `${t.comm} (${t.tid})`).toMatchObject({ policy: SCHED_OTHER, rtPriority: 0, nice: 0 });
    expect(events(plain, 'membershipThreadPriority')).toEqual([]);
    expect(events(plain, 'membershipThreadPriorityRefused')).toEqual([]);
    expect(await world.speakerMetrics(plain)).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 1$/m);
  });

  it('without CAP_SYS_NICE: every thread as started, one warning naming CAP_SYS_NICE, and a member as the others', async () => {
    expect(effectiveCaps(pid(capless)) & (1n << BigInt(CAP_SYS_NICE)), 'setpriv dropped CAP_SYS_NICE').toBe(0n);
    const all = threads(pid(capless));
    expect(all.filter((t) => t.comm === 'herald-membersh')).toHaveLength(1);
    for (const t of all) expect(t, `${t.comm} (${t.tid})`).toMatchObject({ policy: SCHED_OTHER, rtPriority: 0, nice: 0 });
    const refused = events(capless, 'membershipThreadPriorityRefused');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.applied).toBeUndefined();
    expect((refused[0]!.refused as { step: unknown; code: string; reason: string }[]).map((r) => [r.step, r.code])).toEqual([
      [{ policy: 'rr', priority: 1 }, 'EPERM'],
      [{ policy: 'other', nice: -10 }, 'EACCES'],
    ]);
    expect(refused[0]!.msg).toMatch(/CAP_SYS_NICE/);
    expect(events(capless, 'membershipThreadPriority')).toEqual([]);
    const metrics = await world.speakerMetrics(capless);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="default"\} 1$/m);
    expect(metrics).toMatch(/^herald_membership_thread_scheduling\{policy="realtime"\} 0$/m);
    // A member like the others: each hears the others' heartbeats.
    await waitFor('every speaker hearing the others', async () => {
      for (const n of [plain, nice, realtime, capless]) {
        if (!/^herald_membership_heartbeat_health\{reason="Healthy"\} 1$/m.test(await world.speakerMetrics(n))) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  });
});
