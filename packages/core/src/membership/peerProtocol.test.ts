import { describe, expect, it } from 'vitest';
import { peerProtocol, peerProtocolChangesAt, type MembershipProtocol, type PeerProtocolFacts } from './peerProtocol.js';

const base = { nowMs: 10_000, recentMs: 2_000 };

describe('peerProtocol', () => {
  it.each<{ name: string; facts: Omit<PeerProtocolFacts, 'nowMs' | 'recentMs'>; want: MembershipProtocol }>([
    { name: 'Lease says v2, no v1 heartbeat', facts: { lease: { membership: 'v2', incarnation: 5 } }, want: 'v2' },
    { name: 'Lease without the annotation (an old speaker)', facts: { lease: { incarnation: 5 } }, want: 'v1' },
    { name: 'Lease says something else', facts: { lease: { membership: 'v1', incarnation: 5 } }, want: 'v1' },
    { name: 'no Lease, no v1 heartbeat (static peer)', facts: {}, want: 'v2' },
    { name: 'no Lease, recent v1 heartbeat', facts: { lastV1: { incarnation: 5, atMs: 9_000 } }, want: 'v1' },
    { name: 'no Lease, old v1 heartbeat', facts: { lastV1: { incarnation: 5, atMs: 7_000 } }, want: 'v2' },
    { name: 'rollback: stale v2 annotation, recent v1 heartbeat of the Lease incarnation', facts: { lease: { membership: 'v2', incarnation: 6 }, lastV1: { incarnation: 6, atMs: 9_500 } }, want: 'v1' },
    { name: 'upgrade: v2 Lease of a newer incarnation, recent v1 heartbeat of the old one', facts: { lease: { membership: 'v2', incarnation: 7 }, lastV1: { incarnation: 6, atMs: 9_900 } }, want: 'v2' },
  ])('$name → $want', ({ facts, want }) => {
    expect(peerProtocol({ ...base, ...facts })).toBe(want);
  });

  it.each<{ name: string; facts: Omit<PeerProtocolFacts, 'nowMs' | 'recentMs'>; want: number | undefined }>([
    { name: 'no v1 heartbeat: nothing to expire', facts: { lease: { membership: 'v2', incarnation: 5 } }, want: undefined },
    { name: 'static peer, recent v1 heartbeat: turns v2 when it is no longer recent', facts: { lastV1: { incarnation: 5, atMs: 9_000 } }, want: 11_000 },
    { name: 'rollback: stale v2 annotation, recent v1 heartbeat of the Lease incarnation', facts: { lease: { membership: 'v2', incarnation: 6 }, lastV1: { incarnation: 6, atMs: 9_500 } }, want: 11_500 },
    { name: 'Lease without the annotation: stays v1 after the window, no change', facts: { lease: { incarnation: 6 }, lastV1: { incarnation: 6, atMs: 9_500 } }, want: undefined },
    { name: 'heartbeat of an older incarnation than the Lease: never counted', facts: { lease: { membership: 'v2', incarnation: 7 }, lastV1: { incarnation: 6, atMs: 9_900 } }, want: undefined },
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
