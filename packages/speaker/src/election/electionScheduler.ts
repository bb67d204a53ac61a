import { addressHandover, type HandoverReason, type IncrementalElection } from '@herald/core';
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
  /** Makes the announcer match what this node answers. */
  apply: (desired: Announcement[]) => void;
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
  /** Why this node last stopped answering an address, for the announceStopped log. */
  private readonly handoverReasons = new Map<string, HandoverReason>();
  private handoverTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  /** Some fact changed since the last gathering (a round that only continues pending work skips it). */
  private gatherNeeded = true;

  constructor(private readonly o: ElectionSchedulerOptions) {}

  stop(): void {
    clearTimeout(this.handoverTimer);
  }

  /** Facts changed: gather them and elect on a later turn (coalesced). */
  schedule(): void {
    this.gatherNeeded = true;
    this.soon();
  }

  /** Facts changed: the next round gathers them, without forcing a round. */
  factsChanged(): void {
    this.gatherNeeded = true;
  }

  /** This node is handing the address over: a claim seen on the wire is the successor's. */
  handingOver(key: string): boolean {
    return this.lostAt.has(key);
  }

  /** The successor claimed an address this node hands over: stop answering it now. */
  successorClaimed(key: string, now: number): void {
    this.wireClaims.set(key, now);
  }

  /** The address left the election. */
  forgetHandover(key: string): void {
    this.lostAt.delete(key);
    this.wireClaims.delete(key);
  }

  /** Why this node stopped answering an address (once). */
  takeHandoverReason(name: string): HandoverReason | undefined {
    const r = this.handoverReasons.get(name);
    this.handoverReasons.delete(name);
    return r;
  }

  /** One round, applied; left-over work continues on the next turn, after heartbeats and replies had theirs. */
  recompute(): void {
    const pending = this.round();
    this.o.apply([...this.desired.values()]);
    if (pending) this.soon();
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
    // What the announcer holds, built only when an address being decided is announced (O(owned)).
    let current: Map<string, Announcement> | undefined;
    const heldNow = (e: InElection) => {
      if (!this.o.announcer.isAnnouncing(e.address)) return undefined;
      current ??= new Map(this.o.announcer.announcing().map((a) => [addressKey(a.address), a]));
      return current.get(e.key);
    };
    const started = performance.now();
    const changed: string[] = [];
    do {
      for (const c of election.flush(32)) changed.push(c.name);
    } while (election.pending() > 0 && performance.now() - started < this.sliceMs);

    const timeoutMs = this.o.handoverTimeoutMs ?? 2_000;
    let nextDeadline = Infinity;
    const handingOver = [...this.lostAt.keys()].flatMap((k) => {
      const name = facts.nameOfKey.get(k);
      return name === undefined ? [] : [name];
    });
    for (const name of new Set([...changed, ...handingOver])) {
      const e = facts.inElection.get(name);
      const result = election.result(name);
      if (!e || !result) {
        this.desired.delete(name);
        continue;
      }
      const { address, ip, key: k } = e;
      const owner = result.owner?.node === this.o.node;
      const held = heldNow(e);
      const successor = owner ? undefined : result.owner?.node;
      const h = addressHandover({
        owner, successor, held: !!held, lostAtMs: this.lostAt.get(k), wireClaimed: this.wireClaims.has(k),
        successorAnnouncing: successor !== undefined && (peers.get(successor)?.announcing ?? []).includes(ip),
        nowMs: now, timeoutMs,
      });
      if (h.lostAtMs === undefined) {
        this.lostAt.delete(k);
        this.wireClaims.delete(k);
      } else this.lostAt.set(k, h.lostAtMs);
      if (h.answer === 'own') this.desired.set(name, { address, interface: result.owner!.interface });
      else if (h.answer === 'keep' && held) {
        this.desired.set(name, held);
        nextDeadline = Math.min(nextDeadline, h.deadlineMs ?? now);
      } else {
        this.desired.delete(name);
        if (held) this.handoverReasons.set(name, h.reason);
      }
    }
    // Nothing else wakes the election when a successor never claims: re-check at the earliest timeout.
    clearTimeout(this.handoverTimer);
    if (nextDeadline !== Infinity) this.handoverTimer = setTimeout(() => this.schedule(), Math.max(0, nextDeadline - now) + 5);
    // Status is reported only from elections whose outcome is applied (not the first one before readiness).
    if (this.o.electing()) this.o.elected(changed, gather);
    return election.pending() > 0 || facts.unread() > 0 || this.o.morePending();
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
