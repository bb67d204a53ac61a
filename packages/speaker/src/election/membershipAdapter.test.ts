import type { MembershipView, PeerView } from '@herald/core';
import { describe, expect, it } from 'vitest';
import type { MembershipPort } from '../membership/membership.js';
import { membershipSource } from './membershipAdapter.js';

const peer = (node: string, over: Partial<PeerView> = {}): PeerView => ({
  node, self: false, alive: true, judgedBy: 'Heartbeat', draining: false, ready: true, heartbeatsBroken: false,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.2/24'], mac: '02:00:00:00:00:02' }], announcing: [], ...over,
} as PeerView);

function port(first: MembershipView): { port: MembershipPort; set: (v: MembershipView) => void; views: () => number } {
  let view = first;
  let reads = 0;
  return {
    port: { view: () => (reads++, view), peersListed: () => true, setLocalState: () => undefined, on: () => undefined, off: () => undefined },
    set: (v) => (view = v),
    views: () => reads,
  };
}

describe('membershipSource', () => {
  it('builds the peer map once per view, not per call (a hand-over asks once per claim)', () => {
    const p = port({ atMs: 1, peers: [peer('self', { self: true }), ...Array.from({ length: 5_000 }, (_, i) => peer(`n${i}`))] });
    const m = membershipSource(p.port);
    const first = m.peers();
    expect(first.size).toBe(5_000);
    expect(first.get('n7')).toMatchObject({ alive: true, macs: ['02:00:00:00:00:02'] });
    for (let i = 0; i < 1_000; i++) expect(m.peers()).toBe(first);
    expect(p.views()).toBe(1_001);
  });

  it('a new view (a change, or the periodic refresh) is read afresh', () => {
    const p = port({ atMs: 1, peers: [peer('n1'), peer('n2')] });
    const m = membershipSource(p.port);
    const before = m.peers();
    p.set({ atMs: 2, peers: [peer('n1', { alive: false }), peer('n3', { announcing: ['192.0.2.10'] })] });
    const after = m.peers();
    expect(after).not.toBe(before);
    expect([...after.keys()]).toEqual(['n1', 'n3']);
    expect(after.get('n1')?.alive).toBe(false);
    expect(after.get('n3')?.announcing).toEqual(['192.0.2.10']);
    expect(before.get('n1')?.alive).toBe(true);
  });
});
