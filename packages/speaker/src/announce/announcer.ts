import { formatAddress, type IPAddress, type MacAddress } from '@herald/core';
import type { Logger } from 'pino';
import type { SpeakerMetrics } from '../metrics.js';
import type { AnswerSink } from './answerPort.js';
import { InterfaceResponder, type Claim, type SocketFactory } from './interfaceResponder.js';

export interface Announcement {
  readonly address: IPAddress;
  readonly interface: string;
}

export interface AnnouncerOptions {
  sockets: SocketFactory;
  log: Logger;
  metrics: SpeakerMetrics;
  /** Bursts after the first one, one per `burstIntervalMs` (DESIGN: every 1 s for 5 s). */
  bursts?: number;
  burstIntervalMs?: number;
  /** Optional periodic re-announcement after the bursts (0 = off), for switches with short FDB ageing. */
  refreshIntervalMs?: number;
  /** Called right after the first gratuitous packet for an address went out. */
  onAnnounced: (a: Announcement & { mac: MacAddress; at: Date }) => void;
  /** Called when an address is no longer answered for. */
  onStopped?: (a: Announcement) => void;
  /** Start/stop operations applied per event-loop turn, at most (joining a multicast group is a syscall). */
  chunk?: number;
  /**
   * Longest stretch of start/stop work in one turn of the event loop; the rest continues on the next turn,
   * so heartbeats and replies run in between. Default 10 ms: each start or stop also logs, counts and
   * tells the election, which on a busy host costs up to a millisecond.
   */
  sliceMs?: number;
  /** Monotonic clock in ms (default performance.now): tests drive the slices with it. */
  now?: () => number;
  onClaim: (claim: Claim) => void;
  /**
   * The current ifindex of a link name (from the LinkWatcher). A link deleted and re-created under the
   * same name gets a new index; a responder bound to the old one would answer nothing, so it is
   * replaced. Without it, responders are reused by name.
   */
  ifindexOf?: (ifname: string) => number | undefined;
  /** Called when an address could not be started (it is not announced; a retry is scheduled). */
  onFailed?: (f: AnnounceFailure) => void;
  /** Distinct solicited-node groups accepted one by one per interface before all-multicast (NDP_EXACT_GROUPS_MAX). */
  ndpExactGroupsMax?: number;
  /**
   * Send MLD reports for the solicited-node groups of announced IPv6 addresses (default true), so that
   * MLD-snooping switches forward neighbour solicitations for them. Off only to show what happens without.
   */
  mldReports?: boolean;
  /** First retry after a failed start; doubles up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Requests are read and answered on another thread (AnswerPort): the responders tell it every change of
   * what is owned and read nothing themselves. Without it, answering runs on this thread.
   */
  answers?: AnswerSink;
}

/** An address this node should announce but cannot yet (e.g. its interface refused a socket). */
export interface AnnounceFailure {
  readonly announcement: Announcement;
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
  readonly since: Date;
  readonly nextRetryMs: number;
}

interface Active {
  readonly announcement: Announcement;
  /** The address as text, formatted once (heartbeats publish the list on every change). */
  readonly text: string;
  readonly ifindex: number;
  timer: NodeJS.Timeout | undefined;
  burstsLeft: number;
  /** Handed over, awaiting the successor: answered, but no more gratuitous bursts (quietBursts). */
  quiet: boolean;
  /** The first gratuitous burst went out (or was skipped, quiet): the answering side answers it. */
  started: boolean;
}

interface Failing {
  failure: AnnounceFailure;
  timer: NodeJS.Timeout | undefined;
}

const key = (a: IPAddress) => `${a.family}:${a.value}`;

/**
 * Holds the set of addresses this node announces. `set()` takes the whole desired set and applies the
 * difference: a new address is answered for at once and announced with gratuitous ARP / unsolicited NA
 * (immediately, then on the burst cadence); a removed address stops being answered immediately.
 */
export class Announcer {
  /** By ifindex: a name can be reused by a new link. */
  private readonly responders = new Map<number, InterfaceResponder>();
  private readonly active = new Map<string, Active>();
  private readonly failing = new Map<string, Failing>();
  /** Whether each link (by ifindex) was up with carrier at the last linksChanged(). */
  private readonly linkUp = new Map<number, boolean>();
  private announcedV4 = 0;
  /**
   * Work left for later turns, by address key in the order it was asked for: the announcement to start
   * (or restart on another interface), or null to stop. A later change of the same address replaces it.
   */
  private readonly pending = new Map<string, Announcement | null>();
  private continuation: NodeJS.Immediate | undefined;
  /** Addresses whose next gratuitous burst is due (sendBursts works them off in slices). */
  private readonly burstsDue = new Set<string>();
  private burstContinuation: NodeJS.Immediate | undefined;

  constructor(private readonly o: AnnouncerOptions) {}

  announcing(): Announcement[] {
    return [...this.active.values()].map((a) => a.announcement);
  }

  isAnnouncing(address: IPAddress): boolean {
    return this.active.has(key(address));
  }

  /** The announced addresses as text (formatAddress), without formatting them again. */
  announcedTexts(): string[] {
    const out: string[] = [];
    for (const a of this.active.values()) out.push(a.text);
    return out;
  }

  /** What this node answers for `address` now, if anything (O(1), unlike announcing()). */
  announcement(address: IPAddress): Announcement | undefined {
    return this.active.get(key(address))?.announcement;
  }

  macOf(ifname: string): MacAddress | undefined {
    return this.responderByName(ifname)?.mac;
  }

  /** Addresses this node should announce but could not start; none of them is reported announced. */
  failures(): AnnounceFailure[] {
    return [...this.failing.values()].map((f) => f.failure);
  }

  private responderByName(ifname: string): InterfaceResponder | undefined {
    const index = this.o.ifindexOf?.(ifname);
    if (index !== undefined) return this.responders.get(index);
    return [...this.responders.values()].find((r) => r.ifname === ifname);
  }

  /** The link an announcement is on has been re-created since its responder was bound. */
  private moved(a: Active): boolean {
    const index = this.o.ifindexOf?.(a.announcement.interface);
    return index !== undefined && index !== a.ifindex;
  }

  /**
   * Makes the announced set equal `desired`. Work is applied in slices, one per event-loop turn, so that a
   * node taking over thousands of addresses (each IPv6 one joins a multicast group) keeps its heartbeats
   * and replies flowing; a later call replaces whatever is still queued. Returns what the first slice did;
   * `onAnnounced` and `onStopped` report every change. Costs O(desired + announced): for a change of a few
   * addresses out of many, `update` costs only what changed.
   */
  set(desired: readonly Announcement[]): { started: Announcement[]; stopped: Announcement[] } {
    const want = new Map(desired.map((d) => [key(d.address), d]));
    this.pending.clear();
    for (const k of this.active.keys()) if (!want.has(k)) this.pending.set(k, null);
    for (const k of [...this.failing.keys()]) if (!want.has(k)) this.cancelRetry(k);
    for (const [k, d] of want) this.want(k, d);
    return this.drain();
  }

  /**
   * Changes what is answered for the listed addresses only (`desired` undefined: stop answering it);
   * every other address keeps what it has. Same slicing and reporting as `set`, at the cost of the changes.
   */
  update(changes: Iterable<{ readonly address: IPAddress; readonly desired: Announcement | undefined }>): { started: Announcement[]; stopped: Announcement[] } {
    for (const c of changes) {
      const k = key(c.address);
      if (c.desired) this.want(k, c.desired);
      else {
        this.cancelRetry(k);
        if (this.active.has(k)) this.pending.set(k, null);
        else this.pending.delete(k);
      }
    }
    return this.drain();
  }

  /** Queues what it takes for `k` to be answered as `d` (nothing when it already is). */
  private want(k: string, d: Announcement): void {
    const f = this.failing.get(k);
    if (f && f.failure.announcement.interface !== d.interface) this.cancelRetry(k);
    const a = this.active.get(k);
    // A failing address is retried on its own backoff, not on every recompute.
    if (this.failing.has(k) || (a && a.announcement.interface === d.interface && !this.moved(a))) this.pending.delete(k);
    else this.pending.set(k, d);
  }

  private drain(): { started: Announcement[]; stopped: Announcement[] } {
    const started: Announcement[] = [];
    const stopped: Announcement[] = [];
    const chunk = this.o.chunk ?? 200;
    const now = this.o.now ?? (() => performance.now());
    const t0 = now();
    let n = 0;
    for (const [k, d] of this.pending) {
      if (n >= chunk || (n > 0 && now() - t0 >= (this.o.sliceMs ?? 10))) break;
      n++;
      this.pending.delete(k);
      const a = this.active.get(k);
      // A stop, or a start on another interface (or a re-created link): the old answer goes first.
      if (a && (d === null || d.interface !== a.announcement.interface || this.moved(a))) {
        this.stop(k);
        stopped.push(a.announcement);
        this.o.onStopped?.(a.announcement);
      }
      if (d !== null && !this.active.has(k) && this.start(k, d)) started.push(d);
    }
    if (this.pending.size > 0) {
      this.continuation ??= setImmediate(() => {
        this.continuation = undefined;
        this.drain();
      });
      return { started, stopped };
    }
    this.closeIdleResponders();
    this.countAnnounced();
    return { started, stopped };
  }

  /** Counted as addresses start and stop: the gauge is set after every slice, which must not cost O(announced). */
  private countAnnounced(): void {
    this.o.metrics.announced.set({ family: 'IPv4' }, this.announcedV4);
    this.o.metrics.announced.set({ family: 'IPv6' }, this.active.size - this.announcedV4);
  }

  private closeIdleResponders(): void {
    for (const [index, r] of this.responders) {
      if (r.size === 0) {
        r.close();
        this.responders.delete(index);
      }
    }
  }

  /**
   * The node's links as the LinkWatcher last read them. A responder whose link comes back up (carrier
   * regained) sends its MLD reports again: switches may forget a port's groups while it is down.
   */
  linksChanged(links: readonly { index: number; up: boolean; carrier: boolean }[]): void {
    for (const l of links) {
      const up = l.up && l.carrier;
      if (this.linkUp.get(l.index) === false && up) this.responders.get(l.index)?.linkUp();
      this.linkUp.set(l.index, up);
    }
  }

  /**
   * An address this node hands over (make-before-break) stays answered but sends no more gratuitous bursts
   * (`quiet`); one it owns again sends them afresh. An old owner's bursts, still due from its own take-over
   * and late on a busy main thread, claimed the address back from the successor on the wire: every client
   * went back to it, and the successor counted each burst as a conflict (5,000 at 10,000 addresses).
   */
  quietBursts(address: IPAddress, quiet: boolean): void {
    const k = key(address);
    const a = this.active.get(k);
    if (!a || a.quiet === quiet) return;
    a.quiet = quiet;
    clearTimeout(a.timer);
    a.timer = undefined;
    this.burstsDue.delete(k);
    // Owned again before its first burst: that burst, once the answering side answers, starts the cadence.
    if (quiet || !a.started) return;
    // As at a start: one burst now, then `bursts` more on the cadence.
    a.burstsLeft = (this.o.bursts ?? 5) + 1;
    this.burstDue(k, a);
  }

  /** Sends an extra burst for an address now (after a conflict, to win the neighbours back). */
  reannounce(address: IPAddress): void {
    const a = this.active.get(key(address));
    if (a) this.responders.get(a.ifindex)?.announce(address);
  }

  close(): void {
    this.pending.clear();
    if (this.continuation) clearImmediate(this.continuation);
    this.continuation = undefined;
    if (this.burstContinuation) clearImmediate(this.burstContinuation);
    this.burstContinuation = undefined;
    for (const k of [...this.active.keys()]) this.stop(k);
    for (const k of [...this.failing.keys()]) this.cancelRetry(k);
    for (const r of this.responders.values()) r.close();
    this.responders.clear();
  }

  private responder(ifname: string): InterfaceResponder {
    const existing = this.responderByName(ifname);
    if (existing) return existing;
    const r = new InterfaceResponder(ifname, {
      sockets: this.o.sockets, log: this.o.log, metrics: this.o.metrics, onClaim: this.o.onClaim,
      ...(this.o.ndpExactGroupsMax === undefined ? {} : { ndpExactGroupsMax: this.o.ndpExactGroupsMax }),
      ...(this.o.mldReports === undefined ? {} : { mldReports: this.o.mldReports }),
      ...(this.o.answers ? { answers: this.o.answers } : {}),
    });
    const stale = this.responders.get(r.ifindex);
    if (stale && stale !== r) stale.close();
    this.responders.set(r.ifindex, r);
    return r;
  }

  private start(k: string, d: Announcement): boolean {
    let r: InterfaceResponder;
    try {
      r = this.responder(d.interface);
      r.add(d.address);
    } catch (e) {
      this.failed(k, d, e as Error & { code?: string });
      this.closeIdleResponders();
      return false;
    }
    const retried = this.failing.get(k);
    if (retried) {
      this.cancelRetry(k);
      this.o.log.info({ event: 'announceRecovered', address: formatAddress(d.address), interface: d.interface, attempts: retried.failure.attempts }, 'announcing after earlier failures');
    }
    const entry: Active = { announcement: d, text: formatAddress(d.address), ifindex: r.ifindex, timer: undefined, burstsLeft: this.o.bursts ?? 5, quiet: false, started: false };
    this.active.set(k, entry);
    if (d.address.family === 4) this.announcedV4++;
    const announce = () => {
      if (this.active.get(k) !== entry) return;
      entry.started = true;
      // Handed over before its first burst: answered, but not claimed (it would pull clients back).
      if (!entry.quiet) r.announce(d.address);
      this.o.onAnnounced({ ...d, mac: r.mac, at: new Date() });
      clearTimeout(entry.timer);
      if (!entry.quiet) entry.timer = setTimeout(() => this.burstDue(k, entry), this.o.burstIntervalMs ?? 1_000);
    };
    // Make before break: with answering on another thread, the gratuitous packets, the status and the
    // heartbeats' announcing list (which make the previous owner stop) wait until that thread answers.
    if (this.o.answers) this.o.answers.whenApplied(announce);
    else announce();
    return true;
  }

  /**
   * An address's next burst is due. Sent from a sliced queue, not from its timer: a node that took over
   * thousands of addresses within a second has their bursts due together, and a timer that sends each
   * would make one long timers phase (150 ms of sends at 750 addresses on a busy host, every second for 5 s).
   */
  private burstDue(k: string, entry: Active): void {
    entry.timer = undefined;
    if (this.active.get(k) !== entry) return;
    this.burstsDue.add(k);
    this.burstContinuation ??= setImmediate(() => this.sendBursts());
  }

  private sendBursts(): void {
    this.burstContinuation = undefined;
    const now = this.o.now ?? (() => performance.now());
    const t0 = now();
    let n = 0;
    for (const k of this.burstsDue) {
      if (n > 0 && now() - t0 >= (this.o.sliceMs ?? 10)) break;
      n++;
      this.burstsDue.delete(k);
      const a = this.active.get(k);
      if (!a || a.quiet) continue;
      this.responders.get(a.ifindex)?.announce(a.announcement.address);
      a.burstsLeft--;
      const refresh = this.o.refreshIntervalMs ?? 0;
      const next = a.burstsLeft > 0 ? (this.o.burstIntervalMs ?? 1_000) : refresh;
      if (next > 0) a.timer = setTimeout(() => this.burstDue(k, a), next);
    }
    if (this.burstsDue.size > 0) this.burstContinuation = setImmediate(() => this.sendBursts());
  }

  private stop(k: string): void {
    const a = this.active.get(k);
    if (!a) return;
    clearTimeout(a.timer);
    this.burstsDue.delete(k);
    this.active.delete(k);
    if (a.announcement.address.family === 4) this.announcedV4--;
    this.responders.get(a.ifindex)?.remove(a.announcement.address);
  }

  /** Records a failed start: logged, counted, surfaced through failures()/onFailed, retried with backoff. */
  private failed(k: string, d: Announcement, err: Error & { code?: string }): void {
    const code = err.code ?? 'unknown';
    const before = this.failing.get(k);
    const attempts = (before?.failure.attempts ?? 0) + 1;
    const base = this.o.retryBaseMs ?? 250;
    const nextRetryMs = Math.min(this.o.retryMaxMs ?? 30_000, base * 2 ** (attempts - 1));
    // Socket option memory also holds each socket's BPF filter: ENOMEM opening one means it ran out.
    const hint = code === 'ENOMEM' ? '; the kernel refused socket option memory (net.core.optmem_max): raise that sysctl on the node' : '';
    const failure: AnnounceFailure = { announcement: d, code, message: `${err.message}${hint}`, attempts, since: before?.failure.since ?? new Date(), nextRetryMs };
    const fields = { event: 'announceFailed', address: formatAddress(d.address), interface: d.interface, code, attempts, retryInMs: nextRetryMs, err: failure.message };
    // The first failure is an error; repeats are debug so a node stuck at ENOMEM does not flood its log.
    if (attempts === 1) this.o.log.error(fields, 'cannot announce on this interface; retrying with backoff');
    else this.o.log.debug(fields, 'announce retry failed');
    this.o.metrics.announceFailures.inc({ family: d.address.family === 4 ? 'IPv4' : 'IPv6', code });
    clearTimeout(before?.timer);
    const entry: Failing = { failure, timer: undefined };
    entry.timer = setTimeout(() => {
      if (this.failing.get(k) !== entry) return;
      entry.timer = undefined;
      if (!this.active.has(k) && this.start(k, d)) this.countAnnounced();
    }, nextRetryMs);
    this.failing.set(k, entry);
    this.o.metrics.announceFailing.set(this.failing.size);
    this.o.onFailed?.(failure);
  }

  private cancelRetry(k: string): void {
    const f = this.failing.get(k);
    if (!f) return;
    clearTimeout(f.timer);
    this.failing.delete(k);
    this.o.metrics.announceFailing.set(this.failing.size);
  }
}
