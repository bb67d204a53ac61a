import { formatAddress, type IPAddress } from '../ip/address.js';

/**
 * The LBAddress object name for an address: IPv4 as is (`192.0.2.10`), IPv6 with ':' as '-'
 * (`2001-db8--10`). Names must start and end with an alphanumeric, so a leading or trailing '-' (from
 * `::1` or `2001:db8::`) gets a '0' — no canonical IPv6 text ends in "::0", so names stay unique.
 */
export function lbAddressName(address: IPAddress): string {
  let name = formatAddress(address).replaceAll(':', '-');
  if (name.startsWith('-')) name = `0${name}`;
  if (name.endsWith('-')) name = `${name}0`;
  return name;
}
