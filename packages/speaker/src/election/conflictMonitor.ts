import { conflictResponse, DEFAULT_CONFLICT_LIMITS, formatAddress, lbAddressName, type ConflictLimits, type ConflictMemory } from '@herald/core';
import type { Logger } from 'pino';
import type { Announcer } from '../announce/announcer.js';
import type { Claim } from '../announce/interfaceResponder.js';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import type { SpeakerMetrics } from '../metrics.js';

export interface ConflictMonitorOptions {
  log: Logger;
  metrics: SpeakerMetrics;
  writer: LBAddressWriter;
  announcer: Pick<Announcer, 'isAnnouncing' | 'reannounce'>;
  /** MACs of herald nodes (from membership and LBAddress statuses): a claim from one is not foreign. */
  heraldMacs: () => ReadonlySet<string>;
  /** The LBAddress uid for Events, if cached. */
  uid: (name: string) => string | undefined;
  /** Re-run the election with fresh facts (coalesced by the caller). */
  recheck: () => void;
  limits?: ConflictLimits;
  /** Monotonic clock in ms (injectable for tests). */
  now?: () => number;
  /** A hard cap on remembered addresses; claims only come for announced addresses, so it is a backstop. */
  maxAddresses?: number;
}

/** How long the set of herald MACs is reused before it is rebuilt (a flood must not rebuild it per packet). */
const HERALD_MACS_TTL_MS = 1_000;

/**
 * Another MAC claimed an address this node announces. Applies conflictResponse: every claim is counted,
 * while logs, re-checks, re-announcements and Events are rate-limited per address. Memory is one small
 * record per announced address, pruned when the LBAddress goes away.
 */
export class ConflictMonitor {
  private readonly memory = new Map<string, ConflictMemory>();
  private macs: { set: ReadonlySet<string>; at: number } | undefined;

  constructor(private readonly o: ConflictMonitorOptions) {}

  onClaim(claim: Claim): void {
    const now = (this.o.now ?? performance.now.bind(performance))();
    const knownHerald = this.heraldMacs(now).has(claim.mac);
    this.o.metrics.conflicts.inc({ family: claim.address.family === 4 ? 'IPv4' : 'IPv6', source: knownHerald ? 'herald' : 'foreign' });
    const name = lbAddressName(claim.address);
    const r = conflictResponse({ nowMs: now, memory: this.memory.get(name), limits: this.o.limits ?? DEFAULT_CONFLICT_LIMITS });
    // Delete first so Map order is least-recently-claimed first, for the cap below.
    this.memory.delete(name);
    this.memory.set(name, r.memory);
    if (this.memory.size > (this.o.maxAddresses ?? 10_000)) this.memory.delete(this.memory.keys().next().value as string);
    if (!r.act && !r.event) return;
    const ip = formatAddress(claim.address);
    if (r.act) {
      this.o.log.warn({ event: 'conflict', address: ip, mac: claim.mac, interface: claim.interface, foreign: !knownHerald }, knownHerald ? 'another herald node claims an address this node announces' : 'IP conflict: a foreign MAC claims an announced address');
      // Re-check ownership with fresh facts, and win the neighbours back if we still own it.
      this.o.recheck();
      if (this.o.announcer.isAnnouncing(claim.address)) this.o.announcer.reannounce(claim.address);
    }
    if (r.event) {
      const others = r.suppressedBefore > 0 ? ` (${r.suppressedBefore} more claims since the last event)` : '';
      this.o.writer.lbAddressEvent(name, this.o.uid(name), 'Warning', 'AddressConflict',
        knownHerald ? `${ip} is also claimed by another herald node (${claim.mac}); re-checking ownership${others}` : `IP conflict: ${ip} is also claimed by ${claim.mac}, which is not a herald node${others}`);
    }
  }

  forget(name: string): void {
    this.memory.delete(name);
  }

  size(): number {
    return this.memory.size;
  }

  private heraldMacs(now: number): ReadonlySet<string> {
    if (!this.macs || now - this.macs.at > HERALD_MACS_TTL_MS) this.macs = { set: this.o.heraldMacs(), at: now };
    return this.macs.set;
  }
}
