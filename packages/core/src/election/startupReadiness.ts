import type { JudgedBy } from '../membership/membershipView.js';

/** Why a starting speaker is not ready yet; the first that applies, in the order a user must fix them. */
export type ReadinessReason = 'CachesNotSynced' | 'PeersNotListed' | 'PeersNotStarted' | 'PeersNotHeard' | 'Ready';

export interface ReadinessPeer {
  readonly node: string;
  readonly alive: boolean;
  readonly judgedBy: JudgedBy;
  readonly heartbeatsBroken: boolean;
}

export interface ReadinessFacts {
  /** Every watched Kubernetes kind listed once (nodes, Services, EndpointSlices, pools, advertisements, LBAddresses). */
  readonly cachesSynced: boolean;
  /** The speaker Leases listed once: the peer list is known. */
  readonly peersListed: boolean;
  /** Peers in the membership view, self excluded. */
  readonly peers: readonly ReadinessPeer[];
  /**
   * Nodes that could announce (Linux, not excluded from load balancers), self excluded. One that shows
   * no speaker yet is waited for, up to `peerWaitMs` after the peer list was known: when a whole cluster
   * starts, the first speaker would otherwise elect alone and hand every address over moments later.
   */
  readonly expectedPeers?: readonly string[];
  /** Since the caches and the peer list were first both known. */
  readonly waitedMs?: number;
  readonly peerWaitMs?: number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reason: ReadinessReason;
  readonly message: string;
}

/**
 * Whether a starting speaker knows enough to run its first election (DESIGN.md readiness gate): its
 * caches are synced, its peer list is known, and every peer with a fresh Lease has been heard from (one
 * heartbeat round), or has been known for a dead-after interval without heartbeats (then it is judged by
 * its Lease, flagged heartbeatsBroken). Without this, a speaker sees itself alone and claims everything.
 */
export function startupReadiness(f: ReadinessFacts): Readiness {
  if (!f.cachesSynced) return { ready: false, reason: 'CachesNotSynced', message: 'waiting for the first list of Nodes, Services, EndpointSlices, pools, L2Advertisements and LBAddresses' };
  if (!f.peersListed) return { ready: false, reason: 'PeersNotListed', message: 'waiting for the first list of speaker Leases (the peer list)' };
  const known = new Set(f.peers.map((p) => p.node));
  const missing = (f.expectedPeers ?? []).filter((n) => !known.has(n));
  if (missing.length > 0 && (f.waitedMs ?? 0) < (f.peerWaitMs ?? 0)) {
    return { ready: false, reason: 'PeersNotStarted', message: `waiting up to ${f.peerWaitMs} ms for a speaker on ${missing.join(', ')}` };
  }
  const unheard = f.peers.filter((p) => p.alive && p.judgedBy === 'Lease' && !p.heartbeatsBroken).map((p) => p.node);
  if (unheard.length > 0) return { ready: false, reason: 'PeersNotHeard', message: `waiting for a first heartbeat from ${unheard.join(', ')}` };
  return { ready: true, reason: 'Ready', message: 'caches synced, peers listed and heard' };
}
