import { err, ok, type Result } from '../result.js';
import { HEARTBEAT_MAC_LENGTH, HEARTBEAT_MAX_DATAGRAM } from './heartbeat.js';
import { heartbeatError, type HeartbeatError } from './heartbeatReason.js';

/** The smallest payload a valid heartbeat can have (a one-letter node, IPv4 address, nothing else). */
export const HEARTBEAT_MIN_PAYLOAD = 34;
/**
 * The smallest payload of any membership datagram: a version-2 SyncRequest from a one-letter node naming
 * no node (header 22, name 2, count 2). Framing refuses anything shorter before spending an HMAC.
 */
export const MEMBERSHIP_MIN_PAYLOAD = 26;

export interface HeartbeatFrame {
  readonly payload: Uint8Array;
  readonly mac: Uint8Array;
}

/** datagram = payload || mac. The MAC (HMAC-SHA256 of the payload) is computed by the adapter. */
export function joinHeartbeatFrame(payload: Uint8Array, mac: Uint8Array): Uint8Array {
  if (mac.length !== HEARTBEAT_MAC_LENGTH) throw new RangeError(`a heartbeat MAC has ${HEARTBEAT_MAC_LENGTH} bytes, not ${mac.length}`);
  if (payload.length + mac.length > HEARTBEAT_MAX_DATAGRAM) {
    throw new RangeError(`a heartbeat datagram has at most ${HEARTBEAT_MAX_DATAGRAM} bytes; this one would have ${payload.length + mac.length}`);
  }
  const out = new Uint8Array(payload.length + mac.length);
  out.set(payload, 0);
  out.set(mac, payload.length);
  return out;
}

/**
 * Splits a received datagram without copying. Size is checked before anything else so a receiver never
 * spends an HMAC on a datagram that cannot be a heartbeat.
 */
export function splitHeartbeatFrame(datagram: Uint8Array): Result<HeartbeatFrame, HeartbeatError<'TooShort' | 'TooLarge'>> {
  if (datagram.length > HEARTBEAT_MAX_DATAGRAM) {
    return err(heartbeatError('TooLarge', `datagram has ${datagram.length} bytes; a heartbeat has at most ${HEARTBEAT_MAX_DATAGRAM}`));
  }
  if (datagram.length < MEMBERSHIP_MIN_PAYLOAD + HEARTBEAT_MAC_LENGTH) {
    return err(heartbeatError('TooShort', `datagram has ${datagram.length} bytes; a membership datagram has at least ${MEMBERSHIP_MIN_PAYLOAD + HEARTBEAT_MAC_LENGTH}`));
  }
  const cut = datagram.length - HEARTBEAT_MAC_LENGTH;
  return ok({ payload: datagram.subarray(0, cut), mac: datagram.subarray(cut) });
}
