import { describe, expect, it } from 'vitest';
import { fitNodeState, nodeStateBudget } from './fitNodeState.js';
import { encodeSwimMessage, noticeBytes } from './swimCodec.js';
import type { NodeState } from './swimMessage.js';

const v6 = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);
const v4 = (n: number) => Array.from({ length: n }, (_, i) => `198.51.${100 + (i >> 8)}.${i & 255}`);
const state = (announcing: string[]): NodeState => ({
  node: 'node-a', incarnation: 1_700_000_000_000, version: 7, draining: false, ready: true,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24', '2001:db8::/64'], mac: '02:00:00:00:00:01' }], announcing, address: '192.0.2.1', port: 7947,
});

describe('fitNodeState', () => {
  it.each([
    { name: 'nothing announced', announcing: [] as string[], trims: false },
    { name: '100 IPv4 addresses fit', announcing: v4(100), trims: false },
    { name: '4,096 IPv6 addresses do not fit: trimmed to what does', announcing: v6(4096), trims: true },
    { name: '2,000 IPv4 addresses: trimmed', announcing: v4(2000), trims: true },
  ])('$name', ({ announcing, trims }) => {
    const r = fitNodeState(state(announcing));
    expect(noticeBytes({ kind: 'State', state: r.state })).toBeLessThanOrEqual(nodeStateBudget('node-a'));
    // A heartbeat piggybacking the trimmed state encodes (it would throw beyond the datagram limit).
    expect(() => encodeSwimMessage({ from: 'node-a', incarnation: 1, sequence: 1, type: 'Heartbeat', version: 7, notices: [{ kind: 'State', state: r.state }] })).not.toThrow();
    // Kept in the order given: the first addresses are the ones kept.
    expect(r.state.announcing).toEqual(announcing.slice(0, announcing.length - r.trimmedAnnouncing));
    expect(r.trimmedAnnouncing > 0).toBe(trims);
    // As many as fit: one more would not.
    if (trims) expect(noticeBytes({ kind: 'State', state: { ...r.state, announcing: announcing.slice(0, r.state.announcing.length + 1) } })).toBeGreaterThan(nodeStateBudget('node-a'));
  });
});
