import type { NodeFacts, NodeInterface } from './nodeFacts.js';
import { peerCandidacy } from './peerCandidacy.js';

/** What the Node object says about a node (the adapter reads it from the cache). */
export interface NodeObjectFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly networkUnavailable: boolean;
}

/** What a peer's heartbeats (or Lease) say about it. */
export interface PeerFacts {
  readonly alive: boolean;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly interfaces: readonly NodeInterface[];
  readonly primaryInterface?: string;
}

export interface CandidateNodesInput {
  readonly nodes: readonly NodeObjectFacts[];
  /**
   * This node: always a member (it applies the result only once ready). Absent for an observer that is no
   * node (the CLI), which judges every node as a peer.
   */
  readonly self?: { readonly name: string; readonly draining: boolean; readonly interfaces: readonly NodeInterface[]; readonly primaryInterface?: string };
  readonly peers: ReadonlyMap<string, PeerFacts>;
  /** Peer → since when it is seen not ready (tracked by the adapter: heartbeats carry a flag, not a time). */
  readonly notReadySince: ReadonlyMap<string, number>;
  /** Peer → last claim seen on the wire from one of its MACs. */
  readonly claimSeen: ReadonlyMap<string, number>;
  /** Whether the address these facts are for is answered by some live node (a starting peer's candidacy depends on it). */
  readonly answered: boolean;
  readonly nowMs: number;
  readonly startupHoldMs: number;
  /**
   * How long a starting peer that has published no interfaces counts as eligible on links not yet known
   * (interfacesUnknown): its caches sync within this in the normal case. Shorter than startupHoldMs because
   * a speaker that cannot reach the API server never publishes any, and would otherwise hold every
   * unanswered address it out-ranks (failover of a dead node's included) for the whole startup hold.
   */
  readonly unknownInterfacesHoldMs: number;
  readonly claimEvidenceMs: number;
}

/** The speaker's defaults for the holds of candidateNodes (its flags may change them; the CLI assumes these). */
export const DEFAULT_CANDIDACY_HOLDS = { startupHoldMs: 30_000, unknownInterfacesHoldMs: 5_000, claimEvidenceMs: 30_000 } as const;

/**
 * The election's view of every node for an address that is (or is not) answered. A peer counts as a member
 * by peerCandidacy: alive and ready; or starting and the address unanswered (it will take it); or believed
 * dead but seen claiming on the wire. This node counts itself in. A starting peer that has published no
 * interfaces yet is flagged interfacesUnknown (it may win on links it has not told us about).
 */
export function candidateNodes(i: CandidateNodesInput): NodeFacts[] {
  const out: NodeFacts[] = [];
  for (const n of i.nodes) {
    const { name, labels, networkUnavailable } = n;
    if (i.self && name === i.self.name) {
      out.push({
        name, labels, networkUnavailable, member: true, draining: i.self.draining, interfaces: i.self.interfaces,
        ...(i.self.primaryInterface ? { primaryInterface: i.self.primaryInterface } : {}),
      });
      continue;
    }
    const p = i.peers.get(name);
    const notReadySinceMs = p && p.alive && !p.ready ? i.notReadySince.get(name) : undefined;
    const claimSeenAtMs = i.claimSeen.get(name);
    const candidacy = p && peerCandidacy({
      alive: p.alive,
      ready: p.ready,
      ...(notReadySinceMs === undefined ? {} : { notReadySinceMs }),
      ...(claimSeenAtMs === undefined ? {} : { claimSeenAtMs }),
      answered: i.answered,
      nowMs: i.nowMs,
      startupHoldMs: i.startupHoldMs,
      claimEvidenceMs: i.claimEvidenceMs,
    });
    const interfacesUnknown = candidacy?.reason === 'Starting' && p!.interfaces.length === 0 && i.nowMs - notReadySinceMs! < i.unknownInterfacesHoldMs;
    out.push({
      name, labels, networkUnavailable, member: !!candidacy?.candidate, draining: !!p?.draining, interfaces: p?.interfaces ?? [],
      ...(p?.primaryInterface ? { primaryInterface: p.primaryInterface } : {}),
      ...(interfacesUnknown ? { interfacesUnknown } : {}),
    });
  }
  return out;
}

/**
 * When a candidacy that depends on time next changes with no event: a starting peer's hold (and its
 * unknown-interfaces hold) ends, or a claim stops counting as proof of life. The speaker elects again
 * then; otherwise an address held for a peer stuck starting waits for an unrelated event.
 */
export function nextCandidacyChange(i: Pick<CandidateNodesInput, 'notReadySince' | 'claimSeen' | 'nowMs' | 'startupHoldMs' | 'unknownInterfacesHoldMs' | 'claimEvidenceMs'>): number | undefined {
  let next: number | undefined;
  const consider = (at: number) => {
    if (at > i.nowMs && (next === undefined || at < next)) next = at;
  };
  for (const since of i.notReadySince.values()) {
    consider(since + i.startupHoldMs);
    consider(since + i.unknownInterfacesHoldMs);
  }
  for (const at of i.claimSeen.values()) consider(at + i.claimEvidenceMs);
  return next;
}
