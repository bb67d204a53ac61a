import { claimHandling, conflictResponse, DEFAULT_CONFLICT_LIMITS, formatAddress, lbAddressName, type ConflictLimits, type ConflictMemory, type IPAddress } from '@herald/core';
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
  /** This node still answers the address as its owner (not handing it over): a waiting claim is a conflict. */
  stillOwned: (address: IPAddress) => boolean;
  limits?: ConflictLimits;
  /** Monotonic clock in ms (injectable for tests). */
  now?: () => number;
  /** A hard cap on remembered addresses; claims only come for announced addresses, so it is a backstop. */
  maxAddresses?: number;
}

/** Longest stretch of ended waits handled in one turn of the event loop. */
const WAIT_SLICE_MS = 10;

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
  /** LBAddress name → a live peer's claim waiting out the grace (claimHandling), in order of arrival. */
  private readonly waiting = new Map<string, { claim: Claim; untilMs: number }>();
  private waitTimer: NodeJS.Timeout | undefined;
  /** Ended waits continue on the next turn. */
  private waitSlice: NodeJS.Immediate | undefined;

  constructor(private readonly o: ConflictMonitorOptions) {}

  /** `fromLivePeer`: the claiming MAC is a herald peer's that this node's membership holds alive. */
  onClaim(claim: Claim, fromLivePeer = false): void {
    const now = this.now();
    const name = lbAddressName(claim.address);
    const h = claimHandling({ fromLivePeer, waiting: this.waiting.has(name), nowMs: now, limits: this.limits });
    if (h.step === 'waiting') return;
    if (h.step === 'wait') {
      this.waiting.set(name, { claim, untilMs: h.untilMs });
      if (this.waiting.size > this.maxAddresses) this.waiting.delete(this.waiting.keys().next().value as string);
      this.o.recheck();
      this.armWaitTimer(now);
      return;
    }
    this.respond(claim, this.heraldMacs(now).has(claim.mac), now);
  }

  /**
   * A conflict: counted (a live peer's claim only now, once its grace is over: a hand-over is not one);
   * logged, re-checked, re-announced and recorded as an Event as its limits allow.
   */
  private respond(claim: Claim, knownHerald: boolean, now: number): void {
    this.o.metrics.conflicts.inc({ family: claim.address.family === 4 ? 'IPv4' : 'IPv6', source: knownHerald ? 'herald' : 'foreign' });
    const name = lbAddressName(claim.address);
    const r = conflictResponse({ nowMs: now, memory: this.memory.get(name), limits: this.limits });
    // Delete first so Map order is least-recently-claimed first, for the cap below.
    this.memory.delete(name);
    this.memory.set(name, r.memory);
    if (this.memory.size > this.maxAddresses) this.memory.delete(this.memory.keys().next().value as string);
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
    this.waiting.delete(name);
  }

  stop(): void {
    clearTimeout(this.waitTimer);
    clearImmediate(this.waitSlice);
    this.waitTimer = undefined;
    this.waitSlice = undefined;
  }

  /** Claims still waiting out the grace. */
  waitingClaims(): number {
    return this.waiting.size;
  }

  /**
   * Claims whose grace is over: a conflict where this node still answers as owner. A node joining makes
   * thousands end together: at most WAIT_SLICE_MS of them per turn, the rest on the next.
   */
  private endWaits(): void {
    this.waitTimer = undefined;
    this.waitSlice = undefined;
    const now = this.now();
    for (const [name, w] of this.waiting) {
      if (w.untilMs > now) break;
      if (this.now() - now >= WAIT_SLICE_MS) {
        this.waitSlice = setImmediate(() => this.endWaits());
        return;
      }
      this.waiting.delete(name);
      if (this.o.stillOwned(w.claim.address)) this.respond(w.claim, true, now);
    }
    this.armWaitTimer(now);
  }

  /** One timer for every waiting claim: they wait equally long, so the first in the map ends first. */
  private armWaitTimer(now: number): void {
    if (this.waitTimer !== undefined || this.waitSlice !== undefined) return;
    const first = this.waiting.values().next();
    if (first.done) return;
    this.waitTimer = setTimeout(() => this.endWaits(), Math.max(0, first.value.untilMs - now));
    this.waitTimer.unref();
  }

  private now(): number {
    return (this.o.now ?? performance.now.bind(performance))();
  }

  private get limits(): ConflictLimits {
    return this.o.limits ?? DEFAULT_CONFLICT_LIMITS;
  }

  private get maxAddresses(): number {
    return this.o.maxAddresses ?? 10_000;
  }

  size(): number {
    return this.memory.size;
  }

  private heraldMacs(now: number): ReadonlySet<string> {
    if (!this.macs || now - this.macs.at > HERALD_MACS_TTL_MS) this.macs = { set: this.o.heraldMacs(), at: now };
    return this.macs.set;
  }
}
