/** Why a peer counts, or does not count, as an election candidate for one address. */
export type CandidacyReason =
  /** Alive and ready: a candidate everywhere. */
  | 'Ready'
  /** No heartbeat (or fresh Lease) and no claim seen: not a candidate. */
  | 'Dead'
  /** Alive but still starting (caches, peers or first election pending), and the address is answered
   *  by someone: peers keep answering it until the starting node is ready. */
  | 'NotReady'
  /** Starting, and nobody answers the address yet: the starting node is the one that will, so nobody
   *  else takes it only to hand it over a moment later (which would put two voices on the wire). */
  | 'Starting'
  /** Its heartbeats do not reach this node, but its gratuitous ARP/NA for an address this node answers
   *  did: proof that it is alive (one-way heartbeat loss), so the ranking decides between the two. */
  | 'ClaimSeen';

export interface PeerCandidacyFacts {
  readonly alive: boolean;
  readonly ready: boolean;
  /** When this node first saw the peer not ready (since it was last ready). */
  readonly notReadySinceMs?: number;
  /** When this node last saw a claim on the wire from one of the peer's MACs. */
  readonly claimSeenAtMs?: number;
  /** Some live node answers the address now (its heartbeat lists it, or this node announces it). */
  readonly answered: boolean;
  readonly nowMs: number;
  /** How long a starting peer holds unanswered addresses it will win before it must be ready. */
  readonly startupHoldMs: number;
  /** How long a claim seen on the wire counts as proof of life. */
  readonly claimEvidenceMs: number;
}

export interface PeerCandidacy {
  readonly candidate: boolean;
  readonly reason: CandidacyReason;
}

/** Whether a peer takes part in the election for one address, from its liveness, readiness and claims. */
export function peerCandidacy(f: PeerCandidacyFacts): PeerCandidacy {
  if (!f.alive) {
    const claimFresh = f.claimSeenAtMs !== undefined && f.nowMs - f.claimSeenAtMs < f.claimEvidenceMs;
    return claimFresh ? { candidate: true, reason: 'ClaimSeen' } : { candidate: false, reason: 'Dead' };
  }
  if (f.ready) return { candidate: true, reason: 'Ready' };
  const starting = f.notReadySinceMs !== undefined && f.nowMs - f.notReadySinceMs < f.startupHoldMs;
  return starting && !f.answered ? { candidate: true, reason: 'Starting' } : { candidate: false, reason: 'NotReady' };
}
