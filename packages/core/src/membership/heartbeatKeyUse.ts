/** Which of the two keys a speaker holds during a rotation: the file's current bytes or the ones before. */
export type HeartbeatKeySlot = 'current' | 'previous';

export interface HeartbeatKeyUseInput {
  /** When this speaker saw the key file change (its clock); undefined = never since start. */
  readonly rotatedAtMs?: number;
  readonly nowMs: number;
  /** How long Secret updates may take to reach every node (kubelet sync period + cache TTL). */
  readonly graceMs: number;
}

export interface HeartbeatKeyUse {
  readonly sign: HeartbeatKeySlot;
  /** In the order to try: the one peers most likely use first. */
  readonly accept: readonly HeartbeatKeySlot[];
}

/**
 * Key rotation without a failover storm. Kubernetes updates a mounted Secret on each node at its own
 * time, up to a kubelet sync period apart, and a heartbeat only one side can verify makes a live peer
 * look dead. So a speaker that sees a new key:
 * - for `grace` keeps signing with the previous key (peers that have not seen the new key yet still
 *   verify it) and already accepts both;
 * - for another `grace` signs with the new key and still accepts the previous one (a peer that saw the
 *   change up to `grace` later signs with the previous key that long);
 * - then forgets the previous key.
 * Zero failed verifications as long as every node sees the change within `grace` of the first one.
 */
export function heartbeatKeyUse(i: HeartbeatKeyUseInput): HeartbeatKeyUse {
  if (i.rotatedAtMs === undefined) return { sign: 'current', accept: ['current'] };
  const elapsed = i.nowMs - i.rotatedAtMs;
  if (elapsed < i.graceMs) return { sign: 'previous', accept: ['previous', 'current'] };
  if (elapsed < 2 * i.graceMs) return { sign: 'current', accept: ['current', 'previous'] };
  return { sign: 'current', accept: ['current'] };
}
