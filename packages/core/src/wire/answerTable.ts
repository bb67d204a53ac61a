import type { IPAddress } from '../ip/address.js';
import type { MacAddress } from './macAddress.js';

/** A link the answering side reads requests on: bound by index, since a name can be reused by a new link. */
export interface AnswerLink {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: MacAddress;
}

/**
 * One change of what is answered, as the announcer (the decider, on the main thread) tells the answering
 * side: start answering on a link, answer or stop answering one address there, stop answering on a link.
 */
export type AnswerChange =
  | { readonly op: 'open'; readonly link: AnswerLink }
  | { readonly op: 'add'; readonly ifindex: number; readonly address: IPAddress }
  | { readonly op: 'remove'; readonly ifindex: number; readonly address: IPAddress }
  | { readonly op: 'close'; readonly ifindex: number };

/**
 * What the adapter holding the sockets must do after a change: open or close the ARP socket of a link
 * (with it), open or close its IPv6 (NDP) sockets (with the first and last IPv6 address), or nothing.
 */
export type AnswerEffect = 'OpenLink' | 'CloseLink' | 'OpenIPv6' | 'CloseIPv6';

interface LinkEntry {
  readonly link: AnswerLink;
  readonly owned: Set<string>;
  ipv6: number;
}

const key = (a: IPAddress) => `${a.family}:${a.value}`;

/**
 * The addresses answered for, per link, on the side that reads ARP/NDP (the answering thread): it only
 * applies the announcer's changes in order and says which sockets that opens or closes. A change for a link
 * not open is ignored (the announcer opens a link before its first address and closes it after the last),
 * and an address added twice or removed when absent changes nothing.
 */
export class AnswerTable {
  private readonly links = new Map<number, LinkEntry>();

  apply(c: AnswerChange): AnswerEffect[] {
    switch (c.op) {
      case 'open': {
        const before = this.links.get(c.link.ifindex);
        if (before && before.link.ifname === c.link.ifname && before.link.mac === c.link.mac) return [];
        const effects: AnswerEffect[] = before ? this.closeEntry(before) : [];
        this.links.set(c.link.ifindex, { link: c.link, owned: new Set(), ipv6: 0 });
        return [...effects, 'OpenLink'];
      }
      case 'close': {
        const e = this.links.get(c.ifindex);
        if (!e) return [];
        this.links.delete(c.ifindex);
        return this.closeEntry(e);
      }
      case 'add': {
        const e = this.links.get(c.ifindex);
        if (!e || e.owned.has(key(c.address))) return [];
        e.owned.add(key(c.address));
        if (c.address.family === 4) return [];
        e.ipv6++;
        return e.ipv6 === 1 ? ['OpenIPv6'] : [];
      }
      case 'remove': {
        const e = this.links.get(c.ifindex);
        if (!e || !e.owned.delete(key(c.address))) return [];
        if (c.address.family === 4) return [];
        e.ipv6--;
        return e.ipv6 === 0 ? ['CloseIPv6'] : [];
      }
    }
  }

  owns(ifindex: number, address: IPAddress): boolean {
    return this.links.get(ifindex)?.owned.has(key(address)) ?? false;
  }

  link(ifindex: number): AnswerLink | undefined {
    return this.links.get(ifindex)?.link;
  }

  /** Addresses answered for on a link (0 when it is not open). */
  size(ifindex: number): number {
    return this.links.get(ifindex)?.owned.size ?? 0;
  }

  linkIndexes(): number[] {
    return [...this.links.keys()];
  }

  private closeEntry(e: LinkEntry): AnswerEffect[] {
    return e.ipv6 > 0 ? ['CloseIPv6', 'CloseLink'] : ['CloseLink'];
  }
}
