/** What the reporter choice needs to know about a node (a subset of NodeFacts). */
export interface ReporterFacts {
  readonly name: string;
  /** A live speaker runs there. */
  readonly member: boolean;
  readonly draining: boolean;
  /** Absent means ready (heartbeats without a readiness flag). */
  readonly ready?: boolean;
}

/**
 * Which single node writes "nobody announces this address, and why" on an LBAddress. Every speaker
 * evaluates this with the same membership and gets the same name, so the no-owner status has one
 * writer instead of one per node. The first live, ready, non-draining speaker by name; a draining or
 * not-yet-ready one only when no other is left (it is about to go, or still learning the cluster).
 */
export function noOwnerReporter(nodes: readonly ReporterFacts[]): string | undefined {
  const live = nodes.filter((n) => n.member).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return (live.find((n) => !n.draining && n.ready !== false) ?? live.find((n) => !n.draining) ?? live[0])?.name;
}
