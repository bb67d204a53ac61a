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
}

export const DEFAULT_CONFLICT_LIMITS: ConflictLimits = { actEveryMs: 1_000, eventEveryMs: 60_000 };

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
