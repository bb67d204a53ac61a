import { hash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { IncrementalElection, parseMac, startupReadiness, type AnswerLink, type LinkFacts, type ProvisionalAddress, type ReadinessReason } from '@herald/core';
import type { Logger } from 'pino';
import type { Announcement, Announcer } from '../announce/announcer.js';
import type { Claim } from '../announce/interfaceResponder.js';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import type { SpeakerMetrics } from '../metrics.js';
import { ClaimQueue } from './claimQueue.js';
import { ConflictMonitor } from './conflictMonitor.js';
import { ElectionApplier } from './electionApplier.js';
import { addressKey, ElectionFacts } from './electionFacts.js';
import { ElectionScheduler } from './electionScheduler.js';
import type { MembershipSource } from './membershipSource.js';
import { nativeSha256Prefixes, type Sha256Prefixes } from './sha256Prefixes.js';
import { StandbyPlanner, type StandbyPort } from './standbyPlanner.js';
import { StatusReporter } from './statusReporter.js';

export interface SpeakerControllerOptions {
  node: string;
  kubeConfig: k8s.KubeConfig;
  log: Logger;
  metrics: SpeakerMetrics;
  announcer: Announcer;
  writer: LBAddressWriter;
  membership: MembershipSource;
  lbClass: string | undefined;
  /** How long an old owner keeps answering when it sees no successor's claim (DESIGN: 2 s). */
  handoverTimeoutMs?: number;
  /** This node's heartbeat address: the interface holding it is where off-subnet addresses are announced. */
  heartbeatAddress?: string;
  /**
   * After this speaker flags itself ready, how long before it claims addresses: long enough for one
   * heartbeat carrying the flag to reach peers, so a peer that answers an address sees the claim as a
   * hand-over rather than a conflict. Default 250 ms (2.5 × the default heartbeat interval).
   */
  claimAfterReadyMs?: number;
  /**
   * How long a starting peer keeps the unanswered addresses it will win before it must be ready, counted
   * from when it was first seen not ready (across restarts, until it has been ready once). Default 30 s:
   * a whole cluster starting on busy machines takes that long, and a speaker stuck starting (API
   * unreachable) must not keep new addresses unanswered for ever.
   */
  startupHoldMs?: number;
  /**
   * How long a starting peer that has published no interfaces yet (its caches are not synced) counts as
   * eligible on links not yet known. Default 5 s: caches sync within it normally; a speaker that cannot
   * reach the API server never publishes any, and is held for only this long.
   */
  unknownInterfacesHoldMs?: number;
  /**
   * Longest stretch of election work in one turn of the event loop; the rest continues on the next turn
   * (heartbeats and ARP replies run in between). Default 20 ms.
   */
  electionSliceMs?: number;
  /** At start, how long to wait for speakers of Nodes that show none yet (whole-cluster start). Default 10 s. */
  peerWaitMs?: number;
  /** How long a claim seen on the wire from a herald peer counts as proof that it is alive. Default 30 s. */
  claimEvidenceMs?: number;
  /**
   * Ranks every node for an address in one call (RankCache). Default: the addon's (nativeSha256Prefixes);
   * false: one digest per node (benchmarks compare).
   */
  sha256Prefixes?: Sha256Prefixes | false;
  /**
   * The answering thread's standby (issue 11): it is told, per live peer, which addresses this node takes
   * over at that peer's death, and answers them the moment its membership declares the death; the election
   * round that follows confirms or releases them (StandbyPlanner). Absent: answering on this thread.
   */
  standby?: StandbyPort;
}

// One-shot digest without a Hash object: for one (node, address) pair at a time (a node joining, a tie on 48
// bits). Ranking every node for an address, 50 million pairs at 5,000 nodes × 10,000 addresses, goes to the
// batch (sha256Prefixes).
const sha256 = (text: string): Uint8Array => hash('sha256', text, 'buffer');

/**
 * The speaker's loop: from cached facts (Kubernetes objects, local links, membership) it elects an owner
 * for every LBAddress and makes the announcer match. It reads the API through watches only, so when the
 * API server is unreachable the caches simply stop changing and announcements go on; membership changes
 * (heartbeats) still move addresses. The work is split by concept: ElectionFacts (caches, indexes,
 * gathering), ElectionScheduler (sliced rounds, hand-over), ElectionApplier (announcer, heartbeat, status);
 * this class wires them and keeps the readiness gate, draining and claims seen on the wire.
 */
export class SpeakerController {
  /** Every address's election, re-run only where facts changed (IncrementalElection). */
  private readonly election: IncrementalElection;
  readonly facts: ElectionFacts;
  readonly scheduler: ElectionScheduler;
  readonly applier: ElectionApplier;
  /** LBAddress status and transition Events (statusReporter.ts); conflicts on the wire (conflictMonitor.ts). */
  readonly status: StatusReporter;
  readonly conflicts: ConflictMonitor;
  /** Claims seen on the wire, handled a slice per turn (claimQueue.ts). */
  readonly claims: ClaimQueue;
  private draining = false;
  private stopped = false;
  /** Caches listed once. */
  /** The readiness gate passed: heartbeats and the Lease say ready. */
  private isReady = false;
  /** Ready, and peers have had a heartbeat to learn it: the election is applied. */
  private electing = false;
  private readiness: ReadinessReason | undefined;
  private readinessTimer: NodeJS.Timeout | undefined;
  private peersKnownAt: number | undefined;
  private firstElectionRunning = false;
  private lastPeerLossAt = 0;
  private readonly seenAlive = new Map<string, boolean>();
  private readonly standby: StandbyPlanner | undefined;

  constructor(private readonly o: SpeakerControllerOptions) {
    const batch = o.sha256Prefixes ?? nativeSha256Prefixes();
    this.election = new IncrementalElection({ sha256, ...(batch ? { sha256Prefixes: batch } : {}) });
    this.facts = new ElectionFacts({
      node: o.node, kubeConfig: o.kubeConfig, log: o.log, announcer: o.announcer, membership: o.membership, lbClass: o.lbClass,
      election: this.election,
      ...(o.heartbeatAddress ? { heartbeatAddress: o.heartbeatAddress } : {}),
      ...(o.startupHoldMs === undefined ? {} : { startupHoldMs: o.startupHoldMs }),
      ...(o.unknownInterfacesHoldMs === undefined ? {} : { unknownInterfacesHoldMs: o.unknownInterfacesHoldMs }),
      ...(o.claimEvidenceMs === undefined ? {} : { claimEvidenceMs: o.claimEvidenceMs }),
      draining: () => this.draining,
      changed: () => this.scheduler.schedule(),
      linksMayChange: () => this.applier.publishSoon(),
      addressChanged: (type, obj) => {
        const name = obj.metadata.name;
        // An LBAddress was deleted: nothing about it may stay in memory.
        if (type === 'deleted') {
          this.status.forget(name);
          this.conflicts.forget(name);
        } else this.status.recheck(name); // its status may have changed under us (another speaker's write, our own echo)
      },
      addressLeft: (key) => this.scheduler.forgetHandover(key),
      holdersChanged: (ip) => this.scheduler.holdersChanged(ip),
    });
    this.status = new StatusReporter({ node: o.node, log: o.log, metrics: o.metrics, writer: o.writer, addresses: this.facts.addresses.store, services: this.facts.services.store });
    this.conflicts = new ConflictMonitor({
      log: o.log, metrics: o.metrics, writer: o.writer, announcer: o.announcer,
      heraldMacs: () => this.facts.heraldMacs(),
      uid: (name) => this.facts.addresses.store.get(name)?.metadata.uid,
      recheck: () => this.scheduler.schedule(),
      stillOwned: (address) => o.announcer.isAnnouncing(address) && !this.scheduler.handingOver(addressKey(address)),
    });
    this.claims = new ClaimQueue({ handle: (c) => this.handleClaim(c), dropped: () => o.metrics.claimsDropped.inc() });
    this.applier = new ElectionApplier({
      log: o.log, metrics: o.metrics, announcer: o.announcer, membership: o.membership, facts: this.facts, election: this.election, status: this.status,
      scheduler: () => this.scheduler,
      draining: () => this.draining,
      ready: () => this.isReady,
      lastPeerLossAt: () => this.lastPeerLossAt,
    });
    this.scheduler = new ElectionScheduler({
      node: o.node, announcer: o.announcer, membership: o.membership, facts: this.facts, election: this.election,
      ...(o.handoverTimeoutMs === undefined ? {} : { handoverTimeoutMs: o.handoverTimeoutMs }),
      ...(o.electionSliceMs === undefined ? {} : { electionSliceMs: o.electionSliceMs }),
      electing: () => this.electing,
      elected: (changed, gathered) => {
        if (changed.length > 0 || gathered) this.standby?.schedule();
        this.applier.observeStatus(changed, gathered);
      },
      afterApply: (workLeft) => this.standby?.afterRound(workLeft),
      morePending: () => this.applier.pending(),
      apply: (desired) => this.applier.apply(desired),
      applyChanges: (changes) => this.applier.applyChanges(changes),
    });
    this.standby = o.standby
      ? new StandbyPlanner({
        node: o.node, election: this.election, membership: o.membership, port: o.standby, log: o.log,
        links: () => {
          const out = new Map<string, AnswerLink>();
          for (const l of this.facts.publishedLinks()) {
            const mac = parseMac(l.mac);
            if (mac.ok) out.set(l.name, { ifname: l.name, ifindex: l.index, mac: mac.value });
          }
          return out;
        },
        answeredOn: (address) => {
          const name = this.facts.nameOfKey.get(addressKey(address));
          return name === undefined ? undefined : this.scheduler.desired.get(name)?.interface;
        },
      })
      : undefined;
    o.membership.onChange(() => this.onMembership());
  }

  /** The answering thread took these addresses over at `peer`'s death (standby): the next rounds judge them. */
  onTookOver(peer: string, addresses: readonly ProvisionalAddress[]): void {
    this.standby?.tookOver(peer, addresses);
    this.scheduler.schedule();
  }

  /**
   * Lists and watches the caches, then passes the readiness gate (DESIGN.md): caches synced, peer Leases
   * listed, every listed peer heard once; then the first election runs and this node flags itself ready.
   * Until then it announces nothing and peers rank it as a candidate for no answered address. Resolves
   * when the caches are synced (never, while the API server cannot be reached).
   */
  async start(): Promise<void> {
    this.checkReadiness();
    await this.facts.start();
    // Peers learn this node's links now, while it is still starting: they judge it by them, not as unknown.
    this.applier.publishSoon();
    this.checkReadiness();
  }

  stop(): void {
    this.stopped = true;
    this.facts.stop();
    this.status.stop();
    this.conflicts.stop();
    this.claims.stop();
    clearTimeout(this.readinessTimer);
    this.scheduler.stop();
    this.standby?.stop();
  }

  ready(): boolean {
    return this.isReady;
  }

  private checkReadiness(): void {
    clearTimeout(this.readinessTimer);
    if (this.isReady || this.draining) return;
    const peers = [...this.o.membership.peers()].map(([node, p]) => ({ node, alive: p.alive, judgedBy: p.judgedBy, heartbeatsBroken: p.heartbeatsBroken }));
    const peersListed = this.o.membership.peersListed();
    if (this.facts.synced && peersListed) this.peersKnownAt ??= Date.now();
    const r = startupReadiness({
      cachesSynced: this.facts.synced, peersListed, peers,
      expectedPeers: this.facts.expectedPeers(), waitedMs: Date.now() - (this.peersKnownAt ?? Date.now()), peerWaitMs: this.o.peerWaitMs ?? 10_000,
    });
    if (r.reason !== this.readiness) this.o.log.info({ event: r.ready ? 'ready' : 'notReady', reason: r.reason }, r.message);
    this.readiness = r.reason;
    if (!r.ready) {
      // Facts arrive from watches and heartbeats; a short poll keeps this gate out of their code paths.
      this.readinessTimer = setTimeout(() => this.checkReadiness(), 50);
      return;
    }
    // The first election, on the facts that made us ready (spread over turns of the event loop); applied
    // once peers have heard the flag.
    if (this.firstElectionRunning) return;
    this.firstElectionRunning = true;
    void this.firstElection();
  }

  private async firstElection(): Promise<void> {
    while (this.scheduler.round()) await new Promise<void>((r) => setImmediate(r));
    this.firstElectionRunning = false;
    if (this.draining || this.stopped) return;
    const owned = this.scheduler.desired.size;
    this.isReady = true;
    this.applier.publishLocalState();
    this.o.log.info({ event: 'firstElection', owned }, `first election: this node will answer ${owned} address(es)`);
    this.readinessTimer = setTimeout(() => {
      this.electing = true;
      this.scheduler.factsChanged();
      this.scheduler.recompute();
    }, this.o.claimAfterReadyMs ?? 250);
  }

  setLinks(links: LinkFacts[]): void {
    this.facts.setLinks(links);
    this.applier.publishLocalState();
    this.scheduler.reapplyAll();
  }

  /** SIGTERM: rank this node last everywhere so successors announce first; resolves when nothing is held. */
  async drain(): Promise<void> {
    this.draining = true;
    clearTimeout(this.readinessTimer);
    const started = Date.now();
    this.applier.publishLocalState();
    this.scheduler.schedule();
    const timeout = this.o.handoverTimeoutMs ?? 2_000;
    while (this.o.announcer.announcing().length > 0 && Date.now() - started < timeout + 500) {
      await new Promise((r) => setTimeout(r, 20));
      this.scheduler.factsChanged();
      if (this.electing) this.scheduler.recompute();
    }
  }

  /** A claim seen on the wire: handled on a later turn, a bounded slice of claims per turn (ClaimQueue). */
  onClaim(claim: Claim): void {
    this.claims.push(claim);
  }

  /**
   * A claim seen on the wire: a successor taking over (make-before-break), a peer proving it is alive, or a
   * conflict. The election runs on the next turn, once for every claim of this one: a successor taking
   * over thousands of addresses announces them all within a second, and a round per claim (each deciding
   * every address being handed over) blocked the event loop for over a second at 1,500 addresses.
   */
  private handleClaim(claim: Claim): void {
    const k = addressKey(claim.address);
    const now = Date.now();
    const owner = this.facts.macOwner(claim.mac);
    // Another herald node (undefined: a foreign MAC, or this node's own).
    const peer = owner === this.o.node ? undefined : owner;
    const livePeer = peer !== undefined && this.facts.peer(peer)?.alive === true;
    if (peer !== undefined) {
      this.scheduler.claimedBy(k, peer, now);
      // Heartbeats from the claimant may be lost one way: its claim proves it alive, and the ranking decides.
      // Only a herald peer's claim re-runs the election here; foreign claims go to the rate-limited monitor.
      if (!livePeer) {
        this.facts.claimSeen.set(peer, now);
        this.scheduler.schedule();
      }
    }
    if (this.scheduler.handingOver(k)) {
      // This node is handing the address over: the claim is the successor's, so stop now.
      this.scheduler.successorClaimed(k, now);
      this.scheduler.schedule();
      return;
    }
    this.conflicts.onClaim(claim, livePeer);
  }

  /** Called by the announcer when it stops answering for an address. */
  onStopped(s: Announcement): void {
    this.applier.onStopped(s);
  }

  /** Called by the announcer after the first gratuitous packet: only now may the status name this node. */
  onAnnounced(a: Announcement & { mac: string; at: Date }): void {
    this.applier.onAnnounced(a);
  }

  private onMembership(): void {
    const peers = this.o.membership.peers();
    for (const [name, p] of peers) {
      const before = this.seenAlive.get(name);
      if (before && !p.alive) this.lastPeerLossAt = Date.now();
      // Heartbeats judge it again: a claim seen earlier must not outlive a later death.
      if (p.alive) this.facts.claimSeen.delete(name);
      this.seenAlive.set(name, p.alive);
    }
    this.scheduler.schedule();
  }
}
