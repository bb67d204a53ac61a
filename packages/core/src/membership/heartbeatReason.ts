/**
 * Every reason a speaker has for not believing a heartbeat datagram, in the order a datagram is checked:
 * framing, signature, payload, then the peer table. One closed list so the metric label
 * (`herald_membership_heartbeats_rejected_total{reason}`), the debug log and the tests use the same word;
 * the array lets the metrics module pre-register every label value.
 */
export const HEARTBEAT_REJECT_REASONS = [
  // Framing: payload || 32-byte MAC.
  'TooShort',
  'TooLarge',
  // Signature (checked by the adapter, which owns node:crypto).
  'BadMac',
  // Payload.
  'BadMagic',
  'UnsupportedVersion',
  'UnknownFlags',
  'Truncated',
  'TrailingBytes',
  'NumberOutOfRange',
  'BadNodeName',
  'BadAddress',
  'BadSubnet',
  'BadInterfaceName',
  'TooMany',
  // Peer table: a valid heartbeat that carries nothing new.
  'FromSelf',
  'StaleIncarnation',
  'BelowLeaseIncarnation',
  'Replay',
] as const;

export type HeartbeatRejectReason = (typeof HEARTBEAT_REJECT_REASONS)[number];

/** Reasons `decodeHeartbeat` and `splitHeartbeatFrame` can give. */
export type HeartbeatDecodeReason = Exclude<HeartbeatRejectReason, 'BadMac' | 'FromSelf' | 'StaleIncarnation' | 'BelowLeaseIncarnation' | 'Replay'>;

/** Reasons the peer table refuses a well-formed, correctly signed heartbeat. */
export type ObserveRejectReason = Extract<HeartbeatRejectReason, 'FromSelf' | 'StaleIncarnation' | 'BelowLeaseIncarnation' | 'Replay'>;

/** `message` is for people and names the offending value; code branches on `reason` only. */
export interface HeartbeatError<R extends HeartbeatRejectReason = HeartbeatRejectReason> {
  readonly reason: R;
  readonly message: string;
}

export const heartbeatError = <R extends HeartbeatRejectReason>(reason: R, message: string): HeartbeatError<R> => ({ reason, message });
