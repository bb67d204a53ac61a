import { compareText, type MembershipView, type PeerView } from './membershipView.js';
import type { MembershipProtocol } from './peerProtocol.js';

export interface MergeMembershipViews {
  /** PeerTable's view: version-1 peers, and every peer known from a Lease or configuration. */
  readonly v1: MembershipView;
  /** SwimMember's view: version-2 peers. */
  readonly v2: MembershipView;
  readonly protocolOf: (node: string) => MembershipProtocol;
  /** The state version SwimMember holds for a node (0: known only from its Lease or configuration). */
  readonly versionOf: (node: string) => number | undefined;
  readonly nowMs: number;
}

/**
 * The one view the election sees during a rolling upgrade (docs/adr/0012-scalable-membership.md,
 * Rollout): version-1 peers as PeerTable judges them, version-2 peers as SwimMember does, self from
 * PeerTable. A version-2 peer known only from its Lease (state version 0) is shown alive but judged by
 * `Lease`: not heard yet, so the startup gate waits for its State (announced addresses, MACs). An
 * incarnation of 0 (a configured peer before it spoke) is unknown, not a restart to report later. A peer
 * SwimMember does not know keeps PeerTable's judgement (its Lease).
 */
export function mergeMembershipViews(o: MergeMembershipViews): { view: MembershipView; v1Peers: number } {
  const v2 = new Map<string, PeerView>();
  for (const p of o.v2.peers) {
    if (p.self) continue;
    const peer = p.incarnation === 0 ? (({ incarnation: _unknown, ...rest }) => rest)(p) : p;
    v2.set(p.node, p.alive && o.versionOf(p.node) === 0 ? { ...peer, judgedBy: 'Lease' } : peer);
  }
  const peers: PeerView[] = [];
  let v1Peers = 0;
  for (const p of o.v1.peers) {
    const isV1 = !p.self && o.protocolOf(p.node) === 'v1';
    if (isV1) v1Peers++;
    peers.push((p.self || isV1 ? undefined : v2.get(p.node)) ?? p);
    v2.delete(p.node);
  }
  for (const p of v2.values()) if (o.protocolOf(p.node) === 'v2') peers.push(p);
  peers.sort((a, b) => compareText(a.node, b.node));
  return { view: { atMs: o.nowMs, peers }, v1Peers };
}
