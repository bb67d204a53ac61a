import * as k8s from '@kubernetes/client-node';
import { readSpeakerLease, SPEAKER_LEASE_SELECTOR, type SpeakerLeaseInfo, type SpeakerLeaseObject } from '@herald/core';
import { Reflector } from '@herald/kube';
import type { Logger } from 'pino';
import { requestTimeout } from './kubeRequestTimeout.js';

export interface SpeakerLeaseSeen {
  readonly info: SpeakerLeaseInfo;
  /** spec.renewTime in ms since the epoch (the renewing node's clock), if set. */
  readonly renewTimeWallMs?: number;
}

export interface SpeakerLeaseWatchOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly namespace: string;
  readonly log: Logger;
  onUpsert(lease: SpeakerLeaseSeen): void;
  onDelete(node: string): void;
  /** Each failed list or dropped watch, for a metric. */
  onRestart?(reason: 'error' | 'gone' | 'inactive'): void;
  /** The first list succeeded (after its onUpserts). */
  onSynced?(): void;
  readonly requestTimeoutMs?: number;
  /** Speakers renew every 10 s, so a watch silent for this long is dead, not quiet. */
  readonly inactivityMs?: number;
}

type LeaseJson = SpeakerLeaseObject & { metadata?: { name?: string; resourceVersion?: string }; spec?: { renewTime?: string | null } | null };

const renewTimeOf = (lease: LeaseJson): number | undefined => {
  const t = lease.spec?.renewTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * The speaker Leases in the release namespace (label-selected), through the shared Reflector (relist on
 * 410, backoff, inactivity restart): the peer list with heartbeat addresses, and Lease freshness for peers
 * whose heartbeats never arrive. This class only turns Lease objects into peer facts.
 */
export class SpeakerLeaseWatch {
  /** Lease name → node, for everything reported through onUpsert. */
  private readonly known = new Map<string, string>();
  private readonly reflector: Reflector<LeaseJson>;

  constructor(private readonly o: SpeakerLeaseWatchOptions) {
    const api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.reflector = new Reflector<LeaseJson>({
      resource: 'speaker-leases',
      path: `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases?labelSelector=${encodeURIComponent(SPEAKER_LEASE_SELECTOR)}`,
      list: () => api.listNamespacedLease({ namespace: o.namespace, labelSelector: SPEAKER_LEASE_SELECTOR }, requestTimeout(o.requestTimeoutMs ?? 5_000)) as never,
      kubeConfig: o.kubeConfig,
      log: o.log,
      inactivityMs: o.inactivityMs ?? 60_000,
      onChange: (type, lease) => (type === 'deleted' ? this.gone(lease.metadata?.name ?? '') : this.seen(lease)),
      onRestart: (reason) => {
        if (reason !== 'closed') o.onRestart?.(reason);
      },
    });
  }

  /** The first list succeeded: the peer list is known (the readiness gate waits for it). */
  synced = false;

  start(): void {
    void this.reflector.start().then(() => {
      this.synced = true;
      this.o.onSynced?.();
    });
  }

  stop(): void {
    this.reflector.stop();
  }

  private seen(lease: LeaseJson): void {
    const name = lease.metadata?.name ?? '';
    const r = readSpeakerLease(lease);
    if (!r.ok) {
      this.o.log.debug({ event: 'speakerLeaseIgnored', lease: name, reason: r.error.reason, err: r.error.message }, 'not a speaker Lease');
      this.gone(name);
      return;
    }
    if (r.value.warnings.length > 0) this.o.log.debug({ event: 'speakerLeaseWarnings', lease: name, warnings: r.value.warnings }, 'speaker Lease partly unreadable');
    const previous = this.known.get(name);
    if (previous !== undefined && previous !== r.value.node) this.o.onDelete(previous);
    this.known.set(name, r.value.node);
    const renewTimeWallMs = renewTimeOf(lease);
    this.o.onUpsert(renewTimeWallMs === undefined ? { info: r.value } : { info: r.value, renewTimeWallMs });
  }

  private gone(name: string): void {
    const node = this.known.get(name);
    if (node === undefined) return;
    this.known.delete(name);
    this.o.onDelete(node);
  }
}
