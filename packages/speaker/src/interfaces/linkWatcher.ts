import { formatAddress, addressFromBytes, type LinkFacts } from '@herald/core';
import nl from 'netlink';
import type { Logger } from 'pino';

/**
 * The node's links and addresses through rtnetlink: a full dump at start and again (debounced) after any
 * link or address event, so the picture is never assembled from partial updates. ENOBUFS or any socket
 * error also triggers a re-dump.
 */
export class LinkWatcher {
  private socket: ReturnType<typeof nl.createRtNetlink> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private links: LinkFacts[] = [];
  private closed = false;

  constructor(private readonly o: { log: Logger; onChange: (links: LinkFacts[]) => void; debounceMs?: number }) {}

  async start(): Promise<LinkFacts[]> {
    const s = nl.createRtNetlink();
    this.socket = s;
    for (const group of ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'] as const) s.socket.addMembership(nl.rt.MulticastGroups[group]);
    s.socket.on('message', () => this.schedule());
    s.socket.on('error', (e: Error) => {
      this.o.log.warn({ event: 'netlinkError', err: e.message }, 'netlink socket error; re-reading links');
      this.schedule();
    });
    this.links = await this.dump();
    return this.links;
  }

  current(): LinkFacts[] {
    return this.links;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.socket.close();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.dump()
        .then((links) => {
          if (this.closed) return;
          const changed = JSON.stringify(links) !== JSON.stringify(this.links);
          this.links = links;
          if (changed) this.o.onChange(links);
        })
        .catch((e: Error) => this.o.log.warn({ event: 'netlinkError', err: e.message }, 'could not read links'));
    }, this.o.debounceMs ?? 10);
  }

  private async dump(): Promise<LinkFacts[]> {
    const s = this.socket as ReturnType<typeof nl.createRtNetlink>;
    const [links, addrs] = await Promise.all([s.getLinks(), s.getAddresses()]);
    return links
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
