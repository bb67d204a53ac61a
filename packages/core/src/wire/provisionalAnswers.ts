import type { IPAddress } from '../ip/address.js';
import type { AnswerChange, AnswerLink, AnswerTable } from './answerTable.js';

/** An address the answering side takes over when a peer dies, and the link it is answered on. */
export interface StandbyAddress {
  readonly link: AnswerLink;
  readonly address: IPAddress;
}

/** An address answered provisionally: where, and since when. */
export interface ProvisionalAddress {
  readonly ifindex: number;
  readonly address: IPAddress;
}

interface Held {
  /** The peer whose death it was taken over at. */
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
 * the main thread is wedged). A link the announcer has not opened (this node answers nothing there yet) is
 * opened for the takeover and closed again once nothing provisional is left on it, unless the announcer
 * opened it meanwhile. Pure bookkeeping: the caller applies the returned changes to its AnswerTable.
 */
export class ProvisionalAnswers {
  private plan = new Map<string, readonly StandbyAddress[]>();
  /** Plans used at a death, kept for the peer's return (the main thread resends a plan only when it changes). */
  private readonly used = new Map<string, readonly StandbyAddress[]>();
  private readonly held = new Map<string, Held>();
  /** Links opened for a takeover, not (yet) by the announcer. */
  private readonly links = new Set<number>();

  constructor(private readonly o: { readonly holdMs: number }) {}

  /** The announcer's latest plan, replacing the previous one. */
  setPlan(plan: ReadonlyMap<string, readonly StandbyAddress[]>): void {
    this.plan = new Map(plan);
    this.used.clear();
  }

  /**
   * `peer` was declared dead: the changes that answer its planned addresses now (opening a link the table
   * does not have open), except those answered already (an address this node holds stays the announcer's)
   * and those on a link the table has open as another link (the plan is older than the announcer's view).
   * The plan for the peer is used once.
   */
  takeOver(peer: string, nowMs: number, table: AnswerTable): AnswerChange[] {
    const planned = this.plan.get(peer) ?? [];
    if (this.plan.delete(peer)) this.used.set(peer, planned);
    const out: AnswerChange[] = [];
    const opening = new Set<number>();
    for (const { link, address } of planned) {
      const k = key(link.ifindex, address);
      const open = table.link(link.ifindex);
      if (open && (open.ifname !== link.ifname || open.mac !== link.mac)) continue;
      if (!open && !opening.has(link.ifindex)) {
        opening.add(link.ifindex);
        this.links.add(link.ifindex);
        out.push({ op: 'open', link });
      }
      if (table.owns(link.ifindex, address) || this.held.has(k)) continue;
      this.held.set(k, { peer, ifindex: link.ifindex, address, sinceMs: nowMs });
      out.push({ op: 'add', ifindex: link.ifindex, address });
    }
    return out;
  }

  /**
   * The announcer's change `c` was applied to the table: an address it adds or removes is its own from now
   * on, a link it opens or closes is its own, and an address whose link closed or re-opened is answered no more.
   */
  announcerChanged(c: AnswerChange, table: AnswerTable): void {
    if (c.op === 'add' || c.op === 'remove') {
      this.held.delete(key(c.ifindex, c.address));
      return;
    }
    const ifindex = c.op === 'open' ? c.link.ifindex : c.ifindex;
    this.links.delete(ifindex);
    for (const [k, h] of this.held) if (h.ifindex === ifindex && !table.owns(h.ifindex, h.address)) this.held.delete(k);
  }

  /**
   * The main thread's election did not give these to this node: the removes that stop answering them, and
   * the closes of links opened only for them. `table` is the table before these changes.
   */
  release(addresses: readonly ProvisionalAddress[], table: AnswerTable): AnswerChange[] {
    const out: AnswerChange[] = [];
    for (const s of addresses) {
      if (!this.held.delete(key(s.ifindex, s.address))) continue;
      out.push({ op: 'remove', ifindex: s.ifindex, address: s.address });
    }
    return this.withCloses(out, table);
  }

  /**
   * `peer` is alive again in this thread's view (it refuted a false death: it was stalled, not gone, and
   * still answers its addresses): the removes for what was taken over from it and is still provisional (and
   * the closes, as release), and its plan back for its next death. Waiting for the main thread's release
   * instead would leave two nodes answering for a whole election round, which on a starved host is the
   * whole hold, and the owner's conflict handling answers each of those claims with announcements of its own.
   */
  peerAlive(peer: string, table: AnswerTable): AnswerChange[] {
    const used = this.used.get(peer);
    if (used && !this.plan.has(peer)) this.plan.set(peer, used);
    this.used.delete(peer);
    const out: AnswerChange[] = [];
    for (const [k, h] of this.held) {
      if (h.peer !== peer) continue;
      this.held.delete(k);
      out.push({ op: 'remove', ifindex: h.ifindex, address: h.address });
    }
    return this.withCloses(out, table);
  }

  /** The removes for addresses held provisionally `holdMs` or longer (and the closes, as release). */
  expire(nowMs: number, table: AnswerTable): AnswerChange[] {
    const out: AnswerChange[] = [];
    for (const [k, h] of this.held) {
      if (nowMs - h.sinceMs < this.o.holdMs) continue;
      this.held.delete(k);
      out.push({ op: 'remove', ifindex: h.ifindex, address: h.address });
    }
    return this.withCloses(out, table);
  }

  /** `removes`, then a close for each link opened for a takeover that they leave empty. */
  private withCloses(removes: AnswerChange[], table: AnswerTable): AnswerChange[] {
    for (const ifindex of [...this.links]) {
      const left = table.size(ifindex) - removes.filter((c) => c.op === 'remove' && c.ifindex === ifindex).length;
      if (left > 0) continue;
      this.links.delete(ifindex);
      removes.push({ op: 'close', ifindex });
    }
    return removes;
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
