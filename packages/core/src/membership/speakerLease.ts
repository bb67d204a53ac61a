import { formatAddress, parseAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import { isInterfaceName, isNodeName, type HeartbeatInterface } from './heartbeat.js';
import { formatInterfaceCidr, parseInterfaceCidr } from './interfaceCidr.js';

/**
 * The per-node Lease `herald-speaker-<node>` (coordination.k8s.io/v1, release namespace): holder = node
 * name, renewed every 10 s. Its annotations tell peers where to send heartbeats and, for a peer judged
 * by its Lease because no heartbeat ever arrived, enough state to keep it an election candidate.
 */
export const SPEAKER_LEASE_PREFIX = 'herald-speaker-';
export const SPEAKER_LEASE_LABELS = { 'app.kubernetes.io/component': 'speaker', 'app.kubernetes.io/part-of': 'herald' } as const;
export const SPEAKER_LEASE_SELECTOR = Object.entries(SPEAKER_LEASE_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
export const SPEAKER_LEASE_ANNOTATIONS = {
  heartbeatAddress: 'herald.dev/heartbeat-address',
  heartbeatPort: 'herald.dev/heartbeat-port',
  incarnation: 'herald.dev/incarnation',
  draining: 'herald.dev/draining',
  ready: 'herald.dev/ready',
  interfaces: 'herald.dev/interfaces',
  /** `v2` on a speaker that speaks membership version 2 (ADR 0012, Rollout); absent on older speakers. */
  membership: 'herald.dev/membership',
} as const;

export const speakerLeaseName = (node: string): string => `${SPEAKER_LEASE_PREFIX}${node}`;

export interface SpeakerLeaseState {
  readonly heartbeatAddress: string;
  readonly heartbeatPort: number;
  readonly incarnation: number;
  readonly draining: boolean;
  /** False while the speaker starts (see Heartbeat.notReady); peers hand it no address until true. */
  readonly ready: boolean;
  readonly interfaces: readonly HeartbeatInterface[];
  /** Published only by a version-2 speaker (a forced version-1 speaker writes nothing, like old ones). */
  readonly membership?: string;
}

/** Annotation values for the node's own Lease. Interfaces as `eth0=192.0.2.11/24,2001:db8::b/64;eth1=`. */
export function speakerLeaseAnnotations(s: SpeakerLeaseState): Record<string, string> {
  const A = SPEAKER_LEASE_ANNOTATIONS;
  return {
    [A.heartbeatAddress]: s.heartbeatAddress,
    [A.heartbeatPort]: String(s.heartbeatPort),
    [A.incarnation]: String(s.incarnation),
    [A.draining]: String(s.draining),
    [A.ready]: String(s.ready),
    [A.interfaces]: s.interfaces.map((i) => `${i.name}=${i.subnets.join(',')}`).join(';'),
    ...(s.membership === undefined ? {} : { [A.membership]: s.membership }),
  };
}

/** The shape of a Lease this module reads: plain JSON as a watch delivers it. */
export interface SpeakerLeaseObject {
  readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> | null };
  readonly spec?: { readonly holderIdentity?: string | null; readonly leaseDurationSeconds?: number | null } | null;
}

export interface SpeakerLeaseInfo {
  readonly node: string;
  readonly durationMs?: number;
  readonly heartbeatAddress?: string;
  readonly heartbeatPort?: number;
  readonly incarnation?: number;
  readonly draining: boolean;
  /** Absent annotation (a speaker that predates it) reads as ready. */
  readonly ready: boolean;
  readonly interfaces?: readonly HeartbeatInterface[];
  /** The `herald.dev/membership` annotation as written (`v2`), absent on speakers that predate it. */
  readonly membership?: string;
  /** Annotations that could not be read; the fields they would fill are left out. */
  readonly warnings: readonly string[];
}

export type SpeakerLeaseProblem = 'NotSpeakerLease' | 'NoHolder' | 'HolderMismatch';

export interface SpeakerLeaseError {
  readonly reason: SpeakerLeaseProblem;
  readonly message: string;
}

function parseInterfaces(text: string): HeartbeatInterface[] | string {
  if (text === '') return [];
  const out: HeartbeatInterface[] = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!isInterfaceName(name)) return `interface name ${JSON.stringify(name)} is not valid`;
    const subnets: string[] = [];
    for (const s of eq < 0 || eq === part.length - 1 ? [] : part.slice(eq + 1).split(',')) {
      const r = parseInterfaceCidr(s);
      if (!r.ok) return `subnet on ${name}: ${r.error}`;
      subnets.push(formatInterfaceCidr(r.value));
    }
    out.push({ name, subnets });
  }
  return out;
}

/** Reads a speaker Lease; a Lease of something else, or without a holder matching its name, is refused. */
export function readSpeakerLease(lease: SpeakerLeaseObject): Result<SpeakerLeaseInfo, SpeakerLeaseError> {
  const name = lease.metadata?.name ?? '';
  if (!name.startsWith(SPEAKER_LEASE_PREFIX)) {
    return err({ reason: 'NotSpeakerLease', message: `Lease ${JSON.stringify(name)} is not named ${SPEAKER_LEASE_PREFIX}<node>` });
  }
  const holder = lease.spec?.holderIdentity ?? '';
  if (holder === '' || !isNodeName(holder)) {
    return err({ reason: 'NoHolder', message: `Lease ${name} has no holder that is a node name (holderIdentity ${JSON.stringify(holder)})` });
  }
  if (speakerLeaseName(holder) !== name) {
    return err({ reason: 'HolderMismatch', message: `Lease ${name} is held by ${holder}; a speaker Lease is held by the node it is named after` });
  }
  const a = lease.metadata?.annotations ?? {};
  const A = SPEAKER_LEASE_ANNOTATIONS;
  const warnings: string[] = [];
  const info: { -readonly [K in keyof SpeakerLeaseInfo]: SpeakerLeaseInfo[K] } = { node: holder, draining: a[A.draining] === 'true', ready: a[A.ready] !== 'false', warnings };
  const seconds = lease.spec?.leaseDurationSeconds;
  if (typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0) info.durationMs = seconds * 1000;
  else warnings.push(`spec.leaseDurationSeconds ${JSON.stringify(seconds)} is not a positive integer`);
  const address = a[A.heartbeatAddress];
  if (address !== undefined) {
    const r = parseAddress(address);
    if (r.ok) info.heartbeatAddress = formatAddress(r.value);
    else warnings.push(`${A.heartbeatAddress} ${JSON.stringify(address)}: ${r.error.message}`);
  }
  const port = a[A.heartbeatPort];
  if (port !== undefined) {
    if (/^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 0xffff) info.heartbeatPort = Number(port);
    else warnings.push(`${A.heartbeatPort} ${JSON.stringify(port)} is not a port 1-65535`);
  }
  const incarnation = a[A.incarnation];
  if (incarnation !== undefined) {
    if (/^[1-9][0-9]{0,15}$/.test(incarnation) && Number.isSafeInteger(Number(incarnation))) info.incarnation = Number(incarnation);
    else warnings.push(`${A.incarnation} ${JSON.stringify(incarnation)} is not a positive integer`);
  }
  if (a[A.membership] !== undefined) info.membership = a[A.membership];
  const interfaces = a[A.interfaces];
  if (interfaces !== undefined) {
    const r = parseInterfaces(interfaces);
    if (typeof r === 'string') warnings.push(`${A.interfaces}: ${r}`);
    else info.interfaces = r;
  }
  return ok(info);
}
