import { excludedBy, formatAddress, addressFromBytes, type InterfacePattern, type LinkFacts } from '@herald/core';
import nl from 'netlink';
import type { Logger } from 'pino';
import { NetlinkEvents } from '../native/index.js';

/** Requested receive buffer of the event socket; see start(). */
const EVENT_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * The node's links and addresses through rtnetlink: a full dump at start and again (debounced) after any
 * link or address event, so the picture is never assembled from partial updates. ENOBUFS or any socket
 * error also triggers a re-dump. Events come from herald_net's NetlinkEvents: the `netlink` npm addon
 * aborted the process when its event socket overflowed (ENOBUFS; its error path built an exception from
 * a NULL syscall name), so that library is used for dumps only. Links matching an exclude pattern (pod veths, CNI bridges and tunnels)
 * are dropped from every dump, so creating and deleting them never reports a change.
 */
export class LinkWatcher {
  /** Dumps only: a multicast event arriving in the middle of a multipart dump breaks the library's parser. */
  private dumper: ReturnType<typeof nl.createRtNetlink> | undefined;
  /** Events only: they just trigger a re-dump. */
  private events: NetlinkEvents | undefined;
  private timer: NodeJS.Timeout | undefined;
  private links: LinkFacts[] = [];
  private closed = false;

  constructor(private readonly o: { log: Logger; onChange: (links: LinkFacts[]) => void; debounceMs?: number; exclude?: readonly InterfacePattern[]; eventBufferBytes?: number }) {}

  async start(): Promise<LinkFacts[]> {
    this.dumper = nl.createRtNetlink();
    this.dumper.socket.on('error', (e: Error) => this.o.log.warn({ event: 'netlinkError', err: e.message }, 'netlink dump socket error'));
    // Pod churn on a busy node produces bursts of link/address events; a large buffer makes overflow rare
    // (the kernel caps it at 2 × net.core.rmem_max). Overflow is handled anyway: ENOBUFS, then a re-dump.
    const events = new NetlinkEvents(this.o.eventBufferBytes ?? EVENT_BUFFER_BYTES);
    this.events = events;
    this.o.log.debug({ event: 'netlinkBuffer', bytes: events.receiveBufferBytes }, 'netlink event socket buffer');
    events.start(
      () => this.schedule(),
      (e) => {
        if (e.code === 'ENOBUFS') {
          // The kernel dropped events: only a full re-dump recovers the picture.
          this.o.log.warn({ event: 'netlinkOverflow', code: e.code, bytes: events.receiveBufferBytes }, 'netlink event overflow; re-reading links');
        } else {
          this.o.log.warn({ event: 'netlinkError', code: e.code, err: e.message }, 'netlink event socket error; re-reading links');
        }
        this.schedule();
      },
    );
    this.links = await this.dump();
    return this.links;
  }

  current(): LinkFacts[] {
    return this.links;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.dumper?.socket.close();
    this.events?.close();
  }

  private dumping = false;
  private again = false;

  private schedule(): void {
    if (this.closed) return;
    if (this.dumping) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.dumping = true;
      this.dump()
        .then((links) => {
          if (this.closed) return;
          const changed = JSON.stringify(links) !== JSON.stringify(this.links);
          this.links = links;
          if (changed) {
            this.o.log.debug({ event: 'linksChanged', links: links.length }, 'links or addresses changed');
            this.o.onChange(links);
          }
        })
        .catch((e: Error) => this.o.log.warn({ event: 'netlinkError', err: e.message }, 'could not read links'))
        .finally(() => {
          this.dumping = false;
          if (this.again) {
            this.again = false;
            this.schedule();
          }
        });
    }, this.o.debounceMs ?? 10);
  }

  private async dump(): Promise<LinkFacts[]> {
    const s = this.dumper as ReturnType<typeof nl.createRtNetlink>;
    // One dump at a time on the socket: concurrent multipart replies interleave.
    const links = await s.getLinks();
    const addrs = await s.getAddresses();
    const exclude = this.o.exclude ?? [];
    return links
      .filter((l) => excludedBy(String(l.attrs.ifname ?? ''), exclude) === undefined)
      .map((l) => {
        const index = l.data.index as number;
        const flags = (l.data.flags ?? {}) as Record<string, boolean>;
        const mac = [...((l.attrs.address as Buffer | undefined) ?? [])].map((b) => b.toString(16).padStart(2, '0')).join(':');
        const subnets = addrs
          .filter((a) => a.data.index === index && a.attrs.address && (a.data.scope ?? 0) === 0)
          .map((a) => `${formatAddress(addressFromBytes(new Uint8Array(a.attrs.address as Buffer)))}/${a.data.prefixlen}`);
        return {
          name: String(l.attrs.ifname ?? ''),
          index,
          type: String(l.data.type ?? ''),
          up: !!flags.up,
          carrier: l.attrs.carrier === 1 || (l.attrs.carrier === undefined && !!flags.lowerUp),
          enslaved: l.attrs.master !== undefined,
          noArp: !!flags.noarp,
          mac,
          subnets,
        };
      })
      .sort((a, b) => a.index - b.index);
  }
}
