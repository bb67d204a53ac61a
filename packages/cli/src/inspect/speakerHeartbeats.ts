import { HEARTBEAT_HEALTH_NAME_LIMIT, type HeartbeatHealthPeers, type HeartbeatHealthReason, type HeartbeatRoundTrip } from '@herald/core';
import type { SpeakerState } from './heraldView.js';

/**
 * A speaker's heartbeat health as status shows it: the speaker's own word (core heartbeatHealth), or
 * - `Unknown`: nothing usable to show (no annotation: an older speaker; a format this CLI does not read;
 *   a report left by an earlier speaker process; a dead speaker) — shown, never a problem;
 * - `Stale`: the report is older than `staleAfterMs` though the Lease is renewed (the writer is stuck);
 * - `NotHeardByPeers`: the speaker hears its peers, but their reports say its heartbeats do not reach them.
 */
export type HeartbeatsWord = HeartbeatHealthReason | 'Unknown' | 'Stale' | 'NotHeardByPeers';

export interface SpeakerHeartbeats {
  health: HeartbeatsWord;
  /** The speaker's message, or why the health is unknown or stale. */
  message: string;
  peers: HeartbeatHealthPeers | null;
  heartbeatsBroken: string[];
  silent: string[];
  roundTrip: HeartbeatRoundTrip | null;
  lastHeartbeatAt: string | null;
  /** Seconds between the newest accepted heartbeat and now (this machine's clock against the speaker's). */
  lastHeartbeatAgoSeconds: number | null;
  /** When the speaker wrote the report. */
  reportedAt: string | null;
  /** Live speakers whose current report lists this node among the peers they do not hear. */
  notHeardBy: string[];
  /** One line for the problems list, if this is one (exit code 4). */
  problem: string | null;
}

/** Speakers write unchanged health every 60 s; a report older than 2.5 of those means the writer is stuck. */
export const DEFAULT_HEALTH_STALE_AFTER_MS = 150_000;

const UNKNOWN = { peers: null, heartbeatsBroken: [], silent: [], roundTrip: null, lastHeartbeatAt: null, lastHeartbeatAgoSeconds: null, reportedAt: null, notHeardBy: [], problem: null };

/**
 * Every speaker's heartbeat health, judged with the Leases: a speaker that hears none of its peers is a
 * problem only if some peer it does not hear has a fresh Lease (else those peers are simply dead, and
 * reported as Dead); a speaker that peers who hear others cannot hear is a problem though it hears them.
 */
export function speakerHeartbeats(speakers: readonly SpeakerState[], nowMs: number, o: { staleAfterMs?: number } = {}): Map<string, SpeakerHeartbeats> {
  const staleAfterMs = o.staleAfterMs ?? DEFAULT_HEALTH_STALE_AFTER_MS;
  const alive = new Set(speakers.filter((s) => s.alive).map((s) => s.node));
  const out = new Map<string, SpeakerHeartbeats>();
  const current = new Map<string, Extract<SpeakerState['heartbeatHealth'], { ok: true }>['value']>();
  for (const s of speakers) {
    const h = s.heartbeatHealth;
    if (!s.alive) {
      out.set(s.node, { ...UNKNOWN, health: 'Unknown', message: 'the speaker is Dead (its Lease expired): no current heartbeat health' });
      continue;
    }
    if (!h.ok) {
      out.set(s.node, { ...UNKNOWN, health: 'Unknown', message: h.error.message });
      continue;
    }
    const r = h.value;
    if (s.incarnation !== undefined && r.incarnation !== s.incarnation) {
      out.set(s.node, { ...UNKNOWN, health: 'Unknown', message: `the report was written by an earlier speaker process (incarnation ${r.incarnation}; the Lease's is ${s.incarnation})` });
      continue;
    }
    const ageMs = nowMs - Date.parse(r.at);
    const shown = {
      peers: r.peers, heartbeatsBroken: [...r.heartbeatsBroken], silent: [...r.silent], roundTrip: r.roundTrip ?? null,
      lastHeartbeatAt: r.lastHeartbeatAt ?? null,
      lastHeartbeatAgoSeconds: r.lastHeartbeatAt === undefined ? null : Math.max(0, Math.round((nowMs - Date.parse(r.lastHeartbeatAt)) / 1000)),
      reportedAt: r.at, notHeardBy: [] as string[],
    };
    if (ageMs > staleAfterMs) {
      const message = `heartbeat health last written ${Math.round(ageMs / 1000)}s ago though the Lease is renewed (a speaker rewrites it at least every 60s): its writer is stuck; last said ${r.reason}`;
      out.set(s.node, { ...shown, health: 'Stale', message, problem: `speaker on ${s.node}: heartbeat health is Stale: ${message}` });
      continue;
    }
    current.set(s.node, r);
    // Names are capped in the report: when some are left out, assume one of them is alive.
    const unheard = [...r.heartbeatsBroken, ...r.silent];
    const truncated = r.heartbeatsBroken.length >= HEARTBEAT_HEALTH_NAME_LIMIT || r.silent.length >= HEARTBEAT_HEALTH_NAME_LIMIT;
    const liveUnheard = unheard.some((n) => alive.has(n)) || truncated;
    const bad = (r.reason === 'NoHeartbeats' || r.reason === 'HeartbeatsBroken') && liveUnheard;
    out.set(s.node, { ...shown, health: r.reason, message: r.message, problem: bad ? `speaker on ${s.node}: heartbeats ${r.reason}: ${r.message}` : null });
  }
  // Who cannot hear whom, from the current reports of speakers that hear some peers: one that hears nobody
  // is most likely the one cut off, and is a problem itself; its list would accuse every healthy peer.
  for (const [by, r] of current) {
    if (r.reason !== 'SomePeersUnheard') continue;
    for (const n of [...r.heartbeatsBroken, ...r.silent]) {
      const target = out.get(n);
      if (target && alive.has(n) && n !== by) target.notHeardBy.push(by);
    }
  }
  for (const [node, v] of out) {
    if (v.notHeardBy.length === 0) continue;
    v.notHeardBy.sort();
    const line = `speaker on ${node} is not heard by ${v.notHeardBy.join(', ')}: their heartbeat health says its heartbeats do not arrive, though its Lease is fresh`;
    if (v.health === 'Healthy' || v.health === 'Joining' || v.health === 'SomePeersUnheard' || v.health === 'Unknown') {
      v.health = 'NotHeardByPeers';
      v.message = line.replace(`speaker on ${node} is `, '');
    }
    v.problem = v.problem ? `${v.problem}; ${line.replace(`speaker on ${node} `, 'and it ')}` : line;
  }
  return out;
}
