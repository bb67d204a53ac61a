import { compareText, type MembershipView, type PeerView } from './membershipView.js';

/**
 * How well this speaker's heartbeats work, in one word (first match wins):
 * - `HeartbeatsBroken`: it hears no peer, and at least one peer alive by its Lease never sent it a valid
 *   heartbeat (a firewall, a wrong key, a wrong heartbeat address since this speaker started);
 * - `NoHeartbeats`: it hears no peer, and peers it heard before went silent (its LAN link, a firewall added
 *   later; or every other node died, which their expiring Leases tell apart), or (version 2) its ring
 *   predecessors are alive through other members but their heartbeats do not arrive here;
 * - `SomePeersUnheard`: it hears some peers but not others (most likely the others' problem), or (version 2)
 *   a ring predecessor it monitors is alive through other members but its heartbeats do not arrive here;
 * - `Joining`: peers known from their Leases whose first heartbeat is still due;
 * - `Healthy`: it hears every peer it knows, or it knows none.
 * The same words are the metric label, the log field and what `kubectl herald status` shows.
 *
 * Version 2 (ring membership, ADR 0012): a speaker receives heartbeats only from its few ring
 * predecessors. A peer it does not monitor is heard when the ring holds it alive (its own monitors hear
 * it); only a predecessor whose heartbeats stop arriving here (`heartbeatsMissing`) is unheard.
 */
export const HEARTBEAT_HEALTH_REASONS = ['Healthy', 'Joining', 'SomePeersUnheard', 'NoHeartbeats', 'HeartbeatsBroken'] as const;
export type HeartbeatHealthReason = (typeof HEARTBEAT_HEALTH_REASONS)[number];

/** At most this many names per list, so the Lease annotation stays small on a large cluster; counts stay exact. */
export const HEARTBEAT_HEALTH_NAME_LIMIT = 16;

export interface HeartbeatHealthPeers {
  /** Other nodes this speaker knows (itself excluded), alive or not. */
  readonly known: number;
  readonly alive: number;
  /** Alive because their heartbeats arrive. */
  readonly heard: number;
  /** Alive by their Lease alone: no heartbeat from them (yet, or ever: see heartbeatsBroken). */
  readonly judgedByLease: number;
  readonly dead: number;
}

export interface HeartbeatRoundTrip {
  /** Peers with a round-trip estimate. */
  readonly samples: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

export interface HeartbeatHealth {
  readonly reason: HeartbeatHealthReason;
  /** For a person: what is wrong and with whom; stable while the reason, counts and names are. */
  readonly message: string;
  readonly peers: HeartbeatHealthPeers;
  /** Alive by their Lease, never heard since this speaker learnt of them; sorted, at most NAME_LIMIT. */
  readonly heartbeatsBroken: readonly string[];
  /**
   * Heard before, silent now (dead by heartbeats), and (version 2) ring predecessors alive through other
   * members whose heartbeats do not arrive here; sorted, at most NAME_LIMIT.
   */
  readonly silent: readonly string[];
  /** Over the peers heard now, from their smoothed round-trip estimates; absent without any. */
  readonly roundTrip?: HeartbeatRoundTrip;
  /** How long before `view.atMs` the newest accepted heartbeat (from any peer) arrived; absent if none ever did. */
  readonly lastHeartbeatAgoMs?: number;
}

const names = (peers: readonly PeerView[]): string[] => peers.map((p) => p.node).sort(compareText);

const listed = (xs: readonly string[], total: number): string =>
  `${xs.join(', ')}${total > xs.length ? ` and ${total - xs.length} more` : ''}`;

/** Microsecond precision: enough for a LAN, and equal estimates print equally. */
const us = (ms: number): number => Math.round(ms * 1000) / 1000;

function roundTrip(heard: readonly PeerView[]): HeartbeatRoundTrip | undefined {
  const rtts = heard.flatMap((p) => (p.rttMs === undefined ? [] : [p.rttMs])).sort((a, b) => a - b);
  if (rtts.length === 0) return undefined;
  const mid = rtts.length >> 1;
  const median = rtts.length % 2 ? rtts[mid]! : (rtts[mid - 1]! + rtts[mid]!) / 2;
  return { samples: rtts.length, medianMs: us(median), maxMs: us(rtts[rtts.length - 1]!) };
}

/** The heartbeat health of the speaker whose view this is. Pure: the same view gives the same answer. */
export function heartbeatHealth(view: MembershipView): HeartbeatHealth {
  const others = view.peers.filter((p) => !p.self);
  const missing = others.filter((p) => p.alive && p.judgedBy === 'Heartbeat' && p.heartbeatsMissing === true);
  const heard = others.filter((p) => p.alive && p.judgedBy === 'Heartbeat' && p.heartbeatsMissing !== true);
  const byLease = others.filter((p) => p.alive && p.judgedBy !== 'Heartbeat');
  const broken = others.filter((p) => p.alive && p.heartbeatsBroken);
  // A peer that left on purpose is not silent: nothing is wrong with the heartbeats.
  const silent = others.filter((p) => !p.alive && p.judgedBy === 'Heartbeat' && p.left !== true);
  const joining = byLease.filter((p) => !p.heartbeatsBroken);
  const brokenNames = names(broken);
  const silentNames = [...names(silent), ...names(missing)].sort(compareText);
  const shownBroken = brokenNames.slice(0, HEARTBEAT_HEALTH_NAME_LIMIT);
  const shownSilent = silentNames.slice(0, HEARTBEAT_HEALTH_NAME_LIMIT);
  const newest = Math.max(...others.flatMap((p) => (p.lastHeartbeatMs === undefined ? [] : [p.lastHeartbeatMs])));
  const peers: HeartbeatHealthPeers = {
    known: others.length,
    alive: heard.length + byLease.length + missing.length,
    heard: heard.length,
    judgedByLease: byLease.length,
    dead: others.length - heard.length - byLease.length - missing.length,
  };
  const unheard = [
    ...(broken.length ? [`no heartbeat ever arrived from ${broken.length} peer(s) alive by their Lease: ${listed(shownBroken, broken.length)}`] : []),
    ...(silent.length ? [`${silent.length} peer(s) heard before went silent: ${listed(names(silent).slice(0, HEARTBEAT_HEALTH_NAME_LIMIT), silent.length)}`] : []),
    ...(missing.length ? [`heartbeats of ${missing.length} ring predecessor(s) alive through other members do not arrive: ${listed(names(missing).slice(0, HEARTBEAT_HEALTH_NAME_LIMIT), missing.length)}`] : []),
  ].join('; ');
  let reason: HeartbeatHealthReason;
  let message: string;
  if (heard.length === 0 && broken.length > 0) {
    reason = 'HeartbeatsBroken';
    message = `hears none of its ${others.length} peer(s): ${unheard}`;
  } else if (heard.length === 0 && silent.length + missing.length > 0) {
    reason = 'NoHeartbeats';
    message = `hears none of its ${others.length} peer(s): ${unheard}`;
  } else if (broken.length > 0 || silent.length > 0 || missing.length > 0) {
    reason = 'SomePeersUnheard';
    message = `hears ${heard.length} of ${others.length} peer(s): ${unheard}`;
  } else if (joining.length > 0) {
    reason = 'Joining';
    message = `first heartbeat still due from ${joining.length} peer(s) known by their Lease; hears ${heard.length}`;
  } else {
    reason = 'Healthy';
    message = others.length ? `hears all ${others.length} peer(s)` : 'no peer to exchange heartbeats with';
  }
  const rt = roundTrip(heard);
  return {
    reason,
    message,
    peers,
    heartbeatsBroken: shownBroken,
    silent: shownSilent,
    ...(rt ? { roundTrip: rt } : {}),
    ...(Number.isFinite(newest) ? { lastHeartbeatAgoMs: Math.max(0, Math.round(view.atMs - newest)) } : {}),
  };
}

/**
 * What makes a new health worth an API write: the reason, the counts and the names, and whether there is
 * a round trip at all (version 2 measures its first a second or more after the peers are heard: shown
 * then, not at the next refresh a minute later). Round-trip values and times alone are not (they change
 * with every heartbeat); they ride along with the next write or refresh.
 */
export const heartbeatHealthKey = (h: HeartbeatHealth): string =>
  JSON.stringify([h.reason, h.peers, h.heartbeatsBroken, h.silent, h.roundTrip !== undefined]);

/** Healthy and Joining are fine; the rest mean some peer's heartbeats do not reach this speaker. */
export const heartbeatHealthOk = (reason: HeartbeatHealthReason): boolean => reason === 'Healthy' || reason === 'Joining';
