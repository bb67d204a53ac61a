/** What a speaker remembers about conflicts on one address it announces (kept per address, never per MAC). */
export interface ConflictMemory {
  /** When it last logged, re-checked ownership and re-announced (monotonic ms). */
  readonly actedAtMs: number;
  /** When it last emitted an Event. */
  readonly eventAtMs: number;
  /** Claims seen since that Event without one of their own. */
  readonly suppressed: number;
}

export interface ConflictLimits {
  /** At most one log line, ownership re-check and re-announcement per address per this many ms. */
  readonly actEveryMs: number;
  /** At most one Event per address per this many ms. */
  readonly eventEveryMs: number;
  /**
   * How long a live herald peer's claim waits before it counts as a conflict: two elections that disagree
   * for less than a hand-over (a node joining, a hand-over this node's election has not reached yet) agree
   * again on their own.
   */
  readonly peerGraceMs: number;
}

export const DEFAULT_CONFLICT_LIMITS: ConflictLimits = { actEveryMs: 1_000, eventEveryMs: 60_000, peerGraceMs: 2_000 };

export interface ClaimInput {
  /** The claiming MAC is a herald peer's that this node's membership holds alive. */
  readonly fromLivePeer: boolean;
  /** A claim on this address is already waiting (claimHandling 'wait'). */
  readonly waiting: boolean;
  readonly nowMs: number;
  readonly limits: ConflictLimits;
}

/**
 * What to do first with a claim on an address this node answers. A foreign MAC, or a herald node this
 * node holds dead (its claim proves it alive, and must see ours back), is a conflict now ('respond'). A
 * live peer's claim means its election gives it the address: re-elect, and look again after the grace
 * ('wait'); only if this node still answers it then, not handing it over, is it a conflict. Responding at
 * once made every address of a node joining at 10,000 bounce between two MACs, each bounce a log line, a
 * re-check, a re-announcement and an Event on a main thread already short of CPU (ADR 0012).
 */
export function claimHandling(i: ClaimInput): { readonly step: 'respond' } | { readonly step: 'wait'; readonly untilMs: number } | { readonly step: 'waiting' } {
  if (!i.fromLivePeer) return { step: 'respond' };
  if (i.waiting) return { step: 'waiting' };
  return { step: 'wait', untilMs: i.nowMs + i.limits.peerGraceMs };
}

export interface ConflictInput {
  readonly nowMs: number;
  readonly memory: ConflictMemory | undefined;
  readonly limits: ConflictLimits;
}

export interface ConflictResponse {
  /** Log, re-check ownership with fresh facts, and send a gratuitous burst to win the neighbours back. */
  readonly act: boolean;
  /** Record an Event (Warning AddressConflict) on the LBAddress. */
  readonly event: boolean;
  /** How many claims the Event should say were not reported on their own. */
  readonly suppressedBefore: number;
  readonly memory: ConflictMemory;
}

/**
 * How to react to another MAC claiming an address this node answers for. Every claim is counted (by the
 * caller, as a metric); everything that costs more is rate-limited per address, so a flood of forged
 * gratuitous ARPs from ever-new MACs costs one log line and one re-announcement per second and one Event
 * per minute, and nothing grows with the number of MACs.
 */
export function conflictResponse(input: ConflictInput): ConflictResponse {
  const m = input.memory ?? { actedAtMs: -Infinity, eventAtMs: -Infinity, suppressed: 0 };
  const act = input.nowMs - m.actedAtMs >= input.limits.actEveryMs;
  const event = input.nowMs - m.eventAtMs >= input.limits.eventEveryMs;
  return {
    act,
    event,
    suppressedBefore: event ? m.suppressed : 0,
    memory: {
      actedAtMs: act ? input.nowMs : m.actedAtMs,
      eventAtMs: event ? input.nowMs : m.eventAtMs,
      suppressed: event ? 0 : m.suppressed + 1,
    },
  };
}
