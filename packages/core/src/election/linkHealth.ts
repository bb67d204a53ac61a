/** A network link as the speaker sees it through netlink, reduced to the facts that decide eligibility. */
export interface LinkFacts {
  readonly name: string;
  readonly index: number;
  readonly type: string;
  readonly up: boolean;
  readonly carrier: boolean;
  readonly enslaved: boolean;
  readonly noArp: boolean;
  readonly mac: string;
  /** CIDRs of the link's global addresses. */
  readonly subnets: readonly string[];
}

export type LinkHealth = 'Healthy' | 'Loopback' | 'NotEthernet' | 'Down' | 'NoCarrier' | 'Enslaved' | 'NoArp';

/**
 * Can a link carry announcements? It must be an Ethernet link that is up with carrier, not a bond or
 * bridge member (the master announces), and able to do ARP. Carrier loss makes the node ineligible for
 * the addresses it would announce there, so another node takes over.
 */
export function linkHealth(link: LinkFacts): LinkHealth {
  if (link.type === 'LOOPBACK') return 'Loopback';
  if (link.type !== 'ETHER') return 'NotEthernet';
  if (!link.up) return 'Down';
  if (!link.carrier) return 'NoCarrier';
  if (link.enslaved) return 'Enslaved';
  if (link.noArp) return 'NoArp';
  return 'Healthy';
}
