import type { NodeInterface } from '@herald/core';

/** What the speaker needs from membership: who is alive, and what each peer says in its heartbeats. */
export interface PeerState {
  readonly alive: boolean;
  readonly draining: boolean;
  readonly interfaces: readonly NodeInterface[];
  readonly announcing: readonly string[];
  readonly primaryInterface?: string;
  readonly macs?: readonly string[];
}

export interface LocalState {
  draining: boolean;
  interfaces: NodeInterface[];
  announcing: string[];
  primaryInterface?: string;
  macs?: string[];
}

export interface MembershipSource {
  /** Other nodes only, by node name. */
  peers(): ReadonlyMap<string, PeerState>;
  onChange(listener: () => void): void;
  setLocalState(state: LocalState): void;
}
