import { describe, expect, it } from 'vitest';
import { encodeHeartbeat, HEARTBEAT_MAC_LENGTH, HEARTBEAT_MAX_DATAGRAM } from './heartbeat.js';
import { HEARTBEAT_MIN_PAYLOAD, MEMBERSHIP_MIN_PAYLOAD, joinHeartbeatFrame, splitHeartbeatFrame } from './heartbeatFrame.js';

const mac = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const payload = encodeHeartbeat({ node: 'n1', incarnation: 5, sequence: 6, draining: false, interfaces: [], announcing: [], heartbeatAddress: '192.0.2.11', heartbeatPort: 7947 });

describe('heartbeat framing: payload || 32-byte MAC', () => {
  it('join puts the MAC after the payload and split takes it back off, without copying', () => {
    const frame = joinHeartbeatFrame(payload, mac);
    expect(frame.length).toBe(payload.length + HEARTBEAT_MAC_LENGTH);
    expect([...frame.subarray(payload.length)]).toEqual([...mac]);
    const r = splitHeartbeatFrame(frame);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.value.payload]).toEqual([...payload]);
    expect([...r.value.mac]).toEqual([...mac]);
    expect(r.value.payload.buffer).toBe(frame.buffer);
  });

  it.each([
    { name: 'an empty datagram', length: 0, reason: 'TooShort' },
    { name: 'a MAC alone', length: HEARTBEAT_MAC_LENGTH, reason: 'TooShort' },
    { name: 'one byte less than the smallest membership datagram', length: MEMBERSHIP_MIN_PAYLOAD + HEARTBEAT_MAC_LENGTH - 1, reason: 'TooShort' },
    { name: 'one byte more than the largest datagram', length: HEARTBEAT_MAX_DATAGRAM + 1, reason: 'TooLarge' },
    { name: 'a 64 KiB datagram', length: 65_507, reason: 'TooLarge' },
  ])('split refuses $name ($length bytes) as $reason', ({ length, reason }) => {
    const r = splitHeartbeatFrame(new Uint8Array(length));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it.each([
    { name: 'the smallest membership datagram (version 2)', length: MEMBERSHIP_MIN_PAYLOAD + HEARTBEAT_MAC_LENGTH },
    { name: 'the smallest heartbeat', length: HEARTBEAT_MIN_PAYLOAD + HEARTBEAT_MAC_LENGTH },
    { name: 'the largest datagram', length: HEARTBEAT_MAX_DATAGRAM },
  ])('split accepts $name ($length bytes)', ({ length }) => {
    expect(splitHeartbeatFrame(new Uint8Array(length)).ok).toBe(true);
  });

  it('join refuses a MAC of the wrong size and a datagram over 8 KiB', () => {
    expect(() => joinHeartbeatFrame(payload, mac.subarray(0, 31))).toThrow('32 bytes, not 31');
    expect(() => joinHeartbeatFrame(new Uint8Array(HEARTBEAT_MAX_DATAGRAM - 31), mac)).toThrow('at most 8192');
  });
});
