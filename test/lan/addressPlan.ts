/**
 * Every address the LAN harness uses, in one place, all from the documentation ranges:
 * - 192.0.2.0/24 and 2001:db8:1::/64: the LAN inside the namespaces (nodes .11.., client .100);
 * - 203.0.113.0/25: extra VIP space the client reaches on-link (like a second subnet on the same VLAN);
 * - 203.0.113.128/25: management networks in the root namespace, eight /28 slots, one per live LAN;
 * - 198.51.100.0/24 and 2001:db8:96::/108: Service ClusterIPs (API bookkeeping only, see controlPlane.ts).
 */
export const LAN_V4_PREFIX = '192.0.2';
export const LAN_V6_PREFIX = '2001:db8:1::';
export const CLIENT_HOST = 100;
export const NODE_HOST_BASE = 10;
export const EXTRA_VIP_V4 = '203.0.113.0/25';
export const MANAGEMENT_SLOTS = 8;

export const nodeV4 = (i: number) => `${LAN_V4_PREFIX}.${NODE_HOST_BASE + i}`;
export const nodeV6 = (i: number) => `${LAN_V6_PREFIX}${(NODE_HOST_BASE + i).toString(16)}`;
export const clientV4 = `${LAN_V4_PREFIX}.${CLIENT_HOST}`;
export const clientV6 = `${LAN_V6_PREFIX}${CLIENT_HOST.toString(16)}`;

/** Management slot k is 203.0.113.(128 + 16k)/28: .1 is the root side (API proxy), nodes take .(1 + i). */
export const managementGateway = (slot: number) => `203.0.113.${128 + 16 * slot + 1}`;
export const managementNode = (slot: number, i: number) => `203.0.113.${128 + 16 * slot + 1 + i}`;

/** Locally administered, readable MACs: 02:48:52:4c:00:NN ("HRL"), node i → NN = i, client → 0x64. */
export const nodeMac = (i: number) => `02:48:52:4c:00:${i.toString(16).padStart(2, '0')}`;
export const clientMac = '02:48:52:4c:00:64';
