import type { JudgedBy, NodeInterface } from '@herald/core';

/** What the speaker needs from membership: who is alive, and what each peer says in its heartbeats. */
export interface PeerState {
  readonly alive: boolean;
  readonly draining: boolean;
  /** False while the peer's speaker starts; it takes no address a live node answers. */
  readonly ready: boolean;
  readonly incarnation?: number;
  readonly judgedBy: JudgedBy;
  readonly heartbeatsBroken: boolean;
  readonly interfaces: readonly NodeInterface[];
  readonly announcing: readonly string[];
  readonly primaryInterface?: string;
  /** MACs of the interfaces the peer's heartbeat lists: a claim from one of them is herald's, not foreign. */
  readonly macs?: readonly string[];
}

export interface LocalState {
  draining: boolean;
  ready: boolean;
  /** With each interface's MAC, so peers recognise this node's gratuitous ARP / NA as herald's. */
  interfaces: (NodeInterface & { mac?: string })[];
  announcing: string[];
  primaryInterface?: string;
}

export interface MembershipSource {
  /** Other nodes only, by node name. */
  peers(): ReadonlyMap<string, PeerState>;
  /** The peer list (speaker Leases) has been listed once. */
  peersListed(): boolean;
  onChange(listener: () => void): void;
  setLocalState(state: LocalState): void;
}
