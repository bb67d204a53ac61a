import { formatAddress, parseAddressOrThrow, type IncrementalElection } from '@herald/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Announcement, Announcer } from '../announce/announcer.js';
import { addressKey, type ElectionFacts, type InElection } from './electionFacts.js';
import { ElectionScheduler, type AnnouncementChange } from './electionScheduler.js';
import type { MembershipSource } from './membershipSource.js';

const ip = parseAddressOrThrow;

/**
 * n1 answers 192.0.2.200, which the election now gives to n2 (make-before-break: n1 keeps answering until
 * n2 claims it). The election, facts and announcer are plain objects holding just that; what is checked is
 * when the announcer is told, counted in calls, not in time.
 */
function handingOver() {
  const address = ip('192.0.2.200');
  const held: Announcement = { address, interface: 'eth0' };
  const entry = { address, ip: '192.0.2.200', key: addressKey(address) } as InElection;
  const facts = {
    nameOfKey: new Map([[entry.key, 'a']]), inElection: new Map([['a', entry]]),
    gather: () => false, unread: () => 0,
  } as unknown as ElectionFacts;
  let flushed = false;
  const election = {
    flush: () => (flushed ? [] : ((flushed = true), [{ name: 'a' }])),
    pending: () => 0,
    result: () => ({ owner: { node: 'n2', interface: 'eth0' } }),
  } as unknown as IncrementalElection;
  let answering = true;
  const announcer = { announcement: () => (answering ? held : undefined), quietBursts: () => undefined } as unknown as Announcer;
  const membership = { peers: () => new Map([['n2', { alive: true, announcing: [] }]]) } as unknown as MembershipSource;
  const applied: AnnouncementChange[][] = [];
  const scheduler = new ElectionScheduler({
    node: 'n1', announcer, membership, facts, election, electing: () => true, elected: () => undefined, morePending: () => false,
    apply: () => undefined,
    applyChanges: (c) => {
      applied.push(c);
      for (const x of c) if (!x.desired) answering = false;
    },
  });
  return { scheduler, entry, applied };
}

describe('ElectionScheduler', () => {
  it('an old owner keeps answering until the successor claims, and stops in the same turn as the claim, not on a later round', () => {
    const { scheduler, entry, applied } = handingOver();
    scheduler.recompute();
    expect(scheduler.handingOver(entry.key)).toBe(true);
    expect(scheduler.desired.get('a')).toBeDefined();
    // Before: the claim only marked the address; the stop waited for the next round (setImmediate), and
    // both nodes answered meanwhile (startRace.e2e: 4-6 ARP probes answered by two MACs).
    scheduler.successorClaimed(entry.key, Date.now());
    expect(applied).toEqual([[{ address: entry.address, desired: undefined }]]);
    expect(scheduler.desired.has('a')).toBe(false);
    scheduler.stop();
  });
});

/**
 * An election with `units` of work left, where each flush call costs `msPerFlush` of (virtual) time and
 * does at most its limit of units: how much a round does is counted, not timed on the host.
 */
function pendingWork(units: number, msPerFlush: number) {
  let left = units;
  let clock = 0;
  const limits: number[] = [];
  const facts = { nameOfKey: new Map(), inElection: new Map(), gather: () => false, unread: () => 0 } as unknown as ElectionFacts;
  const election = {
    flush: (limit: number) => {
      limits.push(limit);
      left = Math.max(0, left - limit);
      clock += msPerFlush;
      return [];
    },
    pending: () => left,
    result: () => undefined,
  } as unknown as IncrementalElection;
  const membership = { peers: () => new Map() } as unknown as MembershipSource;
  const scheduler = new ElectionScheduler({
    node: 'n1', announcer: {} as Announcer, membership, facts, election, electionSliceMs: 20,
    electing: () => true, elected: () => undefined, morePending: () => false, apply: () => undefined, applyChanges: () => undefined,
  });
  return { scheduler, limits, now: () => clock, left: () => left };
}

describe('ElectionScheduler rounds', () => {
  it('a round keeps flushing for its whole slice, so the rounds an election takes follow its work, not the flush limit', () => {
    // 10,000 units at 32 per flush and 1 ms per flush: 313 flushes, 20 per 20 ms round → 16 rounds. A round
    // that stopped after one flush (the suspected cause of a slow first announcement) would take 313.
    const w = pendingWork(10_000, 1);
    const spy = vi.spyOn(performance, 'now').mockImplementation(w.now);
    try {
      let rounds = 0;
      while (w.scheduler.round()) rounds++;
      rounds++;
      expect(w.left()).toBe(0);
      expect(w.limits.length).toBe(Math.ceil(10_000 / 32));
      expect(rounds).toBe(Math.ceil(Math.ceil(10_000 / 32) / 20));
    } finally {
      spy.mockRestore();
      w.scheduler.stop();
    }
  });
});

/**
 * n1 answers `count` addresses the election now gives to n2; the announcer counts how often a round asks
 * what it answers (once per decided address).
 */
function manyHandingOver(count: number, resultOf: (name: string) => { owner: { node: string; interface: string } } | undefined = () => ({ owner: { node: 'n2', interface: 'eth0' } })) {
  const entries = Array.from({ length: count }, (_, i) => {
    const a = i < 250 ? ip(`198.51.100.${i + 1}`) : ip(`2001:db8::${(i + 1).toString(16)}`);
    return { name: `a${i}`, address: a, ip: formatAddress(a), key: addressKey(a) } as InElection & { name: string };
  });
  const nameOfKey = new Map(entries.map((e) => [e.key, e.name]));
  const facts = {
    nameOfKey, nameOfIp: new Map(entries.map((e) => [e.ip, e.name])),
    inElection: new Map(entries.map((e) => [e.name, e])),
    gather: () => false, unread: () => 0,
  } as unknown as ElectionFacts;
  let flushed = false;
  const election = {
    flush: () => (flushed ? [] : ((flushed = true), entries.map((e) => ({ name: e.name })))),
    pending: () => 0,
    result: (name: string) => resultOf(name),
  } as unknown as IncrementalElection;
  const answering = new Set(entries.map((e) => e.key));
  let asked = 0;
  const quiet = new Set<string>();
  const announcer = {
    announcement: (a: ReturnType<typeof ip>) => {
      asked++;
      return answering.has(addressKey(a)) ? { address: a, interface: 'eth0' } : undefined;
    },
    quietBursts: (a: ReturnType<typeof ip>, q: boolean) => (q ? quiet.add(addressKey(a)) : quiet.delete(addressKey(a))),
  } as unknown as Announcer;
  const n2Lists: string[] = [];
  const membership = { peers: () => new Map([['n2', { alive: true, announcing: n2Lists }]]) } as unknown as MembershipSource;
  const scheduler = new ElectionScheduler({
    node: 'n1', announcer, membership, facts, election, electing: () => true, elected: () => undefined, morePending: () => false,
    apply: () => undefined,
    applyChanges: (c) => {
      for (const x of c) if (!x.desired) answering.delete(addressKey(x.address));
    },
  });
  /** The election re-elects every address on the next round (as a node joining would). */
  const reelect = () => (flushed = false);
  return { scheduler, entries, nameOfKey, answering, quiet, n2Lists, reelect, asked: () => asked, resetAsked: () => (asked = 0) };
}

describe('ElectionScheduler hand-overs', () => {
  it('a round decides only the hand-overs something changed: a claim, a successor listing the address, a timeout', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const w = manyHandingOver(1_000);
    try {
      w.scheduler.recompute();
      expect(w.asked()).toBe(1_000);
      expect(w.answering.size).toBe(1_000);
      // Still answered while handed over, but no longer claimed on the wire (no more gratuitous bursts).
      expect(w.quiet.size).toBe(1_000);
      // A claim for one address: it stops at once, and the round the claim brings decides nothing else.
      // Before: each such round decided all 1,000 again (ADR 0012: a fifth of a starved main thread).
      w.resetAsked();
      w.scheduler.successorClaimed(w.entries[0]!.key, Date.now());
      w.scheduler.recompute();
      expect(w.asked()).toBe(1);
      expect(w.answering.has(w.entries[0]!.key)).toBe(false);
      // The successor's heartbeat lists one address: that one (and only it) is decided again.
      w.resetAsked();
      w.n2Lists.push(w.entries[1]!.ip);
      w.scheduler.holdersChanged(w.entries[1]!.ip);
      // This node's own stop of the claimed address reaches the gathering too: decided once more, forgotten.
      w.scheduler.holdersChanged(w.entries[0]!.ip);
      w.scheduler.recompute();
      expect(w.asked()).toBe(2);
      expect(w.scheduler.handingOver(w.entries[0]!.key)).toBe(false);
      expect(w.answering.has(w.entries[1]!.key)).toBe(false);
      expect(w.answering.size).toBe(998);
      // Nobody claims the rest: the hand-over times out and every one of them stops.
      vi.advanceTimersByTime(2_100);
      expect(w.answering.size).toBe(0);
      // Those stops reach the next gathering as this node's own changes: every hand-over is then forgotten.
      for (const e of w.entries) w.scheduler.holdersChanged(e.ip);
      w.scheduler.recompute();
      for (const e of w.entries) expect(w.scheduler.handingOver(e.key)).toBe(false);
    } finally {
      w.scheduler.stop();
      vi.useRealTimers();
    }
  });
});

describe('ElectionScheduler hand-over timer', () => {
  it('a hand-over whose address left the election under that key is forgotten when the timer fires, not re-armed for ever', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const w = manyHandingOver(2);
    try {
      w.scheduler.recompute();
      // The first LBAddress now names another address: its old key is no longer in the election.
      const gone = w.entries[0]!;
      w.nameOfKey.delete(gone.key);
      vi.advanceTimersByTime(2_100);
      expect(w.scheduler.handingOver(gone.key)).toBe(false);
      // Nothing is left to time out: no timer keeps firing.
      w.scheduler.holdersChanged(w.entries[1]!.ip);
      w.scheduler.recompute();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      w.scheduler.stop();
      vi.useRealTimers();
    }
  });
});

describe('ElectionScheduler hand-overs: paths a round no longer finds by deciding every hand-over', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a successor\'s claim while every answer is about to be applied again (links changed) is decided on the next round, not at the timeout', () => {
    const w = manyHandingOver(3);
    w.scheduler.recompute();
    w.scheduler.reapplyAll();
    w.scheduler.successorClaimed(w.entries[0]!.key, Date.now());
    w.scheduler.recompute();
    expect(w.scheduler.desired.has('a0')).toBe(false);
    expect(w.scheduler.desired.has('a1')).toBe(true);
    w.scheduler.stop();
  });

  it('links changed: the hand-overs are decided again, so a re-created answer is kept quiet too', () => {
    const w = manyHandingOver(3);
    w.scheduler.recompute();
    // A link re-created under the same name: the announcer starts each answer afresh (not quiet).
    w.quiet.clear();
    w.scheduler.reapplyAll();
    w.scheduler.recompute();
    expect(w.quiet.size).toBe(3);
    w.scheduler.stop();
  });

  it('a claim from the successor seen just before this node\'s election reached the hand-over ends it at once', () => {
    let owner = 'n1';
    const w = manyHandingOver(3, () => ({ owner: { node: owner, interface: 'eth0' } }));
    w.scheduler.recompute();
    expect(w.scheduler.desired.size).toBe(3);
    // The joining node (or, after one-way heartbeat loss, the node handed back to) claimed first; then this
    // node's election gives it the addresses.
    w.scheduler.claimedBy(w.entries[0]!.key, 'n2', Date.now());
    w.scheduler.claimedBy(w.entries[1]!.key, 'n3', Date.now()); // not the successor: no proof
    owner = 'n2';
    w.reelect();
    w.scheduler.recompute();
    expect(w.answering.has(w.entries[0]!.key)).toBe(false);
    expect(w.answering.has(w.entries[1]!.key)).toBe(true);
    expect(w.scheduler.handingOver(w.entries[1]!.key)).toBe(true);
    w.scheduler.stop();
  });

  it('an address whose election result is gone is no longer handed over', () => {
    let gone = false;
    const w = manyHandingOver(2, (name) => (gone && name === 'a0' ? undefined : { owner: { node: 'n2', interface: 'eth0' } }));
    w.scheduler.recompute();
    expect(w.scheduler.handingOver(w.entries[0]!.key)).toBe(true);
    gone = true;
    w.scheduler.holdersChanged(w.entries[0]!.ip);
    w.scheduler.recompute();
    expect(w.scheduler.desired.has('a0')).toBe(false);
    expect(w.scheduler.handingOver(w.entries[0]!.key)).toBe(false);
    w.scheduler.stop();
  });
});
