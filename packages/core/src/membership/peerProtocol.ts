/**
 * Which membership protocol a peer speaks (docs/adr/0012-scalable-membership.md, Rollout): version 1
 * (all-to-all heartbeats, judged by PeerTable) or version 2 (SWIM ring, judged by SwimMember).
 */
export type MembershipProtocol = 'v1' | 'v2';

/** This speaker's setting: `v1` behaves exactly like a version-1 speaker; `auto` speaks v2 where it can. */
export const MEMBERSHIP_PROTOCOL_SETTINGS = ['v1', 'auto'] as const;
export type MembershipProtocolSetting = (typeof MEMBERSHIP_PROTOCOL_SETTINGS)[number];

/** The Lease annotation value a version-2 speaker publishes. */
export const MEMBERSHIP_V2 = 'v2';

export interface PeerProtocolFacts {
  /** The peer's Lease, if we have seen it: its `herald.dev/membership` annotation and incarnation. */
  readonly lease?: { readonly membership?: string; readonly incarnation?: number };
  /** The last version-1 heartbeat accepted from the peer. */
  readonly lastV1?: { readonly incarnation: number; readonly atMs: number };
  readonly nowMs: number;
  /** A version-1 heartbeat younger than this makes the peer a version-1 peer. */
  readonly recentMs: number;
}

/**
 * A peer is a version-1 peer if its Lease does not say `v2` (a speaker that predates version 2), or if a
 * version-1 heartbeat of its current incarnation arrived recently (a rollback: an old speaker leaves the
 * `v2` annotation of its predecessor in place, because Leases are merge-patched). Heartbeats of an older
 * incarnation than the Lease's are the process before an upgrade and do not count. A peer we know from
 * no Lease (a static peer) speaks v2 until a version-1 heartbeat says otherwise.
 */
export function peerProtocol(f: PeerProtocolFacts): MembershipProtocol {
  const v1Recent = f.lastV1 !== undefined && f.nowMs - f.lastV1.atMs < f.recentMs && f.lastV1.incarnation >= (f.lease?.incarnation ?? 0);
  if (v1Recent) return 'v1';
  if (f.lease && f.lease.membership !== MEMBERSHIP_V2) return 'v1';
  return 'v2';
}

/**
 * When `peerProtocol` may answer differently for the same facts: the moment a version-1 heartbeat that
 * makes the peer version 1 stops being recent. Undefined if no such moment is ahead (nothing but a new
 * fact can change the answer). The adapter arms a timer for it, so the view is recomputed when a peer
 * that stopped sending version-1 heartbeats (a static peer restarted as version 2) turns version 2.
 */
export function peerProtocolChangesAt(f: PeerProtocolFacts): number | undefined {
  if (f.lastV1 === undefined || f.lastV1.incarnation < (f.lease?.incarnation ?? 0)) return undefined;
  const at = f.lastV1.atMs + f.recentMs;
  if (at <= f.nowMs) return undefined;
  // A Lease without the v2 annotation keeps it version 1 after the window too: no change then.
  if (f.lease && f.lease.membership !== MEMBERSHIP_V2) return undefined;
  return at;
}
