import {
  formatAddress, ProvisionalAnswers,
  type AnswerChange, type AnswerTable, type IPAddress, type ProvisionalAddress, type StandbyAddress,
} from '@herald/core';
import type { Logger } from 'pino';

/** What the takeover acts through: the answering thread's table and sockets (Answerer). */
export interface TakeoverAnswers {
  /** The table every change goes through; read here to tell what a takeover now answers. */
  readonly table: AnswerTable;
  /** Applies one change to the table and opens or closes the sockets it calls for. */
  apply(c: AnswerChange): void;
  /** Announces an address answered on `ifindex` (gratuitous ARP, or an unsolicited NA), if its link has sockets. */
  announce(ifindex: number, address: IPAddress): void;
}

export interface StandbyTakeoverOptions {
  readonly answers: TakeoverAnswers;
  readonly log: Logger;
  /** False while the main thread is wedged beyond its bound: peers are taking this node's addresses. */
  readonly mayAnswer?: () => boolean;
  /** How long an address taken over at a death is answered without the announcer's word. */
  readonly holdMs: number;
  /** Clock for the hold. */
  readonly now: () => number;
}

/**
 * The answering thread's standby (issue 11): applies what ProvisionalAnswers (core) decides at a peer's
 * death (answer and announce its planned addresses now), at its return, at the main thread's release, and
 * when the hold runs out, through the answering thread's table and sockets. The answering itself (sockets,
 * receive path, counts) is Answerer's; it hands each of the announcer's changes on here.
 */
export class StandbyTakeover {
  private readonly provisional: ProvisionalAnswers;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: StandbyTakeoverOptions) {
    this.provisional = new ProvisionalAnswers({ holdMs: o.holdMs });
  }

  /** The announcer's standby plan: what to answer at once when each peer dies (standbyPlan). */
  setPlan(plan: ReadonlyMap<string, readonly StandbyAddress[]>): void {
    this.provisional.setPlan(plan);
  }

  /** The announcer's change `c` was just applied to the table: what it touches is the announcer's again. */
  announcerChanged(c: AnswerChange): void {
    this.provisional.announcerChanged(c, this.o.answers.table);
  }

  /**
   * `peer` was declared dead (this thread's membership said so): its planned addresses are answered now,
   * then announced with gratuitous ARP / unsolicited NA, without waiting for the main thread (issue 11:
   * its election round and the acknowledgement's round trip each wait for a CPU on a busy host). Answering
   * first, then the packets: make before break. Nothing while the main thread is wedged beyond its bound
   * (peers are taking this node's addresses). Returns what was taken over, for the main thread to confirm.
   */
  takeOver(peer: string): ProvisionalAddress[] {
    if (this.o.mayAnswer && !this.o.mayAnswer()) return [];
    const { answers } = this.o;
    const changes = this.provisional.takeOver(peer, this.o.now(), answers.table);
    if (changes.length === 0) return [];
    const taken: ProvisionalAddress[] = [];
    for (const c of changes) {
      answers.apply(c);
      if (c.op !== 'add') continue;
      if (!answers.table.owns(c.ifindex, c.address)) continue;
      taken.push({ ifindex: c.ifindex, address: c.address });
      answers.announce(c.ifindex, c.address);
    }
    this.armHold();
    this.o.log.info({ event: 'standbyTakeover', peer, addresses: taken.map((t) => formatAddress(t.address)) }, `answering ${peer}'s addresses at its death, before the election confirms`);
    return taken;
  }

  /** The main thread's election did not give these to this node: stop answering those still provisional. */
  release(addresses: readonly ProvisionalAddress[]): void {
    const removed = this.stopAnswering(this.provisional.release(addresses, this.o.answers.table));
    if (removed.length > 0) this.o.log.info({ event: 'standbyReleased', addresses: removed }, 'stopped answering addresses taken over at a death: the election gave them to another node or to none');
  }

  /**
   * `peer` is alive again here (it refuted its death): whatever was taken over from it and is still
   * provisional stops being answered now; the owner announces it again on its own conflict check.
   */
  peerAlive(peer: string): void {
    const removed = this.stopAnswering(this.provisional.peerAlive(peer, this.o.answers.table));
    if (removed.length > 0) this.o.log.info({ event: 'standbyReverted', peer, addresses: removed }, `stopped answering addresses taken over at ${peer}'s death: it is alive again`);
  }

  /** Stops the hold timer: nothing expires after this. */
  close(): void {
    clearTimeout(this.holdTimer);
  }

  /** Applies the removes (and closes) that end provisional answers; the addresses no longer answered. */
  private stopAnswering(changes: readonly AnswerChange[]): string[] {
    for (const c of changes) this.o.answers.apply(c);
    return changes.flatMap((c) => (c.op === 'remove' ? [formatAddress(c.address)] : []));
  }

  /** Provisional addresses the announcer never confirmed stop being answered after the hold. */
  private armHold(): void {
    clearTimeout(this.holdTimer);
    const at = this.provisional.nextExpiryMs();
    if (at === undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      const removed = this.stopAnswering(this.provisional.expire(this.o.now(), this.o.answers.table));
      if (removed.length > 0) this.o.log.warn({ event: 'standbyExpired', addresses: removed }, 'stopped answering addresses taken over at a death: the announcer did not confirm them in time');
      this.armHold();
    }, Math.max(0, at - this.o.now()));
  }
}
