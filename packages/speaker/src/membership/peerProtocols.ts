import { peerProtocol, peerProtocolChangesAt, type MembershipProtocol, type SpeakerLeaseInfo } from '@herald/core';

/** A version-1 heartbeat younger than this keeps its sender a version-1 peer (ADR 0012, Rollout). */
const V1_RECENT_MS = 10_000;

/**
 * The facts that say which membership protocol each peer speaks during a rolling upgrade — its Lease's
 * `herald.dev/membership` annotation and incarnation, its last version-1 heartbeat — and the nodes whose
 * Lease was deleted. Gathers facts only; `peerProtocol` (core) decides.
 */
export class PeerProtocols {
  private readonly leases = new Map<string, { membership?: string; incarnation?: number }>();
  private readonly lastV1 = new Map<string, { incarnation: number; atMs: number }>();
  private readonly gone = new Set<string>();

  lease(info: Pick<SpeakerLeaseInfo, 'node' | 'membership' | 'incarnation'>): void {
    this.gone.delete(info.node);
    this.leases.set(info.node, { ...(info.membership === undefined ? {} : { membership: info.membership }), ...(info.incarnation === undefined ? {} : { incarnation: info.incarnation }) });
  }

  leaseDeleted(node: string): void {
    this.leases.delete(node);
    this.gone.add(node);
  }

  /** Nodes whose Lease was deleted (and has not come back). */
  leaseGone(): ReadonlySet<string> {
    return this.gone;
  }

  /** The incarnation the node's Lease publishes: datagrams of older incarnations are replays. */
  leaseIncarnation(node: string): number | undefined {
    return this.leases.get(node)?.incarnation;
  }

  /** A version-1 heartbeat arrived; returns whether the node already counted as a version-1 peer. */
  v1Heartbeat(node: string, incarnation: number, nowMs: number): boolean {
    const was = this.of(node, nowMs) === 'v1';
    this.lastV1.set(node, { incarnation, atMs: nowMs });
    return was;
  }

  of(node: string, nowMs: number): MembershipProtocol {
    return peerProtocol(this.facts(node, nowMs));
  }

  /**
   * The earliest moment after `nowMs` at which some peer's protocol changes with no new fact (its last
   * version-1 heartbeat stops being recent), if any: the view must be recomputed then.
   */
  nextChange(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const node of this.lastV1.keys()) {
      const at = peerProtocolChangesAt(this.facts(node, nowMs));
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  private facts(node: string, nowMs: number) {
    const lease = this.leases.get(node);
    const lastV1 = this.lastV1.get(node);
    return { ...(lease ? { lease } : {}), ...(lastV1 ? { lastV1 } : {}), nowMs, recentMs: V1_RECENT_MS };
  }
}
