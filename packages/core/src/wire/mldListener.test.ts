import { describe, expect, it } from 'vitest';
import { MldListener, type MldListenerOptions, type MldSend } from './mldListener.js';
import type { MldQuery } from './mldMessage.js';
import { formatAddress as formatted } from '../ip/address.js';
import { addr, PEER_LL } from './testing/fixtures.js';

const G1 = addr('ff02::1:ff00:10');
const G2 = addr('ff02::1:ff00:11');
const G3 = addr('ff02::1:ff00:12');
const make = (o: Partial<MldListenerOptions> = {}) => new MldListener({ random: () => 0.5, recordsPerReport: 72, ...o });
const general = (maxResponseDelayMs: number, version: 1 | 2 = 2): MldQuery => ({ version, maxResponseDelayMs, robustness: 0, sources: 0, source: PEER_LL });
const specific = (group = G1, maxResponseDelayMs = 1_000, version: 1 | 2 = 2): MldQuery => ({ ...general(maxResponseDelayMs, version), group });

/** A report as one short line: "v2 Join CHANGE_TO_EX ff02::1:ff00:10,…", "v1 report ff02::…", "v1 done ff02::…". */
const show = (s: MldSend): string =>
  s.version === 2
    ? `v2 ${s.reason} ${[...new Set(s.records.map((r) => r.type))].join('/')} ${s.records.map((r) => formatted(r.group)).join(',')}`
    : `v1 ${s.reason} ${s.kind} ${formatted(s.group)}`;

type Step = [at: number, act: (l: MldListener, now: number) => void] | [at: number, 'due', expected: string[]];

/** Applies the steps in order; each 'due' step checks exactly what is sent at that time. */
function story(l: MldListener, steps: Step[]): void {
  for (const step of steps) {
    if (step[1] === 'due') expect(l.due(step[0]).map(show), `at ${step[0]} ms`).toEqual(step[2]);
    else step[1](l, step[0]);
  }
}

describe('MldListener', () => {
  it.each<{ name: string; steps: Step[] }>([
    {
      name: 'a join is reported at once and once more within the Unsolicited Report Interval (robustness 2)',
      steps: [
        [0, (l, t) => l.join(G1, t)],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [499, 'due', []],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [5_000, 'due', []],
      ],
    },
    {
      name: 'joins in the same instant share one report',
      steps: [
        [0, (l, t) => (l.join(G1, t), l.join(G2, t), l.join(G1, t))],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
      ],
    },
    {
      name: 'a leave is reported with CHANGE_TO_INCLUDE {} and repeated too',
      steps: [
        [0, (l, t) => l.join(G1, t)],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [2_000, (l, t) => l.leave(G1, t)],
        [2_000, 'due', ['v2 Leave ChangeToInclude ff02::1:ff00:10']],
        [2_500, 'due', ['v2 Leave ChangeToInclude ff02::1:ff00:10']],
        [9_000, 'due', []],
      ],
    },
    {
      name: 'a leave before the join was repeated replaces the repeat',
      steps: [
        [0, (l, t) => l.join(G1, t)],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [100, (l, t) => l.leave(G1, t)],
        [100, 'due', ['v2 Leave ChangeToInclude ff02::1:ff00:10']],
        [600, 'due', ['v2 Leave ChangeToInclude ff02::1:ff00:10']],
      ],
    },
    {
      name: 'leaving a group never joined sends nothing',
      steps: [[0, (l, t) => l.leave(G1, t)], [0, 'due', []]],
    },
    {
      name: 'a General Query is answered with every group (MODE_IS_EXCLUDE) at a random point of its delay',
      steps: [
        [0, (l, t) => (l.join(G1, t), l.join(G2, t))],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [10_000, (l, t) => l.query(general(10_000), t)],
        [14_999, 'due', []],
        [15_000, 'due', ['v2 GeneralQuery ModeIsExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [30_000, 'due', []],
      ],
    },
    {
      name: 'a General Query with no groups is not answered',
      steps: [[0, (l, t) => l.query(general(1_000), t)], [1_000, 'due', []]],
    },
    {
      name: 'a group-specific query is answered for that group only, and ignored for a group not heard',
      steps: [
        [0, (l, t) => (l.join(G1, t), l.join(G2, t))],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [1_000, (l, t) => (l.query(specific(G2, 1_000), t), l.query(specific(G3, 1_000), t))],
        [1_500, 'due', ['v2 GroupQuery ModeIsExclude ff02::1:ff00:11']],
        [5_000, 'due', []],
      ],
    },
    {
      name: 'an earlier pending General Query answer covers a later group-specific query',
      steps: [
        [0, (l, t) => l.join(G1, t)],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [1_000, (l, t) => l.query(general(1_000), t)],
        [1_200, (l, t) => l.query(specific(G1, 2_000), t)],
        [1_500, 'due', ['v2 GeneralQuery ModeIsExclude ff02::1:ff00:10']],
        [2_200, 'due', []],
      ],
    },
    {
      name: 'after an MLDv1 query: v1 Reports to each group, and a leave is a v1 Done',
      steps: [
        [0, (l, t) => l.join(G1, t)],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [1_000, (l, t) => (l.join(G2, t), l.query(general(10_000, 1), t))],
        [1_000, 'due', ['v1 Join report ff02::1:ff00:11']],
        [6_000, 'due', ['v1 GeneralQuery report ff02::1:ff00:10', 'v1 GeneralQuery report ff02::1:ff00:11', 'v1 Join report ff02::1:ff00:11']],
        [7_000, (l, t) => l.leave(G1, t)],
        [7_000, 'due', ['v1 Leave done ff02::1:ff00:10']],
      ],
    },
    {
      name: 'the v1 querier is forgotten after the Older Version Querier Present Timeout',
      steps: [
        [0, (l, t) => l.query(general(1_000, 1), t)],
        [260_000, (l, t) => l.join(G1, t)],
        [260_000, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
      ],
    },
    {
      name: 'a source address becoming valid reports every group again',
      steps: [
        [0, (l, t) => l.join(G1, t)],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10']],
        [3_000, (l, t) => l.reportAgain(t, 'SourceReady')],
        [3_000, 'due', ['v2 SourceReady ChangeToExclude ff02::1:ff00:10']],
      ],
    },
    {
      name: 'the link coming back reports every group again, repeated like any state change',
      steps: [
        [0, (l, t) => (l.join(G1, t), l.join(G2, t))],
        [0, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [500, 'due', ['v2 Join ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [3_000, (l, t) => l.reportAgain(t, 'LinkUp')],
        [3_000, 'due', ['v2 LinkUp ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [3_500, 'due', ['v2 LinkUp ChangeToExclude ff02::1:ff00:10,ff02::1:ff00:11']],
        [9_000, 'due', []],
      ],
    },
  ])('$name', ({ steps }) => story(make(), steps));

  const G = (i: number) => addr(`ff02::1:ff00:${(0x100 + i).toString(16)}`);
  const groups = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => formatted(G(from + i))).join(',');
  it.each<{ name: string; steps: Step[] }>([
    {
      name: 'a burst of joins larger than reportsPerBurst goes out in bursts burstGapMs apart, oldest first, each repeated with its burst',
      steps: [
        [0, (l, t) => { for (let i = 0; i < 9; i++) l.join(G(i), t); }],
        [0, 'due', [`v2 Join ChangeToExclude ${groups(0, 2)}`, `v2 Join ChangeToExclude ${groups(2, 4)}`]],
        [4, 'due', []],
        [5, 'due', [`v2 Join ChangeToExclude ${groups(4, 6)}`, `v2 Join ChangeToExclude ${groups(6, 8)}`]],
        [10, 'due', [`v2 Join ChangeToExclude ${groups(8, 9)}`]],
        [500, 'due', [`v2 Join ChangeToExclude ${groups(0, 2)}`, `v2 Join ChangeToExclude ${groups(2, 4)}`]],
        [505, 'due', [`v2 Join ChangeToExclude ${groups(4, 6)}`, `v2 Join ChangeToExclude ${groups(6, 8)}`]],
        [510, 'due', [`v2 Join ChangeToExclude ${groups(8, 9)}`]],
        [5_000, 'due', []],
      ],
    },
    {
      name: 'a burst in progress does not hold back a join made meanwhile for longer than the backlog before it',
      steps: [
        [0, (l, t) => { for (let i = 0; i < 5; i++) l.join(G(i), t); }],
        [0, 'due', [`v2 Join ChangeToExclude ${groups(0, 2)}`, `v2 Join ChangeToExclude ${groups(2, 4)}`]],
        [3, (l, t) => l.join(G(9), t)],
        [5, 'due', [`v2 Join ChangeToExclude ${groups(4, 5)},${formatted(G(9))}`]],
      ],
    },
    {
      name: 'a report that could not be sent is due again after burstGapMs with the copy it lost',
      steps: [
        [0, (l, t) => l.join(G(0), t)],
        [0, (l, t) => { for (const s of l.due(t)) l.unsent(s, t); }],
        [4, 'due', []],
        [5, 'due', [`v2 Join ChangeToExclude ${groups(0, 1)}`]],
        [505, 'due', [`v2 Join ChangeToExclude ${groups(0, 1)}`]],
        [5_000, 'due', []],
      ],
    },
    {
      name: 'an unsent join that a leave superseded is not sent again; the leave is',
      steps: [
        [0, (l, t) => l.join(G(0), t)],
        [0, (l, t) => { const s = l.due(t); l.leave(G(0), t); for (const x of s) l.unsent(x, t); }],
        [0, 'due', [`v2 Leave ChangeToInclude ${groups(0, 1)}`]],
        [5, 'due', []],
        [500, 'due', [`v2 Leave ChangeToInclude ${groups(0, 1)}`]],
      ],
    },
    {
      name: 'an unsent query answer is answered again after burstGapMs',
      steps: [
        [0, (l, t) => (l.join(G(0), t), l.due(t), l.due(t + 500))],
        [1_000, (l, t) => l.query(general(0), t)],
        [1_000, (l, t) => { for (const s of l.due(t)) l.unsent(s, t); }],
        [1_005, 'due', [`v2 GroupQuery ModeIsExclude ${groups(0, 1)}`]],
      ],
    },
  ])('pacing: $name', ({ steps }) => story(make({ recordsPerReport: 2, reportsPerBurst: 2, burstGapMs: 5 }), steps));

  it('repeats a state change [Robustness Variable] times, learning the querier\'s QRV', () => {
    const l = make({ robustness: 2 });
    l.query({ ...general(1_000), robustness: 4 }, 0);
    l.join(G1, 10);
    const sent = [10, 510, 1_010, 1_510, 2_010].map((t) => l.due(t).length);
    expect(sent).toEqual([1, 1, 1, 1, 0]);
    expect(l.idle).toBe(true);
  });

  it('splits records over reports that fit the MTU', () => {
    const l = make({ recordsPerReport: 2 });
    for (const g of [G1, G2, G3]) l.join(g, 0);
    expect(l.due(0).map((s) => (s.version === 2 ? s.records.length : 0))).toEqual([2, 1]);
  });

  it('draws every deadline from the random source within its bound', () => {
    for (const r of [0, 0.999]) {
      const l = make({ random: () => r });
      l.join(G1, 0);
      l.due(0);
      const retransmit = l.nextDeadline()!;
      expect(retransmit).toBeGreaterThanOrEqual(1);
      expect(retransmit).toBeLessThanOrEqual(1_000);
      l.due(retransmit);
      l.query(general(10_000), 20_000);
      expect(l.nextDeadline()!).toBeGreaterThanOrEqual(20_000);
      expect(l.nextDeadline()!).toBeLessThan(30_000);
    }
  });

  it('flush() sends the pending changes once and leaves nothing due', () => {
    const l = make();
    l.join(G1, 0);
    l.due(0);
    l.leave(G1, 10);
    expect(l.flush(10).map(show)).toEqual(['v2 Leave ChangeToInclude ff02::1:ff00:10']);
    expect(l.nextDeadline()).toBeUndefined();
  });
});
