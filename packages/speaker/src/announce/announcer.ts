import { formatAddress, type IPAddress, type MacAddress } from '@herald/core';
import type { Logger } from 'pino';
import type { SpeakerMetrics } from '../metrics.js';
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
  /** Start/stop operations applied per event-loop turn (joining a multicast group is a syscall). */
  chunk?: number;
  onClaim: (claim: Claim) => void;
}

interface Active {
  readonly announcement: Announcement;
  timer: NodeJS.Timeout | undefined;
  burstsLeft: number;
}

const key = (a: IPAddress) => `${a.family}:${a.value}`;

/**
 * Holds the set of addresses this node announces. `set()` takes the whole desired set and applies the
 * difference: a new address is answered for at once and announced with gratuitous ARP / unsolicited NA
 * (immediately, then on the burst cadence); a removed address stops being answered immediately.
 */
export class Announcer {
  private readonly responders = new Map<string, InterfaceResponder>();
  private readonly active = new Map<string, Active>();
  private queue: ({ kind: 'stop'; key: string } | { kind: 'start'; key: string; d: Announcement })[] = [];
  private continuation: NodeJS.Immediate | undefined;

  constructor(private readonly o: AnnouncerOptions) {}

  announcing(): Announcement[] {
    return [...this.active.values()].map((a) => a.announcement);
  }

  isAnnouncing(address: IPAddress): boolean {
    return this.active.has(key(address));
  }

  macOf(ifname: string): MacAddress | undefined {
    return this.responders.get(ifname)?.mac;
  }

  /**
   * Makes the announced set equal `desired`. Work is applied in chunks, one per event-loop turn, so that a
   * node taking over thousands of addresses (each IPv6 one joins a multicast group) keeps its heartbeats
   * and replies flowing; a later call replaces whatever is still queued. Returns what the first chunk did;
   * `onAnnounced` and `onStopped` report every change.
   */
  set(desired: readonly Announcement[]): { started: Announcement[]; stopped: Announcement[] } {
    const want = new Map(desired.map((d) => [key(d.address), d]));
    this.queue = [];
    for (const [k, a] of this.active) {
      const d = want.get(k);
      if (!d || d.interface !== a.announcement.interface) this.queue.push({ kind: 'stop', key: k });
    }
    for (const [k, d] of want) {
      const a = this.active.get(k);
      if (!a || a.announcement.interface !== d.interface) this.queue.push({ kind: 'start', key: k, d });
    }
    return this.drain();
  }

  private drain(): { started: Announcement[]; stopped: Announcement[] } {
    const started: Announcement[] = [];
    const stopped: Announcement[] = [];
    const chunk = this.o.chunk ?? 200;
    for (let n = 0; n < chunk && this.queue.length > 0; n++) {
      const op = this.queue.shift()!;
      if (op.kind === 'stop') {
        const a = this.active.get(op.key);
        if (!a) continue;
        this.stop(op.key);
        stopped.push(a.announcement);
        this.o.onStopped?.(a.announcement);
      } else if (!this.active.has(op.key) && this.start(op.key, op.d)) {
        started.push(op.d);
      }
    }
    if (this.queue.length > 0) {
      this.continuation ??= setImmediate(() => {
        this.continuation = undefined;
        this.drain();
      });
      return { started, stopped };
    }
    for (const [name, r] of this.responders) {
      if (r.size === 0) {
        r.close();
        this.responders.delete(name);
      }
    }
    this.o.metrics.announced.set({ family: 'IPv4' }, [...this.active.values()].filter((a) => a.announcement.address.family === 4).length);
    this.o.metrics.announced.set({ family: 'IPv6' }, [...this.active.values()].filter((a) => a.announcement.address.family === 6).length);
    return { started, stopped };
  }

  /** Sends an extra burst for an address now (after a conflict, to win the neighbours back). */
  reannounce(address: IPAddress): void {
    const a = this.active.get(key(address));
    if (a) this.responders.get(a.announcement.interface)?.announce(address);
  }

  close(): void {
    this.queue = [];
    if (this.continuation) clearImmediate(this.continuation);
    this.continuation = undefined;
    for (const k of [...this.active.keys()]) this.stop(k);
    for (const r of this.responders.values()) r.close();
    this.responders.clear();
  }

  private responder(ifname: string): InterfaceResponder {
    let r = this.responders.get(ifname);
    if (!r) {
      r = new InterfaceResponder(ifname, { sockets: this.o.sockets, log: this.o.log, metrics: this.o.metrics, onClaim: this.o.onClaim });
      this.responders.set(ifname, r);
    }
    return r;
  }

  private start(k: string, d: Announcement): boolean {
    let r: InterfaceResponder;
    try {
      r = this.responder(d.interface);
      r.add(d.address);
    } catch (e) {
      const err = e as Error & { code?: string };
      const hint = err.code === 'ENOMEM' && d.address.family === 6 ? '; each IPv6 address joins a multicast group charged to net.core.optmem_max: raise that sysctl on the node' : '';
      this.o.log.error({ event: 'announceFailed', address: formatAddress(d.address), interface: d.interface, code: err.code, err: `${err.message}${hint}` }, 'cannot announce on this interface');
      this.o.metrics.sendErrors.inc({ code: err.code ?? 'unknown' });
      return false;
    }
    const entry: Active = { announcement: d, timer: undefined, burstsLeft: this.o.bursts ?? 5 };
    this.active.set(k, entry);
    r.announce(d.address);
    this.o.onAnnounced({ ...d, mac: r.mac, at: new Date() });
    const every = this.o.burstIntervalMs ?? 1_000;
    const tick = () => {
      if (!this.active.has(k)) return;
      r.announce(d.address);
      entry.burstsLeft--;
      const refresh = this.o.refreshIntervalMs ?? 0;
      if (entry.burstsLeft > 0) entry.timer = setTimeout(tick, every);
      else if (refresh > 0) entry.timer = setTimeout(tick, refresh);
      else entry.timer = undefined;
    };
    entry.timer = setTimeout(tick, every);
    return true;
  }

  private stop(k: string): void {
    const a = this.active.get(k);
    if (!a) return;
    clearTimeout(a.timer);
    this.active.delete(k);
    this.responders.get(a.announcement.interface)?.remove(a.announcement.address);
  }
}
