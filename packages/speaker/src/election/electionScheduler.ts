import { addressHandover, type HandoverReason, type IncrementalElection, type IPAddress } from '@herald/core';
import type { Announcement, Announcer } from '../announce/announcer.js';
import { addressKey, type ElectionFacts, type InElection } from './electionFacts.js';
import type { MembershipSource } from './membershipSource.js';

export interface ElectionSchedulerOptions {
  node: string;
  announcer: Announcer;
  membership: MembershipSource;
  facts: ElectionFacts;
  election: IncrementalElection;
  /** How long an old owner keeps answering when it sees no successor's claim (DESIGN: 2 s). */
  handoverTimeoutMs?: number;
  /** Longest stretch of election work in one turn of the event loop. Default 20 ms. */
  electionSliceMs?: number;
  /** Results are applied (the readiness gate passed and peers heard the flag). */
  electing: () => boolean;
  /** After each round: what it re-elected, and whether it gathered facts (then the nodes' facts). */
  elected: (changed: readonly string[], gathered: boolean) => void;
  /** Work outside the election (status plans) is left for another turn. */
  morePending: () => boolean;
  /** Makes the announcer match what this node answers: the whole set (first round, links changed). */
  apply: (desired: Announcement[]) => void;
  /** Makes the announcer match for the listed addresses only (what one round changed). */
  applyChanges: (changes: AnnouncementChange[]) => void;
  /** After each round's changes went to the announcer; `workLeft`: election work continues on a later turn. */
  afterApply?: (workLeft: boolean) => void;
}

/** What this node now answers for one address (`desired` undefined: nothing). */
export interface AnnouncementChange {
  readonly address: IPAddress;
  readonly desired: Announcement | undefined;
}

/**
 * Runs the election in slices: each round gathers the facts that changed, re-elects for at most
 * electionSliceMs, and decides per re-elected or handing-over address whether this node answers
 * (addressHandover, make-before-break); left-over work continues on the next turn of the event loop, so
 * heartbeats and ARP replies run in between.
 */
export class ElectionScheduler {
  /** LBAddress name → what this node answers for it (as owner, or as an old owner handing over). */
  readonly desired = new Map<string, Announcement>();
  /** Address key → when this node stopped being its owner while still answering (make-before-break). */
  private readonly lostAt = new Map<string, number>();
  /** Address key → a claim seen on the wire while this node was handing the address over. */
  private readonly wireClaims = new Map<string, number>();
  /**
   * Address key → the herald node that last claimed it on the wire, and when: a claim from the successor
   * shortly before this node's election reached the hand-over proves as well that it answers (a joining
   * node claims before a busy old owner re-elects; after one-way heartbeat loss, the node handed back to
   * claimed first). One entry per address, overwritten.
   */
  private readonly recentClaims = new Map<string, { readonly node: string; readonly atMs: number }>();
  /** Why this node last stopped answering an address, for the announceStopped log. */
  private readonly handoverReasons = new Map<string, HandoverReason>();
  private handoverTimer: NodeJS.Timeout | undefined;
  /** When handoverTimer fires (Infinity: not armed). */
  private handoverTimerAt = Infinity;
  /** Names of addresses being handed over whose facts changed (a successor's heartbeat list), for the next round. */
  private readonly handoversDue = new Set<string>();
  /** The hand-over timer fired: the next round decides the addresses whose hand-over has timed out. */
  private deadlinesDue = false;
  private scheduled = false;
  /** Some fact changed since the last gathering (a round that only continues pending work skips it). */
  private gatherNeeded = true;
  /** Address key → what this node answers for it, changed since the announcer was last told. */
  private readonly unapplied = new Map<string, AnnouncementChange>();
  /** The next apply hands the announcer the whole desired set (nothing applied yet, or links changed). */
  private applyAll = true;

  constructor(private readonly o: ElectionSchedulerOptions) {}

  stop(): void {
    clearTimeout(this.handoverTimer);
  }

  /** Facts changed: gather them and elect on a later turn (coalesced). */
  schedule(): void {
    this.gatherNeeded = true;
    this.soon();
  }

  /**
   * The links changed: the next round re-applies every answer (an answer on a link re-created under the
   * same name moves to the new link, though no election result changed).
   */
  reapplyAll(): void {
    this.applyAll = true;
    // An answer on a re-created link is a new one: the hand-overs are decided again, so it is kept quiet too.
    for (const k of this.lostAt.keys()) {
      const name = this.o.facts.nameOfKey.get(k);
      if (name !== undefined) this.handoversDue.add(name);
    }
    this.schedule();
  }

  /** Facts changed: the next round gathers them, without forcing a round. */
  factsChanged(): void {
    this.gatherNeeded = true;
  }

  /** This node is handing the address over: a claim seen on the wire is the successor's. */
  handingOver(key: string): boolean {
    return this.lostAt.has(key);
  }

  /**
   * The successor claimed an address this node hands over: stop answering it now, in this turn. Only this
   * address is decided (O(1)); the round that follows on a later turn does the rest. Leaving the stop to that
   * round put two MACs on the wire for as long as the event loop took to get there (tens of ms while
   * thirteen speakers start on two cores: startRace.e2e saw both answer).
   */
  successorClaimed(key: string, now: number): void {
    this.wireClaims.set(key, now);
    const name = this.o.facts.nameOfKey.get(key);
    if (name === undefined) return;
    if (this.applyAll || !this.o.electing()) {
      // Not now (every answer is about to be applied again, or results are not applied yet): the next round.
      this.handoversDue.add(name);
      return;
    }
    this.decide(name, now, this.o.membership.peers());
    const change = this.unapplied.get(key);
    if (change === undefined) return;
    this.unapplied.delete(key);
    this.o.applyChanges([change]);
  }

  /**
   * Live peers' heartbeat lists changed for this address (ElectionFacts' gathering): if this node hands it
   * over, the successor may now list it, so the next round decides it again.
   */
  holdersChanged(ip: string): void {
    const name = this.o.facts.nameOfIp.get(ip);
    const e = name === undefined ? undefined : this.o.facts.inElection.get(name);
    if (e && this.lostAt.has(e.key)) this.handoversDue.add(name!);
  }

  /** A herald node claimed an address this node answers (SpeakerController, whatever the claim turns out to be). */
  claimedBy(key: string, node: string, now: number): void {
    this.recentClaims.set(key, { node, atMs: now });
  }

  /** The address left the election. */
  forgetHandover(key: string): void {
    this.lostAt.delete(key);
    this.wireClaims.delete(key);
    this.recentClaims.delete(key);
  }

  /** Why this node stopped answering an address (once). */
  takeHandoverReason(name: string): HandoverReason | undefined {
    const r = this.handoverReasons.get(name);
    this.handoverReasons.delete(name);
    return r;
  }

  /**
   * One round, applied; left-over work continues on the next turn, after heartbeats and replies had theirs.
   * The announcer hears only what the round changed: a round costs what it re-elected, not every address
   * this node answers (a hand-over of thousands runs hundreds of rounds).
   */
  recompute(): void {
    const pending = this.round();
    if (this.applyAll) {
      this.applyAll = false;
      this.unapplied.clear();
      this.o.apply([...this.desired.values()]);
    } else if (this.unapplied.size > 0) {
      const changes = [...this.unapplied.values()];
      this.unapplied.clear();
      this.o.applyChanges(changes);
    }
    this.o.afterApply?.(pending);
    if (pending) this.soon();
  }

  /** Records a change of what this node answers for `name` (at `address`), for the next apply. */
  private setDesired(name: string, address: IPAddress, d: Announcement | undefined): void {
    const before = this.desired.get(name);
    const same = (x: IPAddress, y: IPAddress) => x.value === y.value && x.family === y.family;
    if (before === d || (before && d && before.interface === d.interface && same(before.address, d.address))) return;
    if (d) this.desired.set(name, d);
    else if (before) this.desired.delete(name);
    else return;
    // An LBAddress whose address changed under the same name: the old address stops being answered too.
    if (before && !same(before.address, address)) this.unapplied.set(addressKey(before.address), { address: before.address, desired: undefined });
    this.unapplied.set(addressKey(address), { address, desired: d });
  }

  /**
   * One round: gathers the facts that changed since the last round, lets the election re-elect what they
   * can move (for at most electionSliceMs), and decides per re-elected or handing-over address whether this
   * node answers (addressHandover). Returns true when election work is left for another turn.
   */
  round(): boolean {
    const { facts, election } = this.o;
    const now = Date.now();
    const peers = this.o.membership.peers();
    const gather = this.gatherNeeded;
    this.gatherNeeded = false;
    // Reading thousands of addresses (start, a pool edit) is election work too: bounded like the rest.
    if (gather && facts.gather(peers, now, this.sliceMs / 2)) this.gatherNeeded = true;
    const started = performance.now();
    const changed: string[] = [];
    do {
      for (const c of election.flush(32)) changed.push(c.name);
    } while (election.pending() > 0 && performance.now() - started < this.sliceMs);

    // Only what something changed is decided: a re-elected address, a hand-over whose successor's list
    // moved, one whose time ran out. Deciding every hand-over each round (up to 5,000 while a node joins,
    // and claims bring a round every turn) was a fifth of a starved main thread's work (ADR 0012).
    const due = new Set(changed);
    for (const name of this.handoversDue) due.add(name);
    this.handoversDue.clear();
    if (this.deadlinesDue) this.addTimedOut(due, now);
    let nextDeadline = Infinity;
    for (const name of due) nextDeadline = Math.min(nextDeadline, this.decide(name, now, peers));
    this.armHandoverTimer(nextDeadline, now);
    // Status is reported only from elections whose outcome is applied (not the first one before readiness).
    if (this.o.electing()) this.o.elected(changed, gather);
    return election.pending() > 0 || facts.unread() > 0 || this.o.morePending();
  }

  /**
   * Whether this node answers one address now (addressHandover), recorded for the next apply. Returns when
   * a kept address must be decided again (Infinity: no deadline).
   */
  private decide(name: string, now: number, peers: ReturnType<MembershipSource['peers']>): number {
    const { facts, election } = this.o;
    const e: InElection | undefined = facts.inElection.get(name);
    const result = election.result(name);
    if (!e || !result) {
      const before = this.desired.get(name);
      if (before) this.setDesired(name, before.address, undefined);
      if (e) this.forgetHandover(e.key);
      return Infinity;
    }
    const { address, ip, key: k } = e;
    const owner = result.owner?.node === this.o.node;
    const held = this.o.announcer.announcement(address);
    const successor = owner ? undefined : result.owner?.node;
    const recent = this.recentClaims.get(k);
    const successorClaimedRecently = recent !== undefined && recent.node === successor && now - recent.atMs < this.timeoutMs;
    const h = addressHandover({
      owner, successor, held: !!held, lostAtMs: this.lostAt.get(k), wireClaimed: this.wireClaims.has(k) || successorClaimedRecently,
      successorAnnouncing: successor !== undefined && (peers.get(successor)?.announcing ?? []).includes(ip),
      nowMs: now, timeoutMs: this.timeoutMs,
    });
    if (h.lostAtMs === undefined) {
      this.lostAt.delete(k);
      this.wireClaims.delete(k);
      if (owner) this.recentClaims.delete(k);
    } else this.lostAt.set(k, h.lostAtMs);
    if (h.answer === 'own') {
      this.setDesired(name, address, { address, interface: result.owner!.interface });
      this.o.announcer.quietBursts(address, false);
    } else if (h.answer === 'keep' && held) {
      this.setDesired(name, address, held);
      // Answered until the successor claims it, but claimed no more: its bursts would take clients back.
      this.o.announcer.quietBursts(address, true);
      return h.deadlineMs ?? now;
    } else {
      this.setDesired(name, address, undefined);
      if (held) this.handoverReasons.set(name, h.reason);
    }
    return Infinity;
  }

  /** Adds the addresses whose hand-over has timed out; the timer is armed again for the rest. */
  private addTimedOut(due: Set<string>, now: number): void {
    this.deadlinesDue = false;
    this.handoverTimerAt = Infinity;
    let next = Infinity;
    for (const [k, lostAt] of this.lostAt) {
      const deadline = lostAt + this.timeoutMs;
      const name = this.o.facts.nameOfKey.get(k);
      // An address no longer in the election under this key (its LBAddress now names another address):
      // nothing is left to decide, and a deadline kept for it would re-arm the timer for ever.
      if (name === undefined) this.forgetHandover(k);
      else if (deadline <= now) due.add(name);
      else next = Math.min(next, deadline);
    }
    this.armHandoverTimer(next, now);
  }

  /**
   * Nothing else wakes the election when a successor never claims: look again at the earliest timeout. A
   * timer left armed for an address that no longer needs it only costs a round that finds nothing due.
   */
  private armHandoverTimer(deadline: number, now: number): void {
    if (deadline === Infinity || deadline >= this.handoverTimerAt) return;
    clearTimeout(this.handoverTimer);
    this.handoverTimerAt = deadline;
    this.handoverTimer = setTimeout(() => {
      this.deadlinesDue = true;
      this.schedule();
    }, Math.max(0, deadline - now) + 5);
  }

  private get timeoutMs(): number {
    return this.o.handoverTimeoutMs ?? 2_000;
  }

  private soon(): void {
    if (this.scheduled || !this.o.electing()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.recompute();
    });
  }

  private get sliceMs(): number {
    return this.o.electionSliceMs ?? 20;
  }
}
