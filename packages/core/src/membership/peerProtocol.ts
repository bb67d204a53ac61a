/**
 * Which membership protocol a peer speaks (docs/adr/0012-scalable-membership.md, Rollout): version 1
 * (all-to-all heartbeats, judged by PeerTable) or version 2 (SWIM ring, judged by SwimMember).
 */
export type MembershipProtocol = 'v1' | 'v2';

/** This speaker's setting: `v1` behaves exactly like a version-1 speaker; `auto` speaks v2 where it can. */
export const MEMBERSHIP_PROTOCOL_SETTINGS = ['v1', 'auto'] as const;
export type MembershipProtocolSetting = (typeof MEMBERSHIP_PROTOCOL_SETTINGS)[number];

/** The Lease annotation value a version-2 speaker publishes: `v2@<incarnation>`. */
export const MEMBERSHIP_V2 = 'v2';

/**
 * The marker names the incarnation that wrote it, because Leases are merge-patched: a speaker rolled back
 * to version 1 renews the Lease with its new incarnation and leaves its predecessor's marker in place,
 * which then names an older incarnation and no longer counts.
 */
export const membershipMarker = (incarnation: number): string => `${MEMBERSHIP_V2}@${incarnation}`;

export interface PeerProtocolFacts {
  /** The peer's Lease, if we have seen it: its `herald.dev/membership` annotation and incarnation. */
  readonly lease?: { readonly membership?: string; readonly incarnation?: number };
  /** The last version-1 heartbeat accepted from the peer. */
  readonly lastV1?: { readonly incarnation: number; readonly atMs: number };
  readonly nowMs: number;
  /** A version-1 heartbeat younger than this makes a peer without a Lease a version-1 peer. */
  readonly recentMs: number;
}

const leaseSaysV2 = (lease: NonNullable<PeerProtocolFacts['lease']>): boolean =>
  lease.incarnation !== undefined && lease.membership === membershipMarker(lease.incarnation);

/**
 * A peer with a Lease is a version-2 peer exactly when its Lease carries the marker of its current
 * incarnation; an old speaker writes none, a rolled-back one leaves a stale one. Version-1 heartbeats do
 * not decide for such a peer: a version-2 speaker sends them to peers it takes for version 1, so two
 * version-2 speakers judging each other by the heartbeats they receive would hold each other at version 1
 * for good after an upgrade (each answering the other's version-1 heartbeats in version 1).
 * A peer we know from no Lease (a static peer) speaks v2 until a recent version-1 heartbeat says otherwise.
 */
export function peerProtocol(f: PeerProtocolFacts): MembershipProtocol {
  if (f.lease) return leaseSaysV2(f.lease) ? 'v2' : 'v1';
  return f.lastV1 !== undefined && f.nowMs - f.lastV1.atMs < f.recentMs ? 'v1' : 'v2';
}

/**
 * When `peerProtocol` may answer differently for the same facts: the moment a version-1 heartbeat that
 * makes a static peer version 1 stops being recent. Undefined if no such moment is ahead (nothing but a
 * new fact can change the answer). The adapter arms a timer for it, so the view is recomputed when a
 * static peer that stopped sending version-1 heartbeats (restarted as version 2) turns version 2.
 */
export function peerProtocolChangesAt(f: PeerProtocolFacts): number | undefined {
  if (f.lease || f.lastV1 === undefined) return undefined;
  const at = f.lastV1.atMs + f.recentMs;
  return at > f.nowMs ? at : undefined;
}
