import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep } from '@herald/kube';

export interface LeaderElectionOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** Set on the Lease so it goes away with the controller's ServiceAccount (helm uninstall). */
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
}

const micro = (d: Date) => new k8s.V1MicroTime(d.getTime());
const asDate = (t: unknown): Date | undefined => (t === undefined || t === null ? undefined : new Date(t as string));

/**
 * Lease-based leader election (client-node has none). One holder at a time; standbys poll and take over
 * when the holder stops renewing for leaseDuration. A process restarting under the same identity (same
 * Pod) re-acquires at once. On graceful stop the holder gives the lease up so a standby takes over now.
 */
export class LeaderElection {
  private readonly api: k8s.CoordinationV1Api;
  private leading = false;

  constructor(private readonly o: LeaderElectionOptions) {
    this.api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Acquires, then renews until `signal` aborts or renewal fails for renewDeadline; returns when no longer leader. */
  async run(signal: AbortSignal, onStartedLeading: (lost: AbortSignal) => Promise<void> | void): Promise<void> {
    while (!signal.aborted && !(await this.tryAcquireOrRenew())) await sleep(this.o.retryPeriodMs, signal);
    if (signal.aborted) return;
    this.leading = true;
    this.o.log.info({ event: 'leaderElected', lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became the active controller');
    const lost = new AbortController();
    const leading = Promise.resolve(onStartedLeading(lost.signal));
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.o.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.o.renewDeadlineMs) {
        this.o.log.error({ event: 'leaderLost', identity: this.o.identity }, 'could not renew the lease in time; stepping down');
        break;
      }
    }
    this.leading = false;
    lost.abort();
    await leading.catch(() => undefined);
    if (signal.aborted) await this.release();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const { namespace, name, identity } = this.o;
    const leaseDurationSeconds = Math.ceil(this.o.leaseDurationMs / 1000);
    try {
      let lease: k8s.V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
        await this.api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace, ...(this.o.owner ? { ownerReferences: [this.o.owner] } : {}) }, spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: micro(now), renewTime: micro(now), leaseTransitions: 0 } },
        });
        return true;
      }
      const spec = lease.spec ?? {};
      const renewed = asDate(spec.renewTime) ?? new Date(0);
      const expired = renewed.getTime() + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
      const mine = spec.holderIdentity === identity;
      if (!mine && spec.holderIdentity && !expired) return false;
      lease.spec = {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: micro(now),
        acquireTime: mine ? (spec.acquireTime ? micro(new Date(spec.acquireTime as unknown as string)) : micro(now)) : micro(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      };
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code !== 409) this.o.log.warn({ event: 'leaseError', err: (e as Error).message, code }, 'lease read/write failed');
      return false;
    }
  }

  /**
   * Deletes the Lease if we still hold it (only ours, by resourceVersion precondition): a standby creates
   * it anew on its next poll, and after `helm uninstall` no Lease is left behind.
   */
  private async release(): Promise<void> {
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.api.deleteNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: { preconditions: { resourceVersion: lease.metadata?.resourceVersion } },
      });
      this.o.log.info({ event: 'leaderReleased', identity: this.o.identity }, 'gave up the lease for a fast takeover');
    } catch {
      // Best effort: the lease expires by itself.
    }
  }
}
