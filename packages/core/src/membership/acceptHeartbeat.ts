import { err, ok, type Result } from '../result.js';
import { heartbeatError, type HeartbeatError } from './heartbeatReason.js';

/** The last heartbeat accepted from a peer, as far as ordering goes. */
export interface AcceptedMark {
  readonly incarnation: number;
  readonly sequence: number;
  /** Local clock time it arrived. */
  readonly atMs: number;
}

export interface AcceptHeartbeatInput {
  readonly heartbeat: { readonly node: string; readonly incarnation: number; readonly sequence: number };
  /** What this table accepted last from the peer, if anything. */
  readonly last?: AcceptedMark;
  /** The incarnation the peer's own Lease publishes, if its Lease is known and carries one. */
  readonly leaseIncarnation?: number;
  /** Incarnations a smaller one has already replaced (clock stepped back): they never come back. */
  readonly retired?: readonly number[];
  readonly nowMs: number;
  readonly deadAfterMs: number;
}

export type AcceptHeartbeatReason = 'StaleIncarnation' | 'Replay' | 'BelowLeaseIncarnation';

/**
 * Is a correctly signed heartbeat new, or a replay? The HMAC proves who wrote it, not when.
 *
 * - The peer's Lease, written by the peer itself at start, is a floor: a heartbeat of an incarnation
 *   below the one the Lease publishes comes from a process that no longer runs (captured and replayed),
 *   even to a speaker that has never heard the peer before.
 * - Within one incarnation the sequence must grow.
 * - A larger incarnation is a restart — unless a smaller one has already replaced it (`retired`): then
 *   it is the old process's heartbeat replayed.
 * - A smaller incarnation is normally stale — but a node whose clock stepped back restarts with a smaller
 *   one. It is accepted once the incarnation heard last has been silent for dead-after (it no longer
 *   runs) and, when the Lease is known, the Lease names exactly this incarnation (the restarted process
 *   wrote it). Without a Lease (static peers) dead-after alone decides, so replay protection across
 *   restarts needs the Leases.
 */
export function acceptHeartbeat(i: AcceptHeartbeatInput): Result<true, HeartbeatError<AcceptHeartbeatReason>> {
  const { heartbeat: hb, last, leaseIncarnation } = i;
  if (leaseIncarnation !== undefined && hb.incarnation < leaseIncarnation) {
    return err(heartbeatError('BelowLeaseIncarnation', `${hb.node} incarnation ${hb.incarnation} is older than ${leaseIncarnation}, the one its Lease publishes`));
  }
  if (i.retired?.includes(hb.incarnation)) {
    return err(heartbeatError('StaleIncarnation', `${hb.node} incarnation ${hb.incarnation} has already been replaced by a restart`));
  }
  if (!last || hb.incarnation > last.incarnation) return ok(true);
  if (hb.incarnation === last.incarnation) {
    return hb.sequence > last.sequence
      ? ok(true)
      : err(heartbeatError('Replay', `${hb.node} sequence ${hb.sequence} of incarnation ${hb.incarnation} is not after ${last.sequence}, already accepted`));
  }
  const silentMs = i.nowMs - last.atMs;
  const oldGone = silentMs >= i.deadAfterMs;
  const leaseAgrees = leaseIncarnation === undefined || leaseIncarnation === hb.incarnation;
  if (oldGone && leaseAgrees) return ok(true);
  const why = !oldGone
    ? `incarnation ${last.incarnation} was heard ${Math.round(silentMs)} ms ago`
    : `its Lease publishes incarnation ${leaseIncarnation}`;
  return err(heartbeatError('StaleIncarnation', `${hb.node} incarnation ${hb.incarnation} is older than ${last.incarnation}, already heard, and ${why}`));
}
