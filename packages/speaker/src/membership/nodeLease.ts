import * as k8s from '@kubernetes/client-node';
import { SPEAKER_LEASE_ANNOTATIONS, SPEAKER_LEASE_LABELS, speakerLeaseAnnotations, speakerLeaseName, type SpeakerLeaseState } from '@herald/core';
import type { Logger } from 'pino';
import { requestTimeout } from './kubeRequestTimeout.js';
import { realTimers, type Timers } from './timers.js';

export interface NodeLeaseOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly namespace: string;
  readonly node: string;
  /** Set on the Lease so it goes away with the speaker's ServiceAccount (helm uninstall). */
  readonly owner?: { apiVersion: string; kind: string; name: string; uid: string };
  /** Read at every write, so the Lease always carries the current heartbeat address and state. */
  readonly state: () => SpeakerLeaseState;
  readonly renewIntervalMs?: number;
  readonly durationMs?: number;
  readonly requestTimeoutMs?: number;
  readonly log: Logger;
  readonly onRenewal?: (result: 'ok' | 'error') => void;
  /**
   * Asked before each renewal; false skips it (looked at again within 500 ms): Membership's maySend. With
   * membership in its worker the Lease is renewed on the main thread, which renews nothing while wedged.
   */
  readonly mayRenew?: () => boolean;
  readonly timers?: Timers;
  readonly wallNow?: () => number;
}

export const DEFAULT_LEASE_RENEW_MS = 10_000;
export const DEFAULT_LEASE_DURATION_MS = 30_000;

/** MicroTime as the API writes it: RFC 3339 with exactly six fractional digits. */
export const microTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}000Z`;

const errorText = (e: unknown): string => {
  const code = (e as { code?: unknown }).code;
  return `${(e as Error).message ?? String(e)}${code === undefined ? '' : ` (${String(code)})`}`;
};

/**
 * Keeps this node's Lease `herald-speaker-<node>` renewed: one merge-patch per renewal (create on 404),
 * holder = node name, heartbeat address/port and state in annotations. When the API server cannot be
 * reached, renewals fail quietly — counted, logged at debug, one warning when they start failing and
 * one note when they recover — and are retried with backoff; heartbeats carry on regardless.
 */
export class NodeLease {
  private readonly api: k8s.CoordinationV1Api;
  private readonly timers: Timers;
  private readonly renewIntervalMs: number;
  private readonly durationMs: number;
  private timer: unknown;
  private running = false;
  private inFlight = false;
  private again = false;
  private failures = 0;

  constructor(private readonly o: NodeLeaseOptions) {
    this.api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.timers = o.timers ?? realTimers;
    this.renewIntervalMs = o.renewIntervalMs ?? DEFAULT_LEASE_RENEW_MS;
    this.durationMs = o.durationMs ?? DEFAULT_LEASE_DURATION_MS;
    if (this.durationMs < 1000 || this.durationMs % 1000 !== 0) throw new RangeError(`Lease duration must be whole seconds, not ${this.durationMs} ms`);
  }

  get name(): string {
    return speakerLeaseName(this.o.node);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.renew();
  }

  stop(): void {
    this.running = false;
    this.timers.clearTimeout(this.timer);
  }

  /** The state changed (draining, interfaces): write it now rather than at the next renewal. */
  poke(): void {
    if (!this.running) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.timers.clearTimeout(this.timer);
    this.renew();
  }

  private renew(): void {
    if (this.o.mayRenew && !this.o.mayRenew()) {
      this.timer = this.timers.setTimeout(() => this.renew(), Math.min(this.renewIntervalMs, 500));
      return;
    }
    this.inFlight = true;
    void this.write().then((ok) => {
      this.inFlight = false;
      this.o.onRenewal?.(ok ? 'ok' : 'error');
      if (!this.running) return;
      if (ok) {
        if (this.failures > 0) this.o.log.info({ event: 'leaseRenewalRecovered', lease: this.name, failures: this.failures }, 'Lease renewals work again');
        this.failures = 0;
      } else {
        this.failures++;
      }
      const wait = this.again ? 0 : ok ? this.renewIntervalMs : Math.min(this.renewIntervalMs, 500 * 2 ** Math.min(this.failures, 10));
      this.again = false;
      this.timer = this.timers.setTimeout(() => this.renew(), wait);
    });
  }

  private async write(): Promise<boolean> {
    const { namespace, node } = this.o;
    const name = this.name;
    const now = microTime((this.o.wallNow ?? Date.now)());
    const timeout = requestTimeout(this.o.requestTimeoutMs ?? 5_000);
    const metadata = {
      labels: { ...SPEAKER_LEASE_LABELS },
      annotations: speakerLeaseAnnotations(this.o.state()),
      ...(this.o.owner ? { ownerReferences: [this.o.owner] } : {}),
    };
    const spec = { holderIdentity: node, leaseDurationSeconds: this.durationMs / 1000, renewTime: now };
    try {
      try {
        await this.api.patchNamespacedLease({ name, namespace, body: { metadata, spec } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, timeout));
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace, ...metadata }, spec: { ...spec, acquireTime: now } as unknown as k8s.V1LeaseSpec } }, timeout);
      }
      return true;
    } catch (e) {
      const fields = { event: 'leaseRenewalFailed', lease: `${namespace}/${name}`, err: errorText(e), failures: this.failures + 1 };
      if (this.failures === 0) this.o.log.warn(fields, 'cannot renew the speaker Lease; membership continues on heartbeats');
      else this.o.log.debug(fields, 'cannot renew the speaker Lease');
      return false;
    }
  }
}

/**
 * The incarnation this node's previous speaker published, if its Lease can be read within `timeoutMs`:
 * lets a restart pick a larger incarnation even when the clock went backwards (see chooseIncarnation).
 */
export async function readPreviousIncarnation(o: { kubeConfig: k8s.KubeConfig; namespace: string; node: string; timeoutMs: number }): Promise<number | undefined> {
  try {
    const api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    const lease = await api.readNamespacedLease({ name: speakerLeaseName(o.node), namespace: o.namespace }, requestTimeout(o.timeoutMs));
    const text = lease.metadata?.annotations?.[SPEAKER_LEASE_ANNOTATIONS.incarnation];
    const n = text === undefined ? NaN : Number(text);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
