import type { HeartbeatInterface } from './heartbeat.js';

/** What a peer's liveness was decided from: heartbeats if any ever arrived, else its Lease, else nothing. */
export type JudgedBy = 'Self' | 'Heartbeat' | 'Lease' | 'Nothing';

/** One node as this speaker sees it. Dead peers keep their last known state. */
export interface PeerView {
  readonly node: string;
  /** This speaker's own entry (always alive; its state is the one given to setLocal). */
  readonly self: boolean;
  readonly alive: boolean;
  readonly judgedBy: JudgedBy;
  readonly draining: boolean;
  /** False while the node's speaker starts (caches, peer list, first election): it takes no address yet. */
  readonly ready: boolean;
  /** Sorted by name, subnets sorted: equal state gives equal views. */
  readonly interfaces: readonly HeartbeatInterface[];
  /** Sorted. Empty for a peer judged by its Lease (Leases do not carry it). */
  readonly announcing: readonly string[];
  /** A fresh Lease but not one valid heartbeat since this speaker learnt of the peer. */
  readonly heartbeatsBroken: boolean;
  readonly incarnation?: number;
  /** Local clock time the last accepted heartbeat arrived. */
  readonly lastHeartbeatMs?: number;
  /** Smoothed round trip: version 1 from echoed heartbeats, version 2 from the round-trip probe (ring predecessors only). */
  readonly rttMs?: number;
  /**
   * Version 2: a ring predecessor this speaker monitors, alive (it answers probes, or its other monitors
   * hear it), whose heartbeats have not arrived here for heartbeatsMissingAfter — a sick link towards this
   * node that the ring's indirect probes otherwise hide. Peers it does not monitor never set it. Not a
   * transition (heartbeat health reports it).
   */
  readonly heartbeatsMissing?: boolean;
  /**
   * Version 2: the node left on purpose (its speaker stopped after draining and said so): not alive, and
   * reported `PeerLeft`, not `PeerDead`. A restart (a newer incarnation) brings it back.
   */
  readonly left?: boolean;
}

/** Every node the speaker knows, self included, sorted by node name: the same facts give the same view. */
export interface MembershipView {
  readonly atMs: number;
  readonly peers: readonly PeerView[];
}

/** Transitions between two views; the same words are the metric label and the log detail. */
export const PEER_CHANGES = [
  'PeerAdded',
  'PeerRemoved',
  'PeerAlive',
  'PeerDead',
  'PeerLeft',
  'PeerRestarted',
  'PeerDraining',
  'PeerUndrained',
  'PeerReady',
  'PeerNotReady',
  'PeerInterfacesChanged',
  'PeerAnnouncingChanged',
  'HeartbeatsBroken',
  'HeartbeatsRestored',
] as const;

export type PeerChange = (typeof PEER_CHANGES)[number];

export interface PeerTransition {
  readonly node: string;
  readonly change: PeerChange;
}

const sameInterfaces = (a: readonly HeartbeatInterface[], b: readonly HeartbeatInterface[]): boolean =>
  a.length === b.length && a.every((x, i) => x.name === b[i]!.name && x.mac === b[i]!.mac && sameStrings(x.subnets, b[i]!.subnets));

const sameStrings = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The transitions for one node; `lastHeartbeatMs`, `rttMs` and `judgedBy` alone are not transitions. */
function peerTransitions(before: PeerView | undefined, after: PeerView | undefined): PeerChange[] {
  if (!before && !after) return [];
  if (!before) return after!.alive ? ['PeerAdded', 'PeerAlive'] : ['PeerAdded'];
  if (!after) return before.alive ? ['PeerDead', 'PeerRemoved'] : ['PeerRemoved'];
  const out: PeerChange[] = [];
  // An orderly leave is no death: alerts on PeerDead stay for real deaths. A node held dead that turns
  // out to have left (the notice came late) is reported once more, as PeerLeft.
  if (before.alive !== after.alive) out.push(after.alive ? 'PeerAlive' : after.left === true ? 'PeerLeft' : 'PeerDead');
  else if (!after.alive && after.left === true && before.left !== true) out.push('PeerLeft');
  if (before.incarnation !== undefined && after.incarnation !== undefined && before.incarnation !== after.incarnation) out.push('PeerRestarted');
  if (before.draining !== after.draining) out.push(after.draining ? 'PeerDraining' : 'PeerUndrained');
  if (before.ready !== after.ready) out.push(after.ready ? 'PeerReady' : 'PeerNotReady');
  if (!sameInterfaces(before.interfaces, after.interfaces)) out.push('PeerInterfacesChanged');
  if (!sameStrings(before.announcing, after.announcing)) out.push('PeerAnnouncingChanged');
  if (before.heartbeatsBroken !== after.heartbeatsBroken) out.push(after.heartbeatsBroken ? 'HeartbeatsBroken' : 'HeartbeatsRestored');
  return out;
}

/** What changed from `before` to `after`, by node name then in PEER_CHANGES order. `before` undefined = nothing known. */
export function diffViews(before: MembershipView | undefined, after: MembershipView): PeerTransition[] {
  const old = new Map((before?.peers ?? []).map((p) => [p.node, p]));
  const now = new Map(after.peers.map((p) => [p.node, p]));
  const nodes = [...new Set([...old.keys(), ...now.keys()])].sort(compareText);
  return nodes.flatMap((node) => peerTransitions(old.get(node), now.get(node)).map((change) => ({ node, change })));
}

/** True when a caller acting on the view (election, logs) has something to do. */
export const viewChanged = (before: MembershipView | undefined, after: MembershipView): boolean => diffViews(before, after).length > 0;

/** Code-unit order: deterministic on every speaker, unlike localeCompare. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Names of the live nodes, self included, sorted. */
export const aliveNodes = (view: MembershipView): string[] => view.peers.filter((p) => p.alive).map((p) => p.node);
