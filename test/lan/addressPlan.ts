/**
 * Every address the LAN harness uses, in one place, all from the documentation ranges:
 * - 192.0.2.0/24 and 2001:db8:1::/64: the LAN inside the namespaces (nodes .11.., client .100);
 * - 203.0.113.0/25: extra VIP space the client reaches on-link (like a second subnet on the same VLAN);
 * - 203.0.113.128/25 and 2001:db8:ff::/48: management networks in the root namespace, eight slots, one per
 *   live LAN; each slot is an IPv4 /28 (nodes 1..13, so small LANs keep the IPv4 API address every suite
 *   knows) plus an IPv6 /64 that holds every node of a large LAN (up to MAX_LAN_NODES);
 * - 198.51.100.0/24 and 2001:db8:96::/108: Service ClusterIPs (API bookkeeping only, see controlPlane.ts).
 */
export const LAN_V4_PREFIX = '192.0.2';
export const LAN_V6_PREFIX = '2001:db8:1::';
export const CLIENT_HOST = 100;
export const NODE_HOST_BASE = 10;
export const EXTRA_VIP_V4 = '203.0.113.0/25';
export const MANAGEMENT_SLOTS = 8;
/** Nodes a slot's IPv4 /28 holds (.1 is the gateway, .15 broadcast); larger LANs reach the API over IPv6. */
export const MANAGEMENT_V4_NODES = 13;
/**
 * The largest LAN: node i is 192.0.2.(10 + i) below the client's .100, its MAC ends in i below the client's
 * 0x64, and the root-side veth hrl-<id>-m<i> stays within 15 characters.
 */
export const MAX_LAN_NODES = 80;

export const nodeV4 = (i: number) => `${LAN_V4_PREFIX}.${NODE_HOST_BASE + i}`;
export const nodeV6 = (i: number) => `${LAN_V6_PREFIX}${(NODE_HOST_BASE + i).toString(16)}`;
export const clientV4 = `${LAN_V4_PREFIX}.${CLIENT_HOST}`;
export const clientV6 = `${LAN_V6_PREFIX}${CLIENT_HOST.toString(16)}`;

/** Management slot k is 203.0.113.(128 + 16k)/28: .1 is the root side (API proxy), nodes take .(1 + i). */
export const managementGateway = (slot: number) => `203.0.113.${128 + 16 * slot + 1}`;
export const managementNode = (slot: number, i: number) => `203.0.113.${128 + 16 * slot + 1 + i}`;
/** Management slot k's IPv6 network is 2001:db8:ff:k::/64: ::1 the root side, node i ::(1 + i). */
export const managementGatewayV6 = (slot: number) => `2001:db8:ff:${slot.toString(16)}::1`;
export const managementNodeV6 = (slot: number, i: number) => `2001:db8:ff:${slot.toString(16)}::${(1 + i).toString(16)}`;

/** Locally administered, readable MACs: 02:48:52:4c:00:NN ("HRL"), node i → NN = i, client → 0x64. */
export const nodeMac = (i: number) => `02:48:52:4c:00:${i.toString(16).padStart(2, '0')}`;
export const clientMac = '02:48:52:4c:00:64';
