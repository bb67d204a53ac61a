import { describe, expect, it } from 'vitest';
import { PeerProtocols } from './peerProtocols.js';

describe('PeerProtocols.nextChange', () => {
  it('is the moment the earliest version-1 heartbeat stops being recent, and the peer turns version 2 then', () => {
    const p = new PeerProtocols();
    p.lease({ node: 'b', membership: 'v2', incarnation: 3 });
    p.lease({ node: 'c', membership: 'v2', incarnation: 4 });
    p.lease({ node: 'old', incarnation: 5 });
    expect(p.nextChange(0)).toBeUndefined();
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
});
