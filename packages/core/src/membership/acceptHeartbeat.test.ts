import { describe, expect, it } from 'vitest';
import { acceptHeartbeat, type AcceptedMark } from './acceptHeartbeat.js';

const DEAD_AFTER = 500;
const NOW = 100_000;
const last: AcceptedMark = { incarnation: 2_000, sequence: 50, atMs: NOW - 100 };
const silent: AcceptedMark = { ...last, atMs: NOW - DEAD_AFTER };

describe('acceptHeartbeat', () => {
  it.each([
    { name: 'first heartbeat ever, no Lease known: accepted', inc: 2_000, seq: 1, last: undefined, lease: undefined, want: 'ok' },
    { name: 'first heartbeat ever, of the incarnation the Lease publishes: accepted', inc: 2_000, seq: 1, last: undefined, lease: 2_000, want: 'ok' },
    { name: 'first heartbeat ever, of a newer incarnation than the Lease (restart, Lease not yet renewed): accepted', inc: 3_000, seq: 1, last: undefined, lease: 2_000, want: 'ok' },
    { name: 'replayed heartbeat of an incarnation before the one the Lease publishes, to a fresh speaker: refused', inc: 1_000, seq: 70, last: undefined, lease: 2_000, want: 'BelowLeaseIncarnation' },
    { name: 'next sequence of the same incarnation: accepted', inc: 2_000, seq: 51, last, lease: 2_000, want: 'ok' },
    { name: 'same sequence again: replay', inc: 2_000, seq: 50, last, lease: 2_000, want: 'Replay' },
    { name: 'an older sequence: replay', inc: 2_000, seq: 10, last, lease: undefined, want: 'Replay' },
    { name: 'a newer incarnation (restart): accepted whatever the sequence', inc: 2_500, seq: 1, last, lease: 2_000, want: 'ok' },
    { name: 'an older incarnation while the current one is heard: stale', inc: 1_500, seq: 99, last, lease: undefined, want: 'StaleIncarnation' },
    { name: 'clock stepped back: older incarnation, the old one silent for dead-after, the Lease names the new one: accepted', inc: 1_500, seq: 1, last: silent, lease: 1_500, want: 'ok' },
    { name: 'clock stepped back, Lease not yet rewritten (still names the old one): refused until it is', inc: 1_500, seq: 1, last: silent, lease: 2_000, want: 'BelowLeaseIncarnation' },
    { name: 'older incarnation, old one silent, Lease names a third one: stale', inc: 1_500, seq: 1, last: silent, lease: 1_200, want: 'StaleIncarnation' },
    { name: 'older incarnation, old one silent, no Lease (static peers): dead-after alone decides', inc: 1_500, seq: 1, last: silent, lease: undefined, want: 'ok' },
    { name: 'older incarnation, old one silent only just short of dead-after: stale', inc: 1_500, seq: 1, last: { ...last, atMs: NOW - DEAD_AFTER + 1 }, lease: 1_500, want: 'StaleIncarnation' },
    { name: 'a larger incarnation a clock-stepped restart already replaced: a replay', inc: 2_500, seq: 1, last, lease: undefined, retired: [2_500], want: 'StaleIncarnation' },
  ])('$name', ({ inc, seq, last: l, lease, want, ...row }) => {
    const retired = 'retired' in row ? (row.retired as number[]) : undefined;
    const r = acceptHeartbeat({
      heartbeat: { node: 'n2', incarnation: inc, sequence: seq },
      ...(retired ? { retired } : {}),
      ...(l ? { last: l } : {}),
      ...(lease === undefined ? {} : { leaseIncarnation: lease }),
      nowMs: NOW,
      deadAfterMs: DEAD_AFTER,
    });
    expect(r.ok ? 'ok' : r.error.reason).toBe(want);
    if (!r.ok) expect(r.error.message).toContain('n2');
  });
});
