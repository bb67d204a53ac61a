import { err, ok, type Result } from '../result.js';
import { HEARTBEAT_HEALTH_REASONS, type HeartbeatHealth, type HeartbeatHealthPeers, type HeartbeatHealthReason, type HeartbeatRoundTrip } from './heartbeatHealth.js';
import { isNodeName } from './heartbeat.js';

/**
 * A speaker's heartbeat health as it publishes it on its own Lease `herald-speaker-<node>`, for
 * `kubectl herald status` (nothing in the data plane reads it). Small versioned JSON: a reader that does
 * not know the version, or finds no annotation (a speaker older than this), shows "unknown".
 */
export const HEARTBEAT_HEALTH_ANNOTATION = 'herald.dev/heartbeat-health';
export const HEARTBEAT_HEALTH_FORMAT = 1;

export interface HeartbeatHealthReport {
  readonly v: typeof HEARTBEAT_HEALTH_FORMAT;
  /** When the speaker computed it (RFC 3339, its wall clock). */
  readonly at: string;
  /** The speaker process that wrote it: a report of an earlier incarnation than the Lease's is left over. */
  readonly incarnation: number;
  readonly reason: HeartbeatHealthReason;
  readonly message: string;
  readonly peers: HeartbeatHealthPeers;
  readonly heartbeatsBroken: readonly string[];
  readonly silent: readonly string[];
  readonly roundTrip?: HeartbeatRoundTrip;
  /** When the newest accepted heartbeat arrived (RFC 3339, the speaker's wall clock). */
  readonly lastHeartbeatAt?: string;
}

/** Why a Lease's health annotation cannot be shown: all read as "unknown", none is an error. */
export type HeartbeatHealthUnknown = 'NotPublished' | 'UnknownFormat' | 'Malformed';

export interface HeartbeatHealthUnreadable {
  readonly reason: HeartbeatHealthUnknown;
  readonly message: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** The report for `health`; `at`/`lastHeartbeatAt` come formatted from the adapter (core has no clock). */
export function heartbeatHealthReport(health: HeartbeatHealth, o: { at: string; incarnation: number; lastHeartbeatAt?: string }): HeartbeatHealthReport {
  return {
    v: HEARTBEAT_HEALTH_FORMAT,
    at: o.at,
    incarnation: o.incarnation,
    reason: health.reason,
    message: health.message,
    peers: health.peers,
    heartbeatsBroken: health.heartbeatsBroken,
    silent: health.silent,
    ...(health.roundTrip ? { roundTrip: health.roundTrip } : {}),
    ...(o.lastHeartbeatAt === undefined ? {} : { lastHeartbeatAt: o.lastHeartbeatAt }),
  };
}

export const formatHeartbeatHealthReport = (r: HeartbeatHealthReport): string => JSON.stringify(r);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isMs = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isNames = (x: unknown): x is string[] => Array.isArray(x) && x.every((n) => typeof n === 'string' && isNodeName(n));

/** Reads the annotation's text; every way it can be unusable is a reason, never a throw. */
export function readHeartbeatHealthReport(text: string | undefined): Result<HeartbeatHealthReport, HeartbeatHealthUnreadable> {
  if (text === undefined) return err({ reason: 'NotPublished', message: `no ${HEARTBEAT_HEALTH_ANNOTATION} annotation (a speaker older than this kubectl-herald, or one that has not published yet)` });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return err({ reason: 'UnknownFormat', message: `${HEARTBEAT_HEALTH_ANNOTATION} is not JSON: an older or newer speaker's format` });
  }
  if (!isObject(raw) || raw.v !== HEARTBEAT_HEALTH_FORMAT) {
    const v = isObject(raw) ? JSON.stringify(raw.v ?? null) : 'none';
    return err({ reason: 'UnknownFormat', message: `${HEARTBEAT_HEALTH_ANNOTATION} has format version ${v}; this kubectl-herald reads version ${HEARTBEAT_HEALTH_FORMAT}` });
  }
  const bad = (field: string) => err({ reason: 'Malformed' as const, message: `${HEARTBEAT_HEALTH_ANNOTATION}: field ${field} is missing or not valid` });
  if (typeof raw.at !== 'string' || !RFC3339.test(raw.at)) return bad('at');
  if (!isCount(raw.incarnation) || raw.incarnation === 0) return bad('incarnation');
  if (typeof raw.reason !== 'string' || !(HEARTBEAT_HEALTH_REASONS as readonly string[]).includes(raw.reason)) return bad('reason');
  if (typeof raw.message !== 'string') return bad('message');
  const p = raw.peers;
  if (!isObject(p) || !['known', 'alive', 'heard', 'judgedByLease', 'dead'].every((k) => isCount(p[k]))) return bad('peers');
  if (!isNames(raw.heartbeatsBroken)) return bad('heartbeatsBroken');
  if (!isNames(raw.silent)) return bad('silent');
  const rt = raw.roundTrip;
  if (rt !== undefined && !(isObject(rt) && isCount(rt.samples) && isMs(rt.medianMs) && isMs(rt.maxMs))) return bad('roundTrip');
  if (raw.lastHeartbeatAt !== undefined && (typeof raw.lastHeartbeatAt !== 'string' || !RFC3339.test(raw.lastHeartbeatAt))) return bad('lastHeartbeatAt');
  const peers = p as unknown as HeartbeatHealthPeers;
  return ok({
    v: HEARTBEAT_HEALTH_FORMAT,
    at: raw.at,
    incarnation: raw.incarnation,
    reason: raw.reason as HeartbeatHealthReason,
    message: raw.message,
    peers: { known: peers.known, alive: peers.alive, heard: peers.heard, judgedByLease: peers.judgedByLease, dead: peers.dead },
    heartbeatsBroken: raw.heartbeatsBroken,
    silent: raw.silent,
    ...(rt === undefined ? {} : { roundTrip: { samples: (rt as { samples: number }).samples, medianMs: (rt as { medianMs: number }).medianMs, maxMs: (rt as { maxMs: number }).maxMs } }),
    ...(raw.lastHeartbeatAt === undefined ? {} : { lastHeartbeatAt: raw.lastHeartbeatAt }),
  });
}
