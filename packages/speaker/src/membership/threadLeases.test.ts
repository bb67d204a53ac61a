import type { SpeakerLeaseState } from '@herald/core';
import { describe, expect, it } from 'vitest';
import type { FromMembershipThread } from './membershipThreadProtocol.js';
import type { SpeakerLeaseSeen } from './speakerLeaseWatch.js';
import { ThreadLeases } from './threadLeases.js';

const stateOf = (draining: boolean): SpeakerLeaseState => ({ heartbeatAddress: '192.0.2.11', heartbeatPort: 7946, incarnation: 1, draining, ready: true, interfaces: [] });

describe('ThreadLeases: the worker side of the Leases the main thread runs', () => {
  it('sends the state at start and on every poke, hands the peers\' Leases to membership in order, and nothing once stopped', () => {
    const posted: FromMembershipThread[] = [];
    const leases = new ThreadLeases(30_000, (m) => posted.push(m));
    let draining = false;
    const seen: string[] = [];
    leases.poke(); // before start: nothing to publish yet
    expect(posted).toEqual([]);
    leases.start({
      state: () => stateOf(draining),
      onUpsert: (s) => seen.push(`upsert ${s.info.node}`),
      onDelete: (node) => seen.push(`delete ${node}`),
      onRenewal: () => seen.push('renewal'),
      onRestart: () => seen.push('restart'),
    });
    draining = true;
    leases.poke();
    expect(posted).toEqual([{ type: 'leasesStart', state: stateOf(false) }, { type: 'leaseState', state: stateOf(true) }]);

    const peer: SpeakerLeaseSeen = { info: { node: 'n2', draining: false, ready: true, warnings: [] }, renewTimeWallMs: 1_700_000_000_000 };
    expect(leases.synced).toBe(false);
    leases.receive({ type: 'leaseUpsert', seen: structuredClone(peer) });
    leases.receive({ type: 'leasesSynced' });
    leases.receive({ type: 'leaseDelete', node: 'n2' });
    expect(seen).toEqual(['upsert n2', 'delete n2']);
    expect(leases.synced).toBe(true);
    expect(leases.durationMs).toBe(30_000);

    leases.stop();
    leases.stop();
    leases.poke();
    leases.receive({ type: 'leaseUpsert', seen: peer });
    expect(posted.slice(2)).toEqual([{ type: 'leasesStop' }]);
    expect(seen).toEqual(['upsert n2', 'delete n2']);
  });
});
