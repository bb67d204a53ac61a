import type { HeartbeatInterface } from './heartbeat.js';

/**
 * Everything peers need to know about one node, as the node itself last published it. Disseminated only
 * when it changes (a new `version`), never sent to everyone every interval.
 */
export interface NodeState {
  readonly node: string;
  /** Process start in epoch ms (chooseIncarnation): a restart makes a larger one. */
  readonly incarnation: number;
  /** Bumped by the node on every change of the fields below and on every refutation of its death. */
  readonly version: number;
  readonly draining: boolean;
  readonly ready: boolean;
  /** Sorted by name, subnets sorted. */
  readonly interfaces: readonly HeartbeatInterface[];
  /** Sorted: the addresses the node answers for (hand-overs wait for the new owner's claim here). */
  readonly announcing: readonly string[];
  /** Where the node listens for membership datagrams. */
  readonly address: string;
  readonly port: number;
}

/**
 * A fact about a node that every member must learn, ordered by (incarnation, version, Dead over State):
 * a member keeps the largest it has seen for each node and drops the rest as stale.
 */
export type Notice =
  | { readonly kind: 'State'; readonly state: NodeState }
  | { readonly kind: 'Dead'; readonly node: string; readonly incarnation: number; readonly version: number; readonly by: string };

/** Who sent a datagram; (incarnation, sequence) is checked for replay before anything else is believed. */
export interface Envelope {
  readonly from: string;
  readonly incarnation: number;
  readonly sequence: number;
}

/** To the sender's k ring successors every interval; carries fresh notices piggyback. */
export interface SwimHeartbeat extends Envelope {
  readonly type: 'Heartbeat';
  /** The sender's state version: a receiver that knows an older one asks for it (SyncRequest). */
  readonly version: number;
  readonly notices: readonly Notice[];
}

/** "Are you alive?" — direct from a suspecting monitor, or from a helper on its behalf. */
export interface SwimProbe extends Envelope {
  readonly type: 'Probe';
  readonly id: number;
  readonly target: string;
}

/** A suspecting monitor asks a helper to probe `target` and relay the Ack (indirect probe). */
export interface SwimProbeRequest extends Envelope {
  readonly type: 'ProbeRequest';
  readonly id: number;
  readonly target: string;
}

/**
 * `target` answered probe `id` (sent by the target itself, or relayed by a helper); or, with `agoMs` > 0,
 * a helper that also watches `target` vouches that it heard it `agoMs` ago.
 */
export interface SwimAck extends Envelope {
  readonly type: 'Ack';
  readonly id: number;
  readonly target: string;
  readonly version: number;
  readonly agoMs: number;
}

/** Notices pushed to a few random members as soon as they are learnt. */
export interface SwimGossip extends Envelope {
  readonly type: 'Gossip';
  readonly notices: readonly Notice[];
}

/** A joining member asks for everything it should know (`nodes` empty), or for the named nodes' states. */
export interface SwimSyncRequest extends Envelope {
  readonly type: 'SyncRequest';
  readonly nodes: readonly string[];
}

export interface SwimSyncReply extends Envelope {
  readonly type: 'SyncReply';
  readonly notices: readonly Notice[];
}

/** A node that stops on purpose (SIGTERM), at its final (incarnation, version) (leaveNotice.ts). */
export interface LeftNotice {
  readonly node: string;
  readonly incarnation: number;
  readonly version: number;
}

/**
 * "`left.node` has left": sent by the leaving node itself, or passed on by a member that just learnt it.
 * Its own message type, never a notice inside the other types: a speaker of an older herald refuses a
 * datagram of an unknown type whole, so a Left notice riding a Heartbeat or Gossip would cost such a
 * peer the heartbeat or the other news with it (ADR 0012, Leaving).
 */
export interface SwimLeave extends Envelope {
  readonly type: 'Leave';
  readonly left: LeftNotice;
}

export type SwimMessage = SwimHeartbeat | SwimProbe | SwimProbeRequest | SwimAck | SwimGossip | SwimSyncRequest | SwimSyncReply | SwimLeave;
export type SwimMessageType = SwimMessage['type'];

/** The node a notice is about. */
export const noticeNode = (n: Notice): string => (n.kind === 'State' ? n.state.node : n.node);
