import type { IPAddress } from '../ip/address.js';
import type { AnswerChange, AnswerTable } from './answerTable.js';

/** An address the answering side takes over when a peer dies, on a link the announcer has open. */
export interface StandbyAddress {
  readonly ifindex: number;
  readonly address: IPAddress;
}

interface Held {
  readonly peer: string;
  readonly ifindex: number;
  readonly address: IPAddress;
  readonly sinceMs: number;
}

const key = (ifindex: number, a: IPAddress) => `${ifindex}|${a.family}:${a.value}`;

/**
 * The answering side's standby (issue 11): what the main thread's announcer planned to take over per peer
 * (standbyPlan), and what it answers provisionally after a peer's death, before the announcer confirms.
 * An address stays provisional until the announcer's own change for it arrives (it adds it: confirmed;
 * removes it, or closes or re-opens its link: gone), the main thread releases it (its election gave it
 * to nobody or to another node), or `holdMs` passes (a main thread that never got to it: two nodes must not
 * answer one address longer than a hand-over may, and the main-loop watch stops all answering sooner when
 * the main thread is wedged). Pure bookkeeping: the caller applies the returned changes to its AnswerTable.
 */
export class ProvisionalAnswers {
  private plan = new Map<string, readonly StandbyAddress[]>();
  private readonly held = new Map<string, Held>();

  constructor(private readonly o: { readonly holdMs: number }) {}

  /** The announcer's latest plan, replacing the previous one. */
  setPlan(plan: ReadonlyMap<string, readonly StandbyAddress[]>): void {
    this.plan = new Map(plan);
  }

  /**
   * `peer` was declared dead: the adds that answer its planned addresses now, for those on a link the table
   * has open and not answered already (an address this node holds stays the announcer's). The plan for the
   * peer is used once.
   */
  takeOver(peer: string, nowMs: number, table: AnswerTable): AnswerChange[] {
    const planned = this.plan.get(peer) ?? [];
    this.plan.delete(peer);
    const out: AnswerChange[] = [];
    for (const s of planned) {
      const k = key(s.ifindex, s.address);
      if (table.link(s.ifindex) === undefined || table.owns(s.ifindex, s.address) || this.held.has(k)) continue;
      this.held.set(k, { peer, ifindex: s.ifindex, address: s.address, sinceMs: nowMs });
      out.push({ op: 'add', ifindex: s.ifindex, address: s.address });
    }
    return out;
  }

  /**
   * The announcer's change `c` was applied to the table: an address it adds or removes is its own from now
   * on, and an address whose link closed or re-opened is answered no more.
   */
  announcerChanged(c: AnswerChange, table: AnswerTable): void {
    if (c.op === 'add' || c.op === 'remove') {
      this.held.delete(key(c.ifindex, c.address));
      return;
    }
    const ifindex = c.op === 'open' ? c.link.ifindex : c.ifindex;
    for (const [k, h] of this.held) if (h.ifindex === ifindex && !table.owns(h.ifindex, h.address)) this.held.delete(k);
  }

  /** The main thread's election did not give these to this node: the removes that stop answering them. */
  release(addresses: readonly StandbyAddress[]): AnswerChange[] {
    const out: AnswerChange[] = [];
    for (const s of addresses) {
      const k = key(s.ifindex, s.address);
      if (!this.held.delete(k)) continue;
      out.push({ op: 'remove', ifindex: s.ifindex, address: s.address });
    }
    return out;
  }

  /** The removes for addresses held provisionally `holdMs` or longer. */
  expire(nowMs: number): AnswerChange[] {
    const out: AnswerChange[] = [];
    for (const [k, h] of this.held) {
      if (nowMs - h.sinceMs < this.o.holdMs) continue;
      this.held.delete(k);
      out.push({ op: 'remove', ifindex: h.ifindex, address: h.address });
    }
    return out;
  }

  /** When the oldest provisional address expires, if any is held. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const h of this.held.values()) next = next === undefined ? h.sinceMs + this.o.holdMs : Math.min(next, h.sinceMs + this.o.holdMs);
    return next;
  }

  /** Addresses answered provisionally now. */
  size(): number {
    return this.held.size;
  }
}
