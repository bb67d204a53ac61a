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
  readonly macs?: readonly string[];
}

export interface LocalState {
  draining: boolean;
  ready: boolean;
  interfaces: NodeInterface[];
  announcing: string[];
  primaryInterface?: string;
  macs?: string[];
}

export interface MembershipSource {
  /** Other nodes only, by node name. */
  peers(): ReadonlyMap<string, PeerState>;
  /** The peer list (speaker Leases) has been listed once. */
  peersListed(): boolean;
  onChange(listener: () => void): void;
  setLocalState(state: LocalState): void;
}
