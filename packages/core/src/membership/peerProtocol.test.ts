import { describe, expect, it } from 'vitest';
import { membershipMarker, peerProtocol, peerProtocolChangesAt, type MembershipProtocol, type PeerProtocolFacts } from './peerProtocol.js';

const base = { nowMs: 10_000, recentMs: 2_000 };

describe('peerProtocol', () => {
  it.each<{ name: string; facts: Omit<PeerProtocolFacts, 'nowMs' | 'recentMs'>; want: MembershipProtocol }>([
    { name: 'Lease carries the marker of its incarnation', facts: { lease: { membership: 'v2@5', incarnation: 5 } }, want: 'v2' },
    { name: 'Lease without the annotation (an old speaker)', facts: { lease: { incarnation: 5 } }, want: 'v1' },
    { name: 'Lease says something else', facts: { lease: { membership: 'v1', incarnation: 5 } }, want: 'v1' },
    { name: 'bare v2 marker without an incarnation', facts: { lease: { membership: 'v2', incarnation: 5 } }, want: 'v1' },
    { name: 'Lease without an incarnation', facts: { lease: { membership: 'v2@5' } }, want: 'v1' },
    { name: 'rollback: marker of the previous incarnation left in place by an old speaker', facts: { lease: { membership: 'v2@5', incarnation: 6 } }, want: 'v1' },
    { name: 'upgrade: v2 Lease of a newer incarnation, recent v1 heartbeat of the old one', facts: { lease: { membership: 'v2@7', incarnation: 7 }, lastV1: { incarnation: 6, atMs: 9_900 } }, want: 'v2' },
    // The latch: after an upgrade each v2 speaker may still send the other v1 heartbeats for a while.
    { name: 'v2 Lease, recent v1 heartbeat of its current incarnation (it took us for v1)', facts: { lease: { membership: 'v2@7', incarnation: 7 }, lastV1: { incarnation: 7, atMs: 9_900 } }, want: 'v2' },
    { name: 'no Lease, no v1 heartbeat (static peer)', facts: {}, want: 'v2' },
    { name: 'no Lease, recent v1 heartbeat', facts: { lastV1: { incarnation: 5, atMs: 9_000 } }, want: 'v1' },
    { name: 'no Lease, old v1 heartbeat', facts: { lastV1: { incarnation: 5, atMs: 7_000 } }, want: 'v2' },
  ])('$name → $want', ({ facts, want }) => {
    expect(peerProtocol({ ...base, ...facts })).toBe(want);
  });

  it('the marker names the incarnation', () => {
    expect(membershipMarker(1_733_000_000_000)).toBe('v2@1733000000000');
  });

  it.each<{ name: string; facts: Omit<PeerProtocolFacts, 'nowMs' | 'recentMs'>; want: number | undefined }>([
    { name: 'no v1 heartbeat: nothing to expire', facts: { lease: { membership: 'v2@5', incarnation: 5 } }, want: undefined },
    { name: 'static peer, recent v1 heartbeat: turns v2 when it is no longer recent', facts: { lastV1: { incarnation: 5, atMs: 9_000 } }, want: 11_000 },
    { name: 'a peer with a Lease: heartbeats never decide, no change', facts: { lease: { membership: 'v2@6', incarnation: 6 }, lastV1: { incarnation: 6, atMs: 9_500 } }, want: undefined },
    { name: 'Lease without the annotation: no change', facts: { lease: { incarnation: 6 }, lastV1: { incarnation: 6, atMs: 9_500 } }, want: undefined },
    { name: 'window already over', facts: { lastV1: { incarnation: 5, atMs: 8_000 } }, want: undefined },
  ])('changesAt: $name → $want', ({ facts, want }) => {
    const f = { ...base, ...facts };
    expect(peerProtocolChangesAt(f)).toBe(want);
    // The answer really changes at that moment (and not just before).
    if (want !== undefined) {
      expect(peerProtocol({ ...f, nowMs: want - 1 })).toBe('v1');
      expect(peerProtocol({ ...f, nowMs: want })).toBe('v2');
    }
  });
});
