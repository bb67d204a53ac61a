import type { IPAddress } from '../ip/address.js';
import type { Candidate } from './electOwner.js';
import type { OwnerResult } from './incrementalElection.js';

/** One address this node answers the moment `peer`, its owner now, is declared dead. */
export interface StandbyEntry {
  readonly peer: string;
  readonly address: IPAddress;
  readonly interface: string;
}

export interface StandbyFacts {
  /** This node's name. */
  readonly self: string;
  /** Every address with its election result now (IncrementalElection.results). */
  readonly results: Iterable<{ readonly name: string; readonly address: IPAddress; readonly result: OwnerResult }>;
  /** Who would own the address if its owner died now (IncrementalElection.successorIfGone). */
  readonly successorIfGone: (name: string) => Candidate | undefined;
  /** Whether a peer is alive now: a dead owner's addresses have moved already. */
  readonly alive: (node: string) => boolean;
}

/**
 * Which addresses this node takes over, per live peer, if that peer dies: those it owns now and that the
 * election without it gives to this node. Worked out ahead of time (issue 11: crash → the new owner's
 * gratuitous ARP), so that the thread that learns of the death can answer and announce them at once,
 * before the main thread's election round confirms it; the round that follows decides as always and the
 * answering side gives back whatever it did not confirm.
 */
export function standbyPlan(f: StandbyFacts): StandbyEntry[] {
  const out: StandbyEntry[] = [];
  for (const { name, address, result } of f.results) {
    const peer = result.owner?.node;
    if (peer === undefined || peer === f.self || !f.alive(peer)) continue;
    const next = f.successorIfGone(name);
    if (next?.node === f.self) out.push({ peer, address, interface: next.interface });
  }
  return out;
}
