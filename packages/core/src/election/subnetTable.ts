import { parseAddress } from '../ip/address.js';

/** One interface subnet as the election compares it: its address and prefix length. */
export interface ParsedSubnet {
  readonly family: 4 | 6;
  readonly value: bigint;
  readonly prefixLength: number;
}

/** Where the election gets a subnet's parsed form from its CIDR text (undefined: not a CIDR). */
export type SubnetLookup = (cidr: string) => ParsedSubnet | undefined;

/** Parses "192.0.2.11/24" or "2001:db8:1::b/64"; undefined when the address or the length is not one. */
export const parseSubnet: SubnetLookup = (cidr) => {
  const [ip, len] = cidr.split('/');
  const prefixLength = Number(len);
  const a = parseAddress(ip ?? '');
  if (!a.ok || !Number.isInteger(prefixLength)) return undefined;
  return { family: a.value.family, value: a.value.value, prefixLength };
};

/**
 * Interface subnets parsed once by their text. Nodes publish their subnets as text, and the election
 * compares every eligible node's with every address it elects: parsing them again each time was most of
 * an election's CPU on a 40-node LAN (the standby plan elects every address again twice a second while
 * anything changes). A cluster has few distinct subnets; past `limit` the table starts over.
 */
export class SubnetTable {
  private readonly parsed = new Map<string, ParsedSubnet | null>();

  constructor(private readonly limit = 4096) {}

  readonly lookup: SubnetLookup = (cidr) => {
    const known = this.parsed.get(cidr);
    if (known !== undefined) return known ?? undefined;
    if (this.parsed.size >= this.limit) this.parsed.clear();
    const s = parseSubnet(cidr);
    this.parsed.set(cidr, s ?? null);
    return s;
  };

  get size(): number {
    return this.parsed.size;
  }
}
