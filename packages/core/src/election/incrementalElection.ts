import type { L2Advertisement } from '../api/v1beta1.js';
import { formatAddress, type IPAddress } from '../ip/address.js';
import { advertisementsForPool } from '../l2/advertisementSelection.js';
import { plainDataEqual } from '../plainDataEqual.js';
import { addressGate, excludedEverywhere, noEligibleNodeMessage, nodeEligibility, ownerMessage, type Candidate } from './electOwner.js';
import { sameNodeFacts, type ElectionReason, type NodeFacts, type ServiceFacts } from './nodeFacts.js';
import { RankCache, type RankCacheOptions } from './rankCache.js';
import { SubnetTable } from './subnetTable.js';

/** One address's election facts. */
export interface AddressElectionInput {
  readonly address: IPAddress;
  readonly pool: { readonly name: string; readonly labels?: Readonly<Record<string, string>> | undefined };
  readonly services: readonly ServiceFacts[];
  /** Some live node answers it: starting peers are candidates only where nobody does (peerCandidacy). */
  readonly answered: boolean;
}

/** A node's facts as seen for answered and for unanswered addresses (they differ only for a starting peer). */
export interface NodeVariants {
  readonly answered: NodeFacts;
  readonly unanswered: NodeFacts;
}

/** What electOwner says about an address, without the per-node detail (owner, reason, message are equal). */
export interface OwnerResult {
  readonly owner: Candidate | undefined;
  readonly reason: ElectionReason | undefined;
  readonly message: string;
}

/** A joining node still to be compared with the owner of the addresses `rest` has not reached. */
interface NodeScan {
  readonly facts: NodeVariants;
  readonly rest: Iterator<[string, AddressState]>;
  left: number;
}

interface AddressState {
  input: AddressElectionInput;
  ip: string;
  result: OwnerResult | undefined;
  /** successorIfGone's answer, kept (null: nobody may take it); undefined when none is. */
  successor?: Candidate | null;
  /** What the kept answer holds for: the successor's facts (their object), or for nobody the node changes count. */
  successorFor?: NodeVariants | number;
}

const sameResult = (a: OwnerResult | undefined, b: OwnerResult | undefined) =>
  a?.reason === b?.reason && a?.message === b?.message && a?.owner?.node === b?.owner?.node && a?.owner?.interface === b?.owner?.interface && a?.owner?.draining === b?.owner?.draining;

/**
 * electOwner for every address, kept up to date by what changed. Facts go in with setNode / setAddress /
 * setAdvertisements; each marks only the addresses the change can move; flush(limit) re-elects at most
 * `limit` of them and returns the results that changed, so a caller can spread a full recompute over
 * several turns of its event loop. The result for every address always equals electOwner's on the same
 * facts once nothing is pending (the property test holds it to that).
 *
 * What a change of one node can move: the addresses it owns, the addresses nobody may announce because no
 * node is eligible (their message names every node), and, only if it can be a candidate at all now, the
 * addresses where it out-ranks the current owner. A node leaving, or joining where it ranks below the
 * owner, moves nothing else.
 */
export class IncrementalElection {
  private readonly ranks: RankCache;
  /** Interface subnets parsed once (every elected address compares them). */
  private readonly subnets = new SubnetTable();
  private readonly addresses = new Map<string, AddressState>();
  private readonly nodes = new Map<string, NodeVariants>();
  /** Nodes whose two variants differ: only then does an address's `answered` flag matter. */
  private readonly startingNodes = new Set<string>();
  private ads: readonly L2Advertisement[] = [];
  private readonly dirty = new Set<string>();
  /** Joining nodes whose reach (addresses where they out-rank the owner) flush is still working out. */
  private readonly scans = new Map<string, NodeScan>();
  /** The scans' share of pending(), kept as they move (pending() is asked after every slice of work). */
  private scanUnits = 0;
  /** Addresses holding a result. */
  private elected = 0;
  /** Node → addresses it owns. */
  private readonly owned = new Map<string, Set<string>>();
  /** Addresses whose reason is NoEligibleNode. */
  private readonly noEligible = new Set<string>();
  private lists: { answered: NodeFacts[]; unanswered: NodeFacts[] } | undefined;
  /** A pool's labels as text, once per labels object (the pool cache's: new only when the pool changes). */
  private readonly labelKeys = new WeakMap<object, string>();
  /** Node facts changed (setNode) so far: a kept "nobody else" answer holds only while it is unchanged. */
  private nodeChanges = 0;

  constructor(o: {
    readonly sha256: (text: string) => Uint8Array;
    /** Every node's rank for one address in one call (RankCache). */
    readonly sha256Prefixes?: RankCacheOptions['sha256Prefixes'];
    /** Best-ranked nodes kept per address (RankCache). */
    readonly ranksKept?: number;
  }) {
    this.ranks = new RankCache({ sha256: o.sha256, ...(o.sha256Prefixes ? { sha256Prefixes: o.sha256Prefixes } : {}), ...(o.ranksKept !== undefined ? { kept: o.ranksKept } : {}) });
  }

  /** What the rank cache holds, for benchmarks. */
  rankCacheSize(): ReturnType<RankCache['size']> {
    return this.ranks.size();
  }

  /** A changed L2Advertisement can move anything: every address is re-elected. */
  setAdvertisements(ads: readonly L2Advertisement[]): void {
    if (plainDataEqual(ads, this.ads)) return;
    this.ads = ads;
    this.standbyAds = new Map();
    this.markAll();
  }

  /** Re-elect everything (start, or a change whose reach is not worth working out). */
  markAll(): void {
    for (const name of this.addresses.keys()) this.dirty.add(name);
  }

  /** A node's facts, or undefined when its Node object is gone. */
  setNode(name: string, facts: NodeVariants | undefined): void {
    const before = this.nodes.get(name);
    if (before === facts || (before && facts && sameNodeFacts(before.answered, facts.answered) && sameNodeFacts(before.unanswered, facts.unanswered))) return;
    if (facts) {
      this.nodes.set(name, facts);
      this.ranks.addNode(name);
      if (sameNodeFacts(facts.answered, facts.unanswered)) this.startingNodes.delete(name);
      else this.startingNodes.add(name);
    } else {
      this.nodes.delete(name);
      this.startingNodes.delete(name);
    }
    this.lists = undefined;
    // Kept successor answers naming this node (their facts object is no longer the node's) and those with
    // nobody (this count moved) no longer hold; where it out-ranks a successor, the scan below forgets it.
    this.nodeChanges++;
    for (const a of this.owned.get(name) ?? []) this.dirty.add(a);
    for (const a of this.noEligible) this.dirty.add(a);
    this.dropScan(name);
    // With no address elected yet (the first election: every node's facts arrive before any flush) there is
    // no owner to out-rank: 5,000 such scans over 10,000 addresses were 50 million useless steps.
    if (facts && this.elected > 0 && !(excludedEverywhere(facts.answered) && excludedEverywhere(facts.unanswered))) {
      // Where it can out-rank the owner it may win now; elsewhere it cannot move anything. Finding where
      // means one comparison (and, for a node never seen, one hash) per address: flush does it in bounded
      // steps, so a node joining never costs one long stretch of work.
      const scan = { facts, rest: this.addresses.entries(), left: this.addresses.size };
      this.scans.set(name, scan);
      this.scanUnits += Math.max(1, scan.left);
    }
    if (!facts) this.ranks.removeNode(name);
  }

  /** An address's facts, or undefined when it is gone. */
  setAddress(name: string, input: AddressElectionInput | undefined): void {
    const s = this.addresses.get(name);
    if (!input) {
      if (!s) return;
      this.addresses.delete(name);
      this.ranks.removeAddress(s.ip);
      if (s.result) {
        this.removedResult.set(name, s.result);
        this.elected--;
      }
      this.dirty.add(name);
      return;
    }
    // Every status write of a hand-over comes back as an LBAddress update with the same facts: compared
    // without building strings (plainDataEqual), this is the common, allocation-free path.
    if (s && plainDataEqual(s.input, input)) return;
    const onlyAnswered = s !== undefined && s.input.answered !== input.answered && plainDataEqual({ ...s.input, answered: input.answered }, input);
    const ip = formatAddress(input.address);
    if (!s || s.ip !== ip) {
      if (s) this.ranks.removeAddress(s.ip);
      this.ranks.addAddress(ip);
    }
    // A kept successor answer stays: any change but whether the address is answered re-elects it (flush
    // forgets the answer), and the successor is elected with the address unanswered anyway.
    this.addresses.set(name, { input, ip, result: s?.result, successor: s?.successor, successorFor: s?.successorFor });
    // Whether anyone answers it matters only while some peer is starting.
    if (!onlyAnswered || this.startingNodes.size > 0) this.dirty.add(name);
  }

  /** Only whether some live node answers the address changed (cheaper than setAddress: no comparison). */
  setAnswered(name: string, answered: boolean): void {
    const s = this.addresses.get(name);
    if (!s || s.input.answered === answered) return;
    s.input = { ...s.input, answered };
    if (this.startingNodes.size > 0) this.dirty.add(name);
  }

  /** Work left for flush: addresses to re-elect, plus addresses a joining node is still to be compared on. */
  pending(): number {
    return this.dirty.size + this.scanUnits;
  }

  /** Addresses marked for re-election (not counting joins still being compared). */
  dirtyCount(): number {
    return this.dirty.size;
  }

  result(name: string): OwnerResult | undefined {
    return this.addresses.get(name)?.result;
  }

  /** Names of the addresses a node owns now (as of the last flush). */
  ownedBy(node: string): ReadonlySet<string> {
    return this.owned.get(node) ?? new Set();
  }

  /**
   * Does at most about `limit` units of pending work — comparing a joining node on one address, re-electing
   * one address, or one hash an election needed (one election that ranks every node can overrun). Returns the addresses whose result changed; a removed address is reported with result
   * undefined.
   */
  flush(limit = Infinity): { name: string; result: OwnerResult | undefined }[] {
    const changed: { name: string; result: OwnerResult | undefined }[] = [];
    const poolAds = new Map<string, L2Advertisement[]>();
    let n = this.scan(limit);
    for (const name of this.dirty) {
      if (n++ >= limit) break;
      this.dirty.delete(name);
      const s = this.addresses.get(name);
      const before = s?.result ?? this.removedResult.get(name);
      this.removedResult.delete(name);
      if (s) s.successor = undefined;
      const hashed = this.ranks.hashes;
      const after = s ? this.elect(s, poolAds) : undefined;
      // An election that had to rank every node (a few thousand hashes) counts as that many units.
      n += this.ranks.hashes - hashed;
      this.index(name, before, after);
      if (s) {
        if (!s.result) this.elected++;
        s.result = after;
      }
      if (!sameResult(before, after) || (!s && before)) changed.push({ name, result: after });
    }
    return changed;
  }

  private readonly removedResult = new Map<string, OwnerResult>();
  /** Advertisements per pool for successorIfGone, kept while the advertisements stay the same. */
  private standbyAds = new Map<string, L2Advertisement[]>();

  /**
   * Who would own the address if its owner died now: the election on the same facts without the owner,
   * with the address unanswered (nobody answers it once its owner is dead, so a starting peer may win it,
   * as peerCandidacy decides). Undefined when it has no owner, or nobody else may announce it. The owner is
   * the last flush's; every other fact is the latest handed in. Changes nothing but the rank cache and the
   * answers kept.
   *
   * The standby plan asks this for every address twice a second while anything changes, and each answer
   * was a whole election (10,000 addresses: ~100 ms of CPU). Answers are kept while nothing can move them:
   * the address's facts (setAddress, except whether it is answered), its owner and the advertisements all
   * re-elect the address (flush forgets its answer); an answer naming a node holds only while that node's
   * facts are the same object (setNode replaces it on any change, or removes it), one naming nobody only
   * while no node changed; a node that may be a candidate (a join or any other change) forgets, through the
   * join scan, every answer it out-ranks, for nobody else ranking after the successor can take its place. So
   * a kept answer is trusted only once that scan is done and the address is not waiting to be re-elected;
   * otherwise it is elected again, as before.
   */
  successorIfGone(name: string): Candidate | undefined {
    const s = this.addresses.get(name);
    const gone = s?.result?.owner?.node;
    if (!s || gone === undefined) return undefined;
    const trusted = this.scans.size === 0 && !this.dirty.has(name);
    if (trusted && this.holds(s)) return s.successor ?? undefined;
    const next = this.elect(s, this.standbyAds, gone).owner;
    if (trusted) {
      s.successor = next ?? null;
      s.successorFor = next ? this.nodes.get(next.node) : this.nodeChanges;
    }
    return next;
  }

  /** successorIfGone's answers kept that still hold as far as node changes go (tests, benchmarks). */
  successorsKept(): number {
    let n = 0;
    for (const s of this.addresses.values()) if (this.holds(s)) n++;
    return n;
  }

  /** Every address holding a result, with its address and result (as of the last flush). */
  *results(): IterableIterator<{ readonly name: string; readonly address: IPAddress; readonly result: OwnerResult }> {
    for (const [name, s] of this.addresses) if (s.result) yield { name, address: s.input.address, result: s.result };
  }

  /**
   * Compares joining nodes with the owner of up to `limit` addresses, marking those where they win;
   * returns the work done. A Map iterator survives changes to the map: addresses added meanwhile are
   * visited too (or were marked by setAddress), deleted ones are skipped.
   */
  private scan(limit: number): number {
    let n = 0;
    for (const [node, scan] of this.scans) {
      for (;;) {
        if (n >= limit) return n;
        const next = scan.rest.next();
        if (next.done) {
          this.dropScan(node);
          break;
        }
        n++;
        this.scanUnits -= Math.max(1, scan.left) - Math.max(1, scan.left - 1);
        scan.left--;
        const [a, s] = next.value;
        if (this.dirty.has(a) || !s.result?.owner) continue;
        const f = s.input.answered ? scan.facts.answered : scan.facts.unanswered;
        if (!excludedEverywhere(f) && this.outranks(s.ip, f.name, f.draining, s.result.owner)) {
          this.dirty.add(a);
          continue;
        }
        // Where it out-ranks the successor it may be the new one (successors are elected unanswered).
        const u = scan.facts.unanswered;
        // (An answer that no longer holds may name a node that is gone: not compared.)
        if (s.successor && this.holds(s) && !excludedEverywhere(u) && this.outranks(s.ip, u.name, u.draining, s.successor)) s.successor = undefined;
      }
    }
    return n;
  }

  /**
   * Whether the address keeps a successor answer that node changes have not moved: its node's facts are
   * still the object they were (setNode replaces it on any change and deletes it with the node), or, for
   * nobody, no node changed since. (Nodes out-ranking the successor are the join scan's part.)
   */
  private holds(s: AddressState): boolean {
    const k = s.successor;
    if (k === undefined) return false;
    return k === null ? s.successorFor === this.nodeChanges : s.successorFor !== undefined && this.nodes.get(k.node) === s.successorFor;
  }

  private dropScan(node: string): void {
    const scan = this.scans.get(node);
    if (!scan) return;
    this.scans.delete(node);
    this.scanUnits -= Math.max(1, scan.left);
  }

  private index(name: string, before: OwnerResult | undefined, after: OwnerResult | undefined): void {
    if (before?.owner) {
      const set = this.owned.get(before.owner.node);
      set?.delete(name);
      if (set?.size === 0) this.owned.delete(before.owner.node);
    }
    if (after?.owner) {
      let set = this.owned.get(after.owner.node);
      if (!set) this.owned.set(after.owner.node, (set = new Set()));
      set.add(name);
    }
    if (after?.reason === 'NoEligibleNode') this.noEligible.add(name);
    else this.noEligible.delete(name);
  }

  /** `node` (with this draining flag) ranks before the current owner. */
  private outranks(ip: string, node: string, draining: boolean, owner: Candidate): boolean {
    if (node === owner.node) return true;
    if (draining !== owner.draining) return !draining;
    return this.ranks.compare(ip, node, owner.node) < 0;
  }

  private labelsKey(labels: Readonly<Record<string, string>>): string {
    let k = this.labelKeys.get(labels);
    if (k === undefined) this.labelKeys.set(labels, (k = JSON.stringify(labels)));
    return k;
  }

  private nodeLists(): { answered: NodeFacts[]; unanswered: NodeFacts[] } {
    this.lists ??= { answered: [...this.nodes.values()].map((v) => v.answered), unanswered: [...this.nodes.values()].map((v) => v.unanswered) };
    return this.lists;
  }

  /**
   * electOwner's owner, reason and message. Candidates are looked at in rank order from the address's kept
   * best-ranked nodes (RankCache): the first eligible node that is not draining wins, as nothing outside them
   * ranks before them. Only when they hold none (and some node is not among them) is every node ranked. A
   * Service with externalTrafficPolicy Local limits candidates to its endpoints' nodes: those are ranked
   * directly. When nobody is eligible, every node's reason (the message names them).
   */
  private elect(s: AddressState, poolAds: Map<string, L2Advertisement[]>, gone?: string): OwnerResult {
    const { input, ip } = s;
    // Without its owner nobody answers the address: a starting peer may win it (peerCandidacy).
    const answered = gone === undefined && input.answered;
    const poolKey = input.pool.labels ? `${input.pool.name}\0${this.labelsKey(input.pool.labels)}` : input.pool.name;
    let ads = poolAds.get(poolKey);
    if (!ads) poolAds.set(poolKey, (ads = advertisementsForPool(input.pool, this.ads)));
    const gate = addressGate(input.pool, ads, input.services);
    if (gate) return { owner: undefined, reason: gate.reason, message: gate.message };
    const local = input.services.filter((x) => x.local);
    const facts = (name: string): NodeFacts | undefined => {
      if (name === gone) return undefined;
      const v = this.nodes.get(name);
      return v && (answered ? v.answered : v.unanswered);
    };
    let best: Candidate | undefined;
    let bestRank = 0;
    const consider = (node: NodeFacts, rank: number) => {
      if (excludedEverywhere(node)) return;
      if (best && node.name !== best.node) {
        if (node.draining !== best.draining) {
          if (node.draining) return;
        } else if ((rank - bestRank || this.ranks.tieBreak(ip, node.name, best.node)) > 0) return;
      }
      const e = nodeEligibility(input.address, node, ads, local, this.subnets.lookup);
      if (!e.ok) return;
      best = { node: node.name, interface: e.interface, draining: node.draining };
      bestRank = rank;
    };
    const settled = () => best !== undefined && !best.draining;
    const first = local[0];
    if (first) {
      for (const name of new Set(first.endpoints.map((x) => x.nodeName))) {
        const node = name === undefined ? undefined : facts(name);
        if (node && !excludedEverywhere(node)) consider(node, this.ranks.rank(ip, node.name));
      }
    } else {
      const known = this.ranks.known(ip);
      for (let i = 0; i < known.names.length && !settled(); i++) {
        const node = facts(known.names[i] as string);
        if (node) consider(node, known.ranks[i] as number);
      }
      if (!settled() && !known.complete) {
        this.ranks.rankAll(ip, (name, rank) => {
          const node = facts(name);
          if (node) consider(node, rank);
        });
      }
    }
    // successorIfGone (`gone`) reads the owner only: no message, which for nobody is one check per node.
    if (best) return { owner: best, reason: undefined, message: gone === undefined ? ownerMessage(ip, best) : '' };
    if (gone !== undefined) return { owner: undefined, reason: 'NoEligibleNode', message: '' };
    const nodes = answered ? this.nodeLists().answered : this.nodeLists().unanswered;
    const excluded = new Map<string, ElectionReason>();
    for (const node of nodes) {
      const e = nodeEligibility(input.address, node, ads, local, this.subnets.lookup);
      if (!e.ok) excluded.set(node.name, e.reason);
    }
    return { owner: undefined, reason: 'NoEligibleNode', message: noEligibleNodeMessage(ip, excluded) };
  }
}
