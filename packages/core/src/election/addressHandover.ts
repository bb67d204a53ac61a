import { handoverDecision, type HandoverReason } from './handoverDecision.js';

export interface AddressHandoverFacts {
  /** This node is the elected owner. */
  readonly owner: boolean;
  /** The elected owner when it is another node. */
  readonly successor: string | undefined;
  /** This node answers for the address now. */
  readonly held: boolean;
  /** When this node stopped being the owner while still answering, if it has. */
  readonly lostAtMs: number | undefined;
  /** A claim from the successor was seen on the wire since then. */
  readonly wireClaimed: boolean;
  /** The successor's heartbeat lists the address. */
  readonly successorAnnouncing: boolean;
  readonly nowMs: number;
  readonly timeoutMs: number;
}

export interface AddressHandover {
  /** 'own': answer as owner; 'keep': keep answering as old owner; 'none': do not answer. */
  readonly answer: 'own' | 'keep' | 'none';
  readonly reason: HandoverReason;
  /** The hand-over clock to keep (undefined: forget it, and any wire claim with it). */
  readonly lostAtMs: number | undefined;
  /** When to look again if nothing else happens (a 'keep' that times out). */
  readonly deadlineMs: number | undefined;
}

/**
 * One address's make-before-break step: the owner answers; an old owner keeps answering until the successor
 * claims the address or the hand-over times out (handoverDecision); the hand-over clock starts the first
 * time this node is found answering an address it no longer owns.
 */
export function addressHandover(f: AddressHandoverFacts): AddressHandover {
  const lostAtMs = f.owner || !f.held ? undefined : (f.lostAtMs ?? f.nowMs);
  const d = handoverDecision({
    owner: f.owner,
    announcing: f.held,
    ...(f.successor === undefined || f.owner ? {} : { successor: { claimed: f.wireClaimed || f.successorAnnouncing } }),
    lostAtMs: lostAtMs ?? f.nowMs,
    nowMs: f.nowMs,
    timeoutMs: f.timeoutMs,
  });
  if (f.owner) return { answer: 'own', reason: d.reason, lostAtMs: undefined, deadlineMs: undefined };
  if (d.answer && f.held) return { answer: 'keep', reason: d.reason, lostAtMs, deadlineMs: (lostAtMs ?? f.nowMs) + f.timeoutMs };
  return { answer: 'none', reason: d.reason, lostAtMs, deadlineMs: undefined };
}
