import { formatAddress, standbyPlan, type AnswerLink, type IncrementalElection, type IPAddress, type OwnerResult, type ProvisionalAddress, type StandbyAddress } from '@herald/core';
import type { Logger } from 'pino';
import type { MembershipSource } from './membershipSource.js';

/** Where the plan goes and the releases: the answering thread (AnswerPort). */
export interface StandbyPort {
  standby(plan: ReadonlyMap<string, readonly StandbyAddress[]>): void;
  release(addresses: readonly ProvisionalAddress[]): void;
}

export interface StandbyPlannerOptions {
  readonly node: string;
  readonly election: IncrementalElection;
  readonly membership: MembershipSource;
  readonly port: StandbyPort;
  /** The links an address can be answered on now, by interface name (index and MAC, as the LinkWatcher reads them). */
  readonly links: () => ReadonlyMap<string, AnswerLink>;
  /** The interface this node's election answers an address on now (as owner), if any. */
  readonly answeredOn: (address: IPAddress) => string | undefined;
  readonly log: Logger;
  /** A plan is worked out this long after the round that asked for it, once for a burst of rounds. Default 50 ms. */
  readonly delayMs?: number;
  /** At most one plan is started per this many ms (default 500): during a hand-over every round asks for one. */
  readonly everyMs?: number;
}

/**
 * Addresses planned per turn of the event loop: each one an election without its owner (~10 µs) unless the
 * election kept the answer from the last plan and nothing moved it since (~1 µs; IncrementalElection.successorIfGone).
 */
const SLICE = 500;

/**
 * The main thread's side of the takeover at a peer's death (issue 11): keeps the answering thread's standby
 * plan current (standbyPlan, worked out after election rounds that changed something), and once a round has
 * seen a death the answering thread acted on, releases whatever of it the election did not give this node.
 * The election still decides: the answering thread only answered first.
 */
export class StandbyPlanner {
  private timer: NodeJS.Timeout | undefined;
  private slice: NodeJS.Immediate | undefined;
  /** The plan being worked out: the rest of the addresses, what is planned so far. */
  private work: {
    rest: Iterator<{ readonly name: string; readonly address: IPAddress; readonly result: OwnerResult }>;
    links: ReadonlyMap<string, AnswerLink>;
    byPeer: Map<string, StandbyAddress[]>;
  } | undefined;
  /** Asked again while a plan was being worked out. */
  private again = false;
  private startedAt = -Infinity;
  private sent = '';
  /** Taken over at a death, not yet judged by a complete election round. */
  private pending: ProvisionalAddress[] = [];

  constructor(private readonly o: StandbyPlannerOptions) {}

  /**
   * A round changed results or facts: the plan is worked out again soon — after delayMs, at most once per
   * everyMs, in slices of SLICE addresses per turn (at 10,000 addresses and 100 nodes a whole plan is ~100 ms of
   * CPU with no answer kept, ~10-25 ms after one peer left or joined: bench/speaker/electionLoop.ts).
   */
  schedule(): void {
    if (this.work) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = Math.max(this.o.delayMs ?? 50, this.startedAt + (this.o.everyMs ?? 500) - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startedAt = performance.now();
      this.work = { rest: this.o.election.results(), links: this.o.links(), byPeer: new Map() };
      this.plan();
    }, wait);
  }

  /** The answering thread took these over at `peer`'s death. */
  tookOver(peer: string, addresses: readonly ProvisionalAddress[]): void {
    this.pending.push(...addresses);
    this.o.log.debug({ event: 'standbyTookOver', peer, addresses: addresses.map((a) => formatAddress(a.address)) }, 'the answering thread took addresses over at a death');
  }

  /**
   * An election round ended (after its changes went to the announcer). Once no election work is left, the
   * death is in its results: an address it gives this node on the same link stays (the announcer's add
   * confirms it there), any other is released.
   */
  afterRound(workLeft: boolean): void {
    if (workLeft || this.pending.length === 0) return;
    const links = this.o.links();
    const release = this.pending.filter((a) => {
      const ifname = this.o.answeredOn(a.address);
      return ifname === undefined || links.get(ifname)?.ifindex !== a.ifindex;
    });
    this.pending = [];
    if (release.length === 0) return;
    this.o.log.info({ event: 'standbyRelease', addresses: release.map((a) => formatAddress(a.address)) }, 'the election did not give this node addresses taken over at a death: released');
    this.o.port.release(release);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.slice) clearImmediate(this.slice);
    this.slice = undefined;
    this.work = undefined;
  }

  /** One slice of the plan; the last one sends it if it changed. */
  private plan(): void {
    this.slice = undefined;
    const work = this.work;
    if (!work) return;
    const peers = this.o.membership.peers();
    const { election } = this.o;
    const chunk: { readonly name: string; readonly address: IPAddress; readonly result: OwnerResult }[] = [];
    let done = false;
    while (chunk.length < SLICE) {
      const next = work.rest.next();
      if (next.done) {
        done = true;
        break;
      }
      chunk.push(next.value);
    }
    for (const s of standbyPlan({ self: this.o.node, results: chunk, successorIfGone: (n) => election.successorIfGone(n), alive: (n) => peers.get(n)?.alive === true })) {
      const link = work.links.get(s.interface);
      // A link the LinkWatcher does not show (gone meanwhile): the death takes the usual path.
      if (!link) continue;
      let list = work.byPeer.get(s.peer);
      if (!list) work.byPeer.set(s.peer, (list = []));
      list.push({ link, address: s.address });
    }
    if (!done) {
      this.slice = setImmediate(() => this.plan());
      return;
    }
    this.work = undefined;
    let text = '';
    for (const [peer, list] of work.byPeer) text += `${peer}:${list.map((a) => `${a.link.ifname}/${a.link.ifindex}/${a.link.mac}/${formatAddress(a.address)}`).join(',')};`;
    if (text !== this.sent) {
      this.sent = text;
      this.o.port.standby(work.byPeer);
    }
    if (this.again) {
      this.again = false;
      this.schedule();
    }
  }
}
