import { describe, expect, it } from 'vitest';
import { PeerProtocols } from './peerProtocols.js';

describe('PeerProtocols', () => {
  it('nextChange is the moment a static peer\'s last version-1 heartbeat stops being recent, and the peer turns version 2 then', () => {
    const p = new PeerProtocols();
    p.lease({ node: 'old', incarnation: 5 });
    expect(p.nextChange(0)).toBeUndefined();
    // b and c are static peers (no Lease): their version-1 heartbeats decide, for 10 s.
    p.v1Heartbeat('b', 3, 1_000);
    p.v1Heartbeat('c', 4, 2_000);
    // A Lease without the annotation stays version 1 after the window: no deadline for it.
    p.v1Heartbeat('old', 5, 500);
    expect(p.nextChange(2_000)).toBe(11_000);
    expect(p.of('b', 10_999)).toBe('v1');
    expect(p.of('b', 11_000)).toBe('v2');
    expect(p.nextChange(11_000)).toBe(12_000);
    expect(p.nextChange(12_000)).toBeUndefined();
    expect(p.of('old', 12_000)).toBe('v1');
  });

  it('a peer whose Lease carries the marker of its incarnation is version 2 even while it sends us version-1 heartbeats (no latch after an upgrade)', () => {
    const p = new PeerProtocols();
    p.lease({ node: 'b', membership: 'v2@3', incarnation: 3 });
    p.v1Heartbeat('b', 3, 1_000);
    expect(p.of('b', 1_000)).toBe('v2');
    expect(p.nextChange(1_000)).toBeUndefined();
    // Rolled back: the old speaker renews with a new incarnation and leaves the marker in place.
    p.lease({ node: 'b', membership: 'v2@3', incarnation: 4 });
    expect(p.of('b', 2_000)).toBe('v1');
  });
});
