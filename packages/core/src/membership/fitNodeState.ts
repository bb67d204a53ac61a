import { HEARTBEAT_MAX_PAYLOAD } from './heartbeat.js';
import { envelopeBytes, noticeBytes } from './swimCodec.js';
import type { NodeState } from './swimMessage.js';

/**
 * Room for one node's own State notice: what SwimMember lets notices take in one datagram (the payload
 * limit minus 300 bytes of slack) minus the envelope of a heartbeat that piggybacks it.
 */
export const nodeStateBudget = (node: string): number => HEARTBEAT_MAX_PAYLOAD - 300 - envelopeBytes(node);

/**
 * Makes a node's own State fit one version-2 datagram, like fitHeartbeat does for version 1: announced
 * addresses are dropped from the end (the caller orders by importance; the list only speeds up hand-overs)
 * until the notice fits. Interfaces are left to fitHeartbeat's limits, which the adapter applies first.
 * Returns the state and how many announced addresses were left out.
 */
export function fitNodeState(state: NodeState): { state: NodeState; trimmedAnnouncing: number } {
  const budget = nodeStateBudget(state.node);
  const base = noticeBytes({ kind: 'State', state: { ...state, announcing: [] } });
  let room = budget - base;
  let take = 0;
  for (const a of state.announcing) {
    const cost = a.includes(':') ? 17 : 5;
    if (cost > room) break;
    room -= cost;
    take++;
  }
  if (take === state.announcing.length) return { state, trimmedAnnouncing: 0 };
  return { state: { ...state, announcing: state.announcing.slice(0, take) }, trimmedAnnouncing: state.announcing.length - take };
}
