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

  set(desired: readonly Announcement[]): { started: Announcement[]; stopped: Announcement[] } {
    const want = new Map(desired.map((d) => [key(d.address), d]));
    const started: Announcement[] = [];
    const stopped: Announcement[] = [];
    for (const [k, a] of this.active) {
      const d = want.get(k);
      if (!d || d.interface !== a.announcement.interface) {
        this.stop(k);
        stopped.push(a.announcement);
      }
    }
    for (const [k, d] of want) {
      if (this.active.has(k)) continue;
      if (this.start(k, d)) started.push(d);
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
      this.o.log.error({ event: 'announceFailed', address: formatAddress(d.address), interface: d.interface, code: err.code, err: err.message }, 'cannot announce on this interface');
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
