import type { HeraldView } from './heraldView.js';
import { speakerHeartbeats, type SpeakerHeartbeats } from './speakerHeartbeats.js';

/** `kubectl herald status` as data: what -o json|yaml prints, and what the tables show. */
export interface StatusReport {
  pools: { name: string; valid: boolean; reason: string; size: string; used: string; free: string; message: string }[];
  /** state: Ready, Draining, NotReady, Dead (Lease expired), or NoSpeaker (a Linux node without a speaker Lease). */
  speakers: { node: string; state: string; lease: string; heartbeatAddress: string; interfaces: string; addresses: string[]; heartbeats: Omit<SpeakerHeartbeats, 'problem'> }[];
  /** node: what the speakers reported on the LBAddress; elected: electOwner now (they differ during a hand-over). */
  addresses: { address: string; pool: string; services: string[]; node: string; elected: string; reason: string }[];
  /** Addresses nobody may announce, and why (electOwner's reason and message). */
  unowned: { address: string; reason: string; message: string; reportedBy: string }[];
  /** herald Services without every address they want (planService's reason). */
  pending: { service: string; reason: string; message: string }[];
  /** One line per thing that is wrong; non-empty means exit code 4. */
  problems: string[];
}

/**
 * The cluster's herald state, from the replayed decisions. Problems: an invalid pool, a speaker whose Lease
 * expired or that is not ready, a speaker whose heartbeats are broken or stale (speakerHeartbeats), an
 * address without an owner, a Service waiting for an address. A draining speaker is not a problem (it is
 * leaving on purpose), nor is a speaker whose heartbeat health is unknown (an older speaker).
 */
export function statusReport(view: HeraldView, o: { nowMs: number; staleAfterMs?: number }): StatusReport {
  const problems: string[] = [];
  const pools = [...view.verdicts.values()]
    .sort((a, b) => (a.pool < b.pool ? -1 : 1))
    .map((v) => {
      const u = view.allocator.usage(v.pool);
      const size = u ? u.v4.total + u.v6.total : 0n;
      const used = u ? u.v4.inUse + u.v6.inUse : 0n;
      if (!v.valid) problems.push(`pool ${v.pool} is ${v.reason}: ${v.message}`);
      return { name: v.pool, valid: v.valid, reason: v.reason, size: String(size), used: String(used), free: String(size - used), message: v.message };
    });
  const reported = new Map<string, string[]>();
  for (const a of view.addresses) {
    const node = a.object.status?.node;
    if (node) reported.set(node, [...(reported.get(node) ?? []), a.address]);
  }
  const heartbeats = speakerHeartbeats(view.speakers, o.nowMs, o.staleAfterMs === undefined ? {} : { staleAfterMs: o.staleAfterMs });
  const speakers: StatusReport['speakers'] = view.speakers.map((s) => {
    const { problem, ...hb } = heartbeats.get(s.node)!;
    if (problem) problems.push(problem);
    if (s.state === 'Dead') problems.push(`speaker on ${s.node} is Dead: its Lease was last renewed ${s.renewedAgoSeconds ?? '?'}s ago (duration ${s.leaseDurationSeconds ?? '?'}s)`);
    if (s.state === 'NotReady') problems.push(`speaker on ${s.node} is NotReady (still starting, or stuck starting)`);
    return {
      node: s.node,
      state: s.state,
      lease: s.renewedAgoSeconds === undefined ? 'never renewed' : `renewed ${s.renewedAgoSeconds}s ago/${s.leaseDurationSeconds ?? '?'}s`,
      heartbeatAddress: s.heartbeatAddress ?? '',
      interfaces: s.interfaces.map((i) => `${i.name}=${i.subnets.join(',')}`).join(' '),
      addresses: reported.get(s.node) ?? [],
      heartbeats: hb,
    };
  });
  // A Linux node without a speaker Lease answers for nothing: shown, not a problem (the DaemonSet may exclude it on purpose).
  const leased = new Set(view.speakers.map((s) => s.node));
  for (const n of view.nodes) {
    const os = n.labels['kubernetes.io/os'];
    if (leased.has(n.name) || (os !== undefined && os !== 'linux')) continue;
    const heartbeats = { health: 'Unknown' as const, message: 'no speaker on this node', peers: null, heartbeatsBroken: [], silent: [], roundTrip: null, lastHeartbeatAt: null, lastHeartbeatAgoSeconds: null, reportedAt: null, notHeardBy: [] };
    speakers.push({ node: n.name, state: 'NoSpeaker', lease: 'no Lease', heartbeatAddress: '', interfaces: '', addresses: reported.get(n.name) ?? [], heartbeats });
  }
  speakers.sort((a, b) => (a.node < b.node ? -1 : 1));
  const addresses = view.addresses.map((a) => ({
    address: a.address,
    pool: a.pool,
    services: [...a.services],
    node: a.object.status?.node ?? '',
    elected: a.election.owner?.node ?? '',
    reason: a.election.reason ?? '',
  }));
  const unowned = view.addresses
    .filter((a) => !a.election.owner)
    .map((a) => ({ address: a.address, reason: a.election.reason ?? 'NoEligibleNode', message: a.election.message, reportedBy: a.reporter ?? '' }));
  for (const u of unowned) problems.push(`${u.address} has no owner: ${u.reason}: ${u.message}`);
  const pending = [...view.plans.values()]
    .filter((p) => p.waiting || p.reason !== 'Assigned')
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((p) => ({ service: p.key, reason: p.reason, message: p.status.conditions[0]?.message ?? '' }));
  for (const p of pending) problems.push(`${p.service} has no address: ${p.reason}: ${p.message}`);
  return { pools, speakers, addresses, unowned, pending, problems };
}
