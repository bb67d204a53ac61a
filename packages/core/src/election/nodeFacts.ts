/** What every speaker knows about a node: from the Node object, and from that node's heartbeats. */
export interface NodeFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Node's NetworkUnavailable condition is True. */
  readonly networkUnavailable: boolean;
  /** A live speaker runs there (membership). */
  readonly member: boolean;
  /** Its speaker is shutting down: it keeps its addresses only until successors take them. */
  readonly draining: boolean;
  /** Interfaces the node reports healthy (up, carrier, not enslaved, ARP-capable), with their subnets. */
  readonly interfaces: readonly NodeInterface[];
  /** The interface that carries the node's heartbeat address, if known. */
  readonly primaryInterface?: string;
  /**
   * A starting peer that has published no interfaces yet: its first heartbeats go out before its caches
   * sync, and which links it publishes depends on the pools. It may well win, so it counts as eligible on
   * an interface not yet known; otherwise the node ranked next takes the address and both answer once the
   * starting node, which does know its links, elects itself a moment later.
   */
  readonly interfacesUnknown?: boolean;
}

export interface NodeInterface {
  readonly name: string;
  /** CIDRs of the addresses on the interface, e.g. "192.0.2.11/24", "2001:db8:1::b/64". */
  readonly subnets: readonly string[];
}

/** One endpoint of a Service, from its EndpointSlices. */
export interface EndpointFacts {
  readonly nodeName?: string;
  readonly ready: boolean;
  readonly serving: boolean;
}

export interface ServiceFacts {
  readonly key: string;
  readonly local: boolean;
  readonly endpoints: readonly EndpointFacts[];
}

export const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** Why a node may not announce an address, or why nobody does. One closed set for conditions, metrics, logs. */
export type ElectionReason =
  | 'NotMember'
  | 'NotLinux'
  | 'ExcludedByLabel'
  | 'NetworkUnavailable'
  | 'NotSelected'
  | 'NoHealthyInterface'
  | 'NoLocalEndpoint'
  | 'NoL2Advertisement'
  | 'NoReadyEndpoints'
  | 'NoEligibleNode';

const sameStrings = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Whether two views of a node say the same thing (labels in any order). The speaker hands the election every
 * node's facts on every round: at 5,000 nodes, comparing them as JSON took 25-110 ms of one round, this a few.
 */
export function sameNodeFacts(a: NodeFacts, b: NodeFacts): boolean {
  if (a === b) return true;
  if (a.name !== b.name || a.networkUnavailable !== b.networkUnavailable || a.member !== b.member || a.draining !== b.draining) return false;
  if (a.primaryInterface !== b.primaryInterface || !!a.interfacesUnknown !== !!b.interfacesUnknown || a.interfaces.length !== b.interfaces.length) return false;
  if (!a.interfaces.every((x, i) => x.name === b.interfaces[i]?.name && sameStrings(x.subnets, b.interfaces[i]?.subnets ?? []))) return false;
  const keys = Object.keys(a.labels);
  return keys.length === Object.keys(b.labels).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b.labels, k) && a.labels[k] === b.labels[k]);
}
