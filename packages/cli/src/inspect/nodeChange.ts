import type { NodeFacts } from '@herald/core';
import type { ClusterFacts } from './clusterFacts.js';
import { electAddress, electionNodes, type HeraldView, type ViewOptions } from './heraldView.js';

/** What simulate-* pretends: a node's speaker gone (drained), or a node with a ready speaker added. */
export type NodeChange =
  | { readonly kind: 'drain'; readonly node: string }
  /** `like`: an existing node whose labels (if NODE has no Node object) and interfaces the new node copies. */
  | { readonly kind: 'add'; readonly node: string; readonly like?: string };

export interface Move {
  address: string;
  services: string[];
  from: string;
  to: string;
  /** electOwner's reason when nobody would own it afterwards. */
  reason: string;
}

export interface SimulationReport {
  change: string;
  /** Every address whose owner changes, and where it goes. */
  moves: Move[];
  /** Addresses checked, and how many keep their owner. */
  addresses: number;
  unchanged: number;
  /** Facts that came from somewhere other than the cluster (a copied interface list). */
  assumptions: string[];
}

/** The node facts after the change; throws with a message for a person when the change makes no sense. */
export function changedNodes(facts: ClusterFacts, view: HeraldView, change: NodeChange, nowMs: number): { nodes: NodeFacts[]; assumptions: string[] } {
  const nodes = electionNodes(facts, view.speakers, true, nowMs);
  const assumptions: string[] = [];
  const i = nodes.findIndex((n) => n.name === change.node);
  if (change.kind === 'drain') {
    if (i < 0) throw new Error(`node "${change.node}" does not exist`);
    // After the drain its speaker is gone: a draining speaker keeps an address only until its successor takes it.
    nodes[i] = { ...nodes[i]!, member: false, draining: true };
    return { nodes, assumptions };
  }
  const like = change.like === undefined ? undefined : nodes.find((n) => n.name === change.like);
  if (change.like !== undefined && !like) throw new Error(`--like node "${change.like}" does not exist`);
  const existing = i >= 0 ? nodes[i]! : undefined;
  if (existing?.member) throw new Error(`node "${change.node}" already has a live, ready speaker: nothing to add`);
  let interfaces = existing?.interfaces ?? [];
  if (interfaces.length === 0) {
    if (!like) throw new Error(`node "${change.node}" has published no interfaces (no speaker Lease): pass --like NODE to assume another node's interfaces and subnets`);
    interfaces = like.interfaces;
    assumptions.push(`interfaces of ${change.node} assumed to be those of ${like.name} (${like.interfaces.map((x) => `${x.name}=${x.subnets.join(',')}`).join(' ')})`);
  }
  const added: NodeFacts = {
    name: change.node,
    labels: existing?.labels ?? like?.labels ?? {},
    networkUnavailable: existing?.networkUnavailable ?? false,
    member: true,
    draining: false,
    interfaces,
    ...(existing?.primaryInterface ? { primaryInterface: existing.primaryInterface } : like?.primaryInterface ? { primaryInterface: like.primaryInterface } : {}),
  };
  if (!existing) assumptions.push(`${change.node} has no Node object: labels copied from ${like!.name}`);
  if (existing) nodes[i] = added;
  else nodes.push(added);
  return { nodes, assumptions };
}

/** Runs the election for every address with the changed node facts and lists what moves; changes nothing. */
export function simulate(facts: ClusterFacts, view: HeraldView, change: NodeChange, o: ViewOptions): SimulationReport {
  const { nodes, assumptions } = changedNodes(facts, view, change, o.nowMs);
  const moves: Move[] = [];
  for (const a of view.addresses) {
    const after = electAddress(facts, a.object, nodes, o);
    const from = a.election.owner?.node ?? '';
    const to = after.owner?.node ?? '';
    if (from !== to) moves.push({ address: a.address, services: [...a.services], from, to, reason: after.reason ?? '' });
  }
  return {
    change: change.kind === 'drain' ? `drain ${change.node}` : `add ${change.node}${change.like ? ` like ${change.like}` : ''}`,
    moves,
    addresses: view.addresses.length,
    unchanged: view.addresses.length - moves.length,
    assumptions,
  };
}
