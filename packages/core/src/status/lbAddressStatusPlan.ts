import type { Condition, LBAddressStatus } from '../api/v1beta1.js';
import type { ElectionReason } from '../election/nodeFacts.js';

/** A JSON merge patch of LBAddress status: null removes a field (nobody answers, so no node is named). */
export type LBAddressStatusPatch = { [K in keyof LBAddressStatus]?: LBAddressStatus[K] | null };

/** Why a speaker writes nothing for an address now. */
export type StatusSkipReason =
  /** The status already says what this node would write. */
  | 'UpToDate'
  /** Another node is elected: only the current owner writes ownership status. */
  | 'NotOwner'
  /** This node is elected but has not sent its first gratuitous packet yet. */
  | 'NotYetAnnounced'
  /** The status names another node that still lists the address in its heartbeats: it still answers,
   *  and the status changes when it lets go (make-before-break), so it never names a silent node. */
  | 'PreviousOwnerAnswering'
  /** Nobody is elected, but a live node (maybe this one) still answers: that is not "no owner". */
  | 'StillAnswered'
  /** Nobody is elected, and another node is the one deterministic no-owner reporter. */
  | 'NotReporter';

export interface StatusPlanInput {
  readonly self: string;
  /** The status as last seen (cache, or this node's own newer write). */
  readonly current: LBAddressStatus | undefined;
  /** The elected owner in this node's view, or undefined with a reason and message. */
  readonly election: { readonly owner: string | undefined; readonly reason: ElectionReason | undefined; readonly message: string };
  /** Set when this node answers for the address: where, with which MAC, since its first gratuitous packet. */
  readonly announced: { readonly interface: string; readonly mac: string; readonly at: string } | undefined;
  /** Live peers whose heartbeats list the address as announced. */
  readonly heldBy: readonly string[];
  /** The no-owner reporter (see noOwnerReporter). */
  readonly reporter: string | undefined;
  readonly now: string;
}

export type StatusPlan =
  | { readonly write: false; readonly why: StatusSkipReason }
  | { readonly write: true; readonly status: LBAddressStatusPatch; readonly kind: 'Owner' | 'NoOwner'; readonly previousNode: string | undefined };

const announcedCondition = (s: LBAddressStatus | undefined): Condition | undefined => s?.conditions?.find((c) => c.type === 'Announced');

/**
 * What one speaker should write on one LBAddress status, given what it knows now. Writes only what
 * differs (so recomputing a thousand times writes nothing new), and only from the node that owns the
 * address, or — when nobody does — from the one reporter every speaker agrees on.
 */
export function lbAddressStatusPlan(input: StatusPlanInput): StatusPlan {
  const { self, current, election, announced } = input;
  const condition = announcedCondition(current);
  if (election.owner !== undefined && election.owner !== self) return { write: false, why: 'NotOwner' };
  if (election.owner === self) {
    if (!announced) return { write: false, why: 'NotYetAnnounced' };
    if (current?.node === self && current.interface === announced.interface && current.mac === announced.mac && condition?.status === 'True') return { write: false, why: 'UpToDate' };
    if (current?.node && current.node !== self && input.heldBy.includes(current.node)) return { write: false, why: 'PreviousOwnerAnswering' };
    const moved = current?.node !== self;
    return {
      write: true,
      kind: 'Owner',
      previousNode: moved ? current?.node : undefined,
      status: {
        node: self,
        interface: announced.interface,
        mac: announced.mac,
        since: announced.at,
        lastGratuitous: announced.at,
        transitions: (current?.transitions ?? 0) + (moved ? 1 : 0),
        conditions: [{ type: 'Announced', status: 'True', reason: 'Announcing', message: `announced by ${self} on ${announced.interface}`, lastTransitionTime: condition?.status === 'True' ? condition.lastTransitionTime : announced.at }],
      },
    };
  }
  if (announced || input.heldBy.length > 0) return { write: false, why: 'StillAnswered' };
  if (input.reporter !== self) return { write: false, why: 'NotReporter' };
  const reason = election.reason ?? 'NoEligibleNode';
  // `!node`: a field removed by a merge patch may still read as null in a just-written copy.
  if (!current?.node && condition?.status === 'False' && condition.reason === reason && condition.message === election.message) return { write: false, why: 'UpToDate' };
  return {
    write: true,
    kind: 'NoOwner',
    previousNode: current?.node,
    status: {
      node: null, interface: null, mac: null, since: null, lastGratuitous: null,
      conditions: [{ type: 'Announced', status: 'False', reason, message: election.message, lastTransitionTime: condition?.status === 'False' ? condition.lastTransitionTime : input.now }],
    },
  };
}
