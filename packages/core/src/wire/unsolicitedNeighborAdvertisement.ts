import { formatAddress, type IPAddress } from '../ip/address.js';
import { ALL_NODES_MULTICAST } from './ipv6Multicast.js';
import { assertMac, isUnicastMac, type MacAddress } from './macAddress.js';
import { encodeNeighborAdvertisement } from './ndpMessage.js';

export interface NdpSend {
  /** The IPv6 destination; the raw socket adds the header (hop limit 255 must be set on the socket). */
  readonly to: IPAddress;
  readonly payload: Uint8Array;
}

/**
 * The announcement sent on taking ownership: to ff02::1 with Override set so that neighbours with a stale
 * entry (the previous owner's MAC) replace it (RFC 4861 §7.2.6), and Solicited clear because nobody asked.
 */
export function unsolicitedNeighborAdvertisement(target: IPAddress, mac: MacAddress): NdpSend {
  assertMac(mac, 'announcing MAC');
  if (!isUnicastMac(mac)) throw new RangeError(`cannot announce with MAC ${mac}: it is not a unicast station address`);
  if (target.family !== 6) throw new RangeError(`Neighbor Advertisements announce IPv6 addresses; ${formatAddress(target)} is IPv4`);
  return {
    to: ALL_NODES_MULTICAST,
    payload: encodeNeighborAdvertisement({ target, targetMac: mac, solicited: false, override: true }),
  };
}
