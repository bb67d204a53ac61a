import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { MembershipLeaseHooks, MembershipLeases } from './membershipLeases.js';
import { DEFAULT_LEASE_DURATION_MS, NodeLease } from './nodeLease.js';
import { SpeakerLeaseWatch } from './speakerLeaseWatch.js';
import type { Timers } from './timers.js';

export interface KubeLeasesOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly namespace: string;
  readonly node: string;
  readonly owner?: { apiVersion: string; kind: string; name: string; uid: string };
  readonly renewIntervalMs?: number;
  readonly durationMs?: number;
  readonly requestTimeoutMs?: number;
  readonly log: Logger;
  /** The peer list became known (after the hooks' upserts of the first list). */
  readonly onSynced?: () => void;
  readonly timers?: Timers;
  readonly wallNow?: () => number;
}

/** The speaker Leases through the API server from this thread: NodeLease renews ours, SpeakerLeaseWatch lists the peers'. */
export class KubeLeases implements MembershipLeases {
  readonly durationMs: number;
  private nodeLease: NodeLease | undefined;
  private watch: SpeakerLeaseWatch | undefined;

  constructor(private readonly o: KubeLeasesOptions) {
    this.durationMs = o.durationMs ?? DEFAULT_LEASE_DURATION_MS;
  }

  get synced(): boolean {
    return this.watch?.synced ?? false;
  }

  start(hooks: MembershipLeaseHooks): void {
    const o = this.o;
    this.nodeLease = new NodeLease({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      ...(o.owner ? { owner: o.owner } : {}),
      node: o.node,
      state: () => hooks.state(),
      durationMs: this.durationMs,
      ...(o.renewIntervalMs === undefined ? {} : { renewIntervalMs: o.renewIntervalMs }),
      ...(o.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: o.requestTimeoutMs }),
      log: o.log,
      onRenewal: (result) => hooks.onRenewal(result),
      ...(hooks.mayRenew ? { mayRenew: () => hooks.mayRenew!() } : {}),
      ...(o.timers ? { timers: o.timers } : {}),
      ...(o.wallNow ? { wallNow: o.wallNow } : {}),
    });
    this.watch = new SpeakerLeaseWatch({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      log: o.log,
      onUpsert: (seen) => hooks.onUpsert(seen),
      onDelete: (node) => hooks.onDelete(node),
      onRestart: (reason) => hooks.onRestart(reason),
      ...(o.onSynced ? { onSynced: o.onSynced } : {}),
      ...(o.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: o.requestTimeoutMs }),
    });
    this.nodeLease.start();
    this.watch.start();
  }

  poke(): void {
    this.nodeLease?.poke();
  }

  stop(): void {
    this.nodeLease?.stop();
    this.watch?.stop();
  }
}
