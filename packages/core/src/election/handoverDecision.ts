/**
 * Why this node answers, or stops answering, for one address it may be handing over. One closed set for
 * logs and metrics. DESIGN.md: every ownership transfer is make-before-break; only a dead owner is
 * replaced without a hand-over (the dead node cannot answer, so there is nothing to keep).
 */
export type HandoverReason =
  /** This node is the elected owner: it answers. */
  | 'Owner'
  /** Not the owner and not answering: nothing to hand over. */
  | 'NotOwner'
  /** The new owner has claimed the address (in its heartbeat, or a gratuitous ARP/NA on the wire). */
  | 'SuccessorClaimed'
  /** Nobody may announce the address any more (advertisement or endpoints gone): stop at once. */
  | 'NoSuccessor'
  /** Keep answering until the new owner claims the address. */
  | 'AwaitingSuccessor'
  /** The new owner did not claim the address in time: stop anyway so two nodes do not answer for long. */
  | 'HandoverTimeout';

export interface HandoverFacts {
  /** This node is the elected owner now. */
  readonly owner: boolean;
  /** This node answers ARP/NDP for the address right now. */
  readonly announcing: boolean;
  /** The elected owner when it is another node; undefined when no node may announce the address. */
  readonly successor?: {
    /** Its heartbeat lists the address, or its claim was seen on the wire since this node lost it. */
    readonly claimed: boolean;
  };
  /** Since this node stopped being the owner while still answering (same clock as nowMs). */
  readonly lostAtMs: number;
  readonly nowMs: number;
  /** DESIGN.md: 2 s. */
  readonly timeoutMs: number;
}

export interface HandoverDecision {
  /** Whether this node answers for the address after this decision. */
  readonly answer: boolean;
  readonly reason: HandoverReason;
}

/** Whether this node keeps answering for an address, from who owns it now and what the successor claimed. */
export function handoverDecision(f: HandoverFacts): HandoverDecision {
  if (f.owner) return { answer: true, reason: 'Owner' };
  if (!f.announcing) return { answer: false, reason: 'NotOwner' };
  if (!f.successor) return { answer: false, reason: 'NoSuccessor' };
  if (f.successor.claimed) return { answer: false, reason: 'SuccessorClaimed' };
  if (f.nowMs - f.lostAtMs >= f.timeoutMs) return { answer: false, reason: 'HandoverTimeout' };
  return { answer: true, reason: 'AwaitingSuccessor' };
}
