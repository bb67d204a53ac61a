import { familyBits, formatAddress, parseAddress, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';

/**
 * An address with its prefix length as configured on an interface: "192.0.2.11/24", "2001:db8:1::b/64".
 * Host bits are allowed (a network such as "192.0.2.0/24" is one too): the election only needs to know
 * which addresses are on-link, and the node's own address comes along for free.
 */
export interface InterfaceCidr {
  readonly address: IPAddress;
  readonly prefix: number;
}

export function parseInterfaceCidr(text: string): Result<InterfaceCidr, string> {
  const slash = text.indexOf('/');
  if (slash < 0) return err(`${JSON.stringify(text)} has no prefix length (expected e.g. 192.0.2.11/24)`);
  const address = parseAddress(text.slice(0, slash));
  if (!address.ok) return err(`${JSON.stringify(text)}: ${address.error.message}`);
  const prefixText = text.slice(slash + 1);
  const bits = familyBits(address.value.family);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return err(`${JSON.stringify(text)}: prefix length ${JSON.stringify(prefixText)} is not a number 0-${bits}`);
  }
  return ok({ address: address.value, prefix: Number(prefixText) });
}

/** Canonical text (RFC 5952 for IPv6), so equal CIDRs compare equal as strings. */
export const formatInterfaceCidr = (c: InterfaceCidr): string => `${formatAddress(c.address)}/${c.prefix}`;
