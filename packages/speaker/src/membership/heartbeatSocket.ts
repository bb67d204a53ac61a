import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeHeartbeat, decodeSwimMessage, SwimCodecCache, joinHeartbeatFrame, payloadVersion, splitHeartbeatFrame, SWIM_VERSION, type Heartbeat, type HeartbeatDecodeReason, type SwimMessage } from '@herald/core';
import type { HeartbeatKeyring } from './heartbeatKeyring.js';
import { openUdpDatagrams, type DatagramEndpoint, type Datagrams, type OpenDatagrams } from './udpDatagrams.js';

export interface HeartbeatSocketOptions {
  readonly bind: DatagramEndpoint;
  /** HMAC-SHA256 keys shared by every speaker: one signs, one or two (during a rotation) verify. */
  readonly keys: HeartbeatKeyring;
  /** A correctly signed, well-formed heartbeat (not yet judged for replay: the peer table does that). */
  onHeartbeat(heartbeat: Heartbeat, from: DatagramEndpoint): void;
  /**
   * A correctly signed, well-formed version-2 (SWIM) message. Without it version-2 datagrams are refused
   * as UnsupportedVersion, exactly as a version-1 speaker does.
   */
  onSwim?(message: SwimMessage, from: DatagramEndpoint): void;
  onReject(reason: HeartbeatDecodeReason | 'BadMac', message: string, from: DatagramEndpoint): void;
  /** A send failed (ENETUNREACH while a link is down, …) or the socket reported an error. */
  onSendError(code: string, to: DatagramEndpoint | undefined, message: string): void;
  readonly open?: OpenDatagrams;
}

/**
 * Heartbeats on the wire: signs outgoing payloads, and checks incoming datagrams in the order that
 * costs an attacker most and us least — size, then the MAC in constant time, then the payload.
 */
export class HeartbeatSocket {
  private constructor(
    private readonly o: HeartbeatSocketOptions,
    private readonly datagrams: Datagrams,
  ) {}

  static async open(o: HeartbeatSocketOptions): Promise<HeartbeatSocket> {
    // Datagrams can only arrive after open() resolves, when `sink` already points at the socket.
    const sink: { receive?: (bytes: Uint8Array, from: DatagramEndpoint) => void } = {};
    const datagrams = await (o.open ?? openUdpDatagrams)(o.bind, {
      onMessage: (bytes, from) => sink.receive?.(bytes, from),
      onError: (e) => o.onSendError(e.code ?? 'EUNKNOWN', undefined, e.message),
    });
    const socket = new HeartbeatSocket(o, datagrams);
    sink.receive = (bytes, from) => socket.receive(bytes, from);
    return socket;
  }

  /** Signs `payload` (an encoded heartbeat, version 1 or 2) and sends it; failures go to onSendError, never thrown. */
  send(payload: Uint8Array, to: DatagramEndpoint): void {
    const frame = joinHeartbeatFrame(payload, this.mac(this.o.keys.signKey(), payload));
    this.datagrams.send(frame, to, (e) => {
      if (e) this.o.onSendError(e.code ?? 'EUNKNOWN', to, e.message);
    });
  }

  close(): Promise<void> {
    return this.datagrams.close();
  }

  /** A State that rides several datagrams is decoded once per version (SwimCodecCache). */
  private readonly swimCodec = new SwimCodecCache();

  private mac(key: Uint8Array, payload: Uint8Array): Uint8Array {
    return createHmac('sha256', key).update(payload).digest();
  }

  private receive(bytes: Uint8Array, from: DatagramEndpoint): void {
    const frame = splitHeartbeatFrame(bytes);
    if (!frame.ok) return this.o.onReject(frame.error.reason, frame.error.message, from);
    const { payload, mac } = frame.value;
    if (!this.o.keys.acceptKeys().some((key) => timingSafeEqual(this.mac(key, payload), mac))) {
      return this.o.onReject('BadMac', `datagram of ${bytes.length} bytes from ${from.address} is not signed with our key`, from);
    }
    if (this.o.onSwim && payloadVersion(payload) === SWIM_VERSION) {
      const m = decodeSwimMessage(payload, this.swimCodec);
      if (!m.ok) return this.o.onReject(m.error.reason, m.error.message, from);
      return this.o.onSwim(m.value, from);
    }
    const hb = decodeHeartbeat(frame.value.payload);
    if (!hb.ok) return this.o.onReject(hb.error.reason, hb.error.message, from);
    this.o.onHeartbeat(hb.value, from);
  }
}
