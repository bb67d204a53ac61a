import { compareText, type MembershipView, type PeerView } from './membershipView.js';
import type { MembershipProtocol } from './peerProtocol.js';

export interface MergeMembershipViews {
  /** PeerTable's view: version-1 peers, and every peer known from a Lease or configuration. */
  readonly v1: MembershipView;
  /** SwimMember's view: version-2 peers. */
  readonly v2: MembershipView;
  readonly protocolOf: (node: string) => MembershipProtocol;
  /**
   * The state version SwimMember holds for a node's current incarnation. 0: nothing the node itself
   * wrote has reached us — neither its State nor a death declared by a member that had heard it (a
   * declarer puts the version it heard into the Dead notice); only its Lease or configuration.
   */
  readonly versionOf: (node: string) => number | undefined;
  /**
   * Whether a datagram of ours has reached a member in this incarnation (SwimMember.reached). False:
   * every peer holds us never heard, and we judge by its Lease too a peer the ring holds dead (if it has a
   * Lease and did not leave).
   */
  readonly selfReached: boolean;
  readonly nowMs: number;
}

/**
 * The one view the election sees during a rolling upgrade (docs/adr/0012-scalable-membership.md,
 * Rollout): version-1 peers as PeerTable judges them, version-2 peers as SwimMember does, self from
 * PeerTable. An incarnation of 0 (a configured peer before it spoke) is unknown, not a restart to report
 * later. A peer SwimMember does not know keeps PeerTable's judgement (its Lease).
 *
 * A version-2 peer at state version 0 has never been heard by anyone whose news reached us, in this
 * incarnation: it is judged by its Lease as PeerTable does (alive while the Lease is fresh, flagged
 * `heartbeatsBroken` once known for deadAfter without a heartbeat), even if SwimMember declared it dead
 * — its monitors cannot tell "heartbeats blocked from the start" (a firewall) from "crashed before its
 * first heartbeat", and declaring the blocked node dead makes both sides answer its addresses (ADR 0012,
 * failure modes). The same rule on the blocked node, which hears no one, judges all its peers by their
 * Leases, so both sides elect the same owners, as version 1 did. A node none of whose datagrams has
 * reached anyone (`selfReached` false: heartbeats blocked outbound only) may still have heard the States
 * of peers that joined through it; they stop heartbeating it once they declare it, and holding them dead
 * for that silence would make it answer their addresses: while unreached, a peer the ring holds dead is
 * judged by its Lease too (one that has a Lease and did not leave). A node that was heard (version ≥ 1) and went silent is dead on the fast path.
 */
export function mergeMembershipViews(o: MergeMembershipViews): { view: MembershipView; v1Peers: number } {
  const v2 = new Map<string, PeerView>();
  const unheard = new Set<string>();
  // Only a Lease can stand in for the ring while we are unreached: static peers (no Lease) stay the ring's.
  const byLease = o.selfReached ? undefined : new Set(o.v1.peers.filter((p) => p.judgedBy === 'Lease').map((p) => p.node));
  for (const p of o.v2.peers) {
    if (p.self) continue;
    const peer = p.incarnation === 0 ? (({ incarnation: _unknown, ...rest }) => rest)(p) : p;
    // (A peer that left said so itself: nothing to doubt.)
    if (o.versionOf(p.node) === 0 || (!p.alive && p.left !== true && byLease?.has(p.node) === true)) unheard.add(p.node);
    v2.set(p.node, unheard.has(p.node) ? { ...peer, judgedBy: 'Lease' } : peer);
  }
  const peers: PeerView[] = [];
  let v1Peers = 0;
  for (const p of o.v1.peers) {
    const isV1 = !p.self && o.protocolOf(p.node) === 'v1';
    if (isV1) v1Peers++;
    peers.push((p.self || isV1 || unheard.has(p.node) ? undefined : v2.get(p.node)) ?? p);
    v2.delete(p.node);
  }
  // Unheard and unknown to PeerTable (no Lease, no configuration): shown as SwimMember has it.
  for (const p of v2.values()) if (o.protocolOf(p.node) === 'v2') peers.push(p);
  peers.sort((a, b) => compareText(a.node, b.node));
  return { view: { atMs: o.nowMs, peers }, v1Peers };
}
