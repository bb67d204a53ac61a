import { formatAddress, lbAddressName, noOwnerReporter, type IncrementalElection, type OwnerResult } from '@herald/core';
import type { Logger } from 'pino';
import type { Announcement, Announcer } from '../announce/announcer.js';
import type { SpeakerMetrics } from '../metrics.js';
import type { Address, ElectionFacts } from './electionFacts.js';
import type { AnnouncementChange, ElectionScheduler } from './electionScheduler.js';
import type { MembershipSource } from './membershipSource.js';
import type { StatusReporter } from './statusReporter.js';

/** Status plans per event-loop turn (each compares an LBAddress status with the election's view). */
const STATUS_SLICE = 500;
/**
 * Announced-list changes published at most this often (one heartbeat interval): a hand-over of thousands
 * of addresses changes the list on every turn, and each publish is a new membership State version to
 * disseminate. Claims on the wire, not this list, are what ends a hand-over quickly.
 */
const PUBLISH_EVERY_MS = 100;

export interface ElectionApplierOptions {
  log: Logger;
  metrics: SpeakerMetrics;
  announcer: Announcer;
  membership: MembershipSource;
  facts: ElectionFacts;
  election: IncrementalElection;
  status: StatusReporter;
  scheduler: () => ElectionScheduler;
  draining: () => boolean;
  ready: () => boolean;
  /** When this node last saw a peer die (a takeover soon after counts as a failover). */
  lastPeerLossAt: () => number;
}

/**
 * Makes the world match the election: the announcer answers what this node should, heartbeats list what
 * it answers, and LBAddress statuses (through the StatusReporter, in bounded slices) say who answers.
 */
export class ElectionApplier {
  /** Addresses whose status must be decided again (worked off STATUS_SLICE per turn). */
  private readonly statusBacklog = new Set<string>();
  /** The status reporter has seen every address once (it then hears only about changes). */
  private statusPrimed = false;
  private reporter: string | undefined;
  private publishScheduled = false;
  private lastPublishAt = -Infinity;

  constructor(private readonly o: ElectionApplierOptions) {}

  /** Announces and withdraws so the announcer holds exactly `desired`. */
  apply(desired: Announcement[]): void {
    this.o.announcer.set(desired);
  }

  /** Announces and withdraws what one round changed; every other address keeps its answer. */
  applyChanges(changes: AnnouncementChange[]): void {
    this.o.announcer.update(changes);
  }

  /** Status plans are left for another turn. */
  pending(): boolean {
    return this.statusBacklog.size > 0;
  }

  /**
   * Tells the status reporter what changed: re-elected addresses, addresses whose holders changed, and,
   * when the no-owner reporter changed (or on the first applied round), every address.
   */
  observeStatus(changed: readonly string[], gathered: boolean): void {
    const { facts } = this.o;
    const names = this.statusBacklog;
    for (const n of changed) names.add(n);
    for (const ip of facts.heldChanged) {
      const name = facts.nameOfIp.get(ip);
      if (name !== undefined) names.add(name);
    }
    facts.heldChanged.clear();
    if (gathered) {
      const reporter = noOwnerReporter(facts.lastNodes);
      if (!this.statusPrimed || reporter !== this.reporter) for (const n of facts.inElection.keys()) names.add(n);
      this.reporter = reporter;
      this.statusPrimed = true;
    }
    // Planning a status is work per address too: at most STATUS_SLICE per turn, the rest on the next.
    const entries: { obj: Address; ip: string; result: OwnerResult }[] = [];
    const removed: string[] = [];
    const { election } = this.o;
    for (const name of names) {
      if (entries.length + removed.length >= STATUS_SLICE) break;
      names.delete(name);
      const e = facts.inElection.get(name);
      const result = election.result(name);
      if (e && result) entries.push({ obj: e.obj, ip: e.ip, result });
      else removed.push(name);
    }
    this.o.status.observeChanges(entries, removed, this.reporter, facts.heldBy);
  }

  /** Membership trims what does not fit one datagram (fitHeartbeat) and never throws. */
  publishLocalState(): void {
    this.lastPublishAt = performance.now();
    this.o.membership.setLocalState({
      draining: this.o.draining(),
      ready: this.o.ready(),
      interfaces: this.o.facts.heartbeatLinks().map((l) => ({ name: l.name, subnets: [...l.subnets], ...(l.mac ? { mac: l.mac } : {}) })),
      announcing: this.o.announcer.announcedTexts(),
    });
  }

  /** Heartbeats carry the announced list; coalesce a burst of changes into one update per PUBLISH_EVERY_MS. */
  publishSoon(): void {
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    const run = () => {
      this.publishScheduled = false;
      this.publishLocalState();
    };
    const wait = this.lastPublishAt + PUBLISH_EVERY_MS - performance.now();
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  /** Called by the announcer when it stops answering for an address. */
  onStopped(s: Announcement): void {
    // Read at the next round's gathering (as the announced set always was), without forcing a round.
    this.o.facts.ownAnswerChanged(s.address);
    this.o.scheduler().factsChanged();
    this.o.metrics.transitions.inc({ direction: 'stopped' });
    const name = lbAddressName(s.address);
    this.o.status.stoppedAnnouncing(name);
    const r = this.o.status.lastResult(name);
    const handover = this.o.scheduler().takeHandoverReason(name);
    this.o.log.info({ event: 'announceStopped', address: formatAddress(s.address), interface: s.interface, newOwner: r?.owner?.node ?? null, reason: r?.reason ?? (this.o.draining() ? 'Draining' : 'NotOwner'), handover: handover ?? null }, 'stopped announcing');
    this.publishSoon();
  }

  /** Called by the announcer after the first gratuitous packet: only now may the status name this node. */
  onAnnounced(a: Announcement & { mac: string; at: Date }): void {
    this.o.facts.ownAnswerChanged(a.address);
    this.o.scheduler().factsChanged();
    const name = lbAddressName(a.address);
    const previous = this.o.facts.addresses.store.get(name)?.status?.node;
    this.o.metrics.transitions.inc({ direction: 'started' });
    const lossAt = this.o.lastPeerLossAt();
    if (lossAt && a.at.getTime() - lossAt < 5_000) this.o.metrics.failoverSeconds.observe((a.at.getTime() - lossAt) / 1000);
    this.o.log.info({ event: 'announceStarted', address: formatAddress(a.address), interface: a.interface, mac: a.mac, previousOwner: previous ?? null }, 'announcing');
    this.publishSoon();
    this.o.status.announcedOn(name, { interface: a.interface, mac: a.mac, at: a.at.toISOString() });
  }
}
