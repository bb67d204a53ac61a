import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep } from './backoff.js';
import { guardedApiClient } from './guardedApiClient.js';
import { decideLease, leaseStillHeld, type LeaseDecision, type LeaseObservation, type LeaseReason, type LeaseRecordView } from './leaseDecision.js';
import type { Leadership } from './leadership.js';

export interface LeaderElectorOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** A leader that has not renewed within this long steps down; must be shorter than leaseDurationMs. */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** Set on the Lease so it goes away with the owner (the controller's ServiceAccount, on helm uninstall). */
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
  /** Monotonic milliseconds; every expiry and deadline is measured on it. Tests inject a fake. */
  monotonicNow?: () => number;
  /** Wall clock, only for the informational acquireTime/renewTime fields that kubectl shows. */
  wallNow?: () => Date;
}

type StepDownReason = Extract<LeaseReason, 'TakenByOther' | 'RenewDeadlineExceeded'>;
/** Why leadership ended, for the `leaderLost` log and the caller. */
export type LeadershipEnd = StepDownReason | 'Stopped';
type Attempt = { holding: boolean; stepDown?: StepDownReason; expiresInMs?: number };

const micro = (d: Date) => new k8s.V1MicroTime(d.getTime());
const codeOf = (e: unknown) => (e as { code?: number }).code;

/**
 * Lease-based leader election (client-node has none), following client-go's leaderelection: decisions
 * come from decideLease() (pure); this class reads and writes the Lease, every call bounded by a timeout
 * of renewDeadline/2, and hands out a Leadership whose holds() turns false the moment the last successful
 * renewal is renewDeadline old — on the monotonic clock, so a process frozen by SIGSTOP or a wall-clock
 * step cannot keep acting on a Lease a standby has meanwhile taken.
 */
export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private readonly now: () => number;
  private readonly wallNow: () => Date;
  private observed: LeaseObservation | undefined;
  /** Monotonic send time of our last successful write of the Lease; undefined while not leading. */
  private renewedAtMs: number | undefined;
  /** resourceVersion our last write produced: the precondition for giving the Lease up. */
  private ownVersion: string | undefined;
  private lastLoggedHolder: string | undefined | null = null;

  constructor(private readonly o: LeaderElectorOptions) {
    if (o.renewDeadlineMs >= o.leaseDurationMs) throw new Error(`renewDeadline (${o.renewDeadlineMs} ms) must be shorter than leaseDuration (${o.leaseDurationMs} ms)`);
    this.api = guardedApiClient(o.kubeConfig, k8s.CoordinationV1Api, { timeoutMs: Math.max(1, Math.floor(o.renewDeadlineMs / 2)) });
    this.now = o.monotonicNow ?? (() => performance.now());
    this.wallNow = o.wallNow ?? (() => new Date());
  }

  /**
   * Waits to acquire, then renews every retryPeriod until `signal` aborts or leadership is lost; calls
   * `onStartedLeading` once with the Leadership and resolves (with why it ended) after that returns.
   */
  async run(signal: AbortSignal, onStartedLeading: (leadership: Leadership) => Promise<void> | void): Promise<LeadershipEnd> {
    for (;;) {
      if (signal.aborted) break;
      const a = await this.attempt();
      if (a.holding) break;
      // Wake when the observed record would expire rather than up to a retry period later.
      await sleep(Math.min(this.o.retryPeriodMs, Math.max(a.expiresInMs ?? this.o.retryPeriodMs, 0) + 1), signal);
    }
    if (signal.aborted) return 'Stopped';
    this.o.log.info({ event: 'leaderElected', lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became the leader');

    const lost = new AbortController();
    let end: LeadershipEnd = 'Stopped';
    const stepDown = (why: LeadershipEnd) => {
      if (lost.signal.aborted) return;
      end = why;
      lost.abort(why);
      if (why !== 'Stopped') this.o.log.error({ event: 'leaderLost', identity: this.o.identity, reason: why }, 'lost the Lease; stepping down and fencing writes');
    };
    const holds = () => {
      if (lost.signal.aborted) return false;
      if (leaseStillHeld({ nowMs: this.now(), renewedAtMs: this.renewedAtMs, renewDeadlineMs: this.o.renewDeadlineMs })) return true;
      stepDown('RenewDeadlineExceeded');
      return false;
    };
    // Fires at the deadline even if the loop below is stuck in a call (calls time out, but this is exact).
    let deadline: NodeJS.Timeout | undefined;
    const armDeadline = () => {
      clearTimeout(deadline);
      const left = (this.renewedAtMs ?? 0) + this.o.renewDeadlineMs - this.now();
      deadline = setTimeout(() => holds(), Math.max(0, left) + 1);
    };
    armDeadline();
    const stopped = () => stepDown('Stopped');
    signal.addEventListener('abort', stopped, { once: true });
    if (signal.aborted) stopped();
    // If the work ends by itself (or fails) while we lead, give the Lease up rather than hold it idle.
    const leading = Promise.resolve()
      .then(() => onStartedLeading({ signal: lost.signal, holds }))
      .catch((e: Error) => this.o.log.error({ event: 'leaderFailed', err: e.message }, 'the leader loop failed'))
      .finally(stopped);

    while (!lost.signal.aborted) {
      await sleep(this.o.retryPeriodMs, lost.signal);
      if (!holds()) break;
      const a = await this.attempt();
      if (a.stepDown) stepDown(a.stepDown);
      else if (a.holding) armDeadline();
      else holds();
    }
    clearTimeout(deadline);
    signal.removeEventListener('abort', stopped);
    await leading;
    const releasable = end === 'Stopped' && leaseStillHeld({ nowMs: this.now(), renewedAtMs: this.renewedAtMs, renewDeadlineMs: this.o.renewDeadlineMs });
    this.renewedAtMs = undefined;
    if (releasable) await this.release();
    return end;
  }

  /** One read and, if decideLease says so, one write. */
  private async attempt(): Promise<Attempt> {
    const { namespace, name, identity } = this.o;
    let lease: k8s.V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (codeOf(e) !== 404) return this.failed('read', e);
    }
    const d = decideLease({ identity, nowMs: this.now(), renewDeadlineMs: this.o.renewDeadlineMs, record: recordOf(lease, this.o.leaseDurationMs), observed: this.observed, renewedAtMs: this.renewedAtMs });
    this.observed = d.observed;
    this.logHolder(d);
    if (d.action === 'wait') return { holding: false, expiresInMs: d.expiresInMs };
    if (d.action === 'stepDown') return { holding: false, stepDown: d.reason as StepDownReason };
    const sentAt = this.now();
    const wall = micro(this.wallNow());
    const leaseDurationSeconds = Math.ceil(this.o.leaseDurationMs / 1000);
    try {
      let written: k8s.V1Lease;
      if (d.action === 'create' || !lease) {
        written = await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace, ...(this.o.owner ? { ownerReferences: [this.o.owner] } : {}) },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: wall, renewTime: wall, leaseTransitions: 0 },
          },
        });
      } else {
        const spec = lease.spec ?? {};
        const takeover = spec.holderIdentity !== identity;
        lease.spec = {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: wall,
          acquireTime: takeover || !spec.acquireTime ? wall : micro(new Date(spec.acquireTime as unknown as string)),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover ? 1 : 0),
        };
        // The resourceVersion read above is the precondition: a concurrent writer makes this a 409.
        written = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      }
      this.renewedAtMs = sentAt;
      this.ownVersion = written.metadata?.resourceVersion;
      this.observed = { version: this.ownVersion ?? '', holder: identity, leaseDurationMs: this.o.leaseDurationMs, observedAtMs: this.now() };
      return { holding: true };
    } catch (e) {
      return this.failed(d.action, e);
    }
  }

  private failed(what: string, e: unknown): Attempt {
    const code = codeOf(e);
    // 409: another replica wrote first; the next read shows who. Not worth a warning.
    if (code !== 409) this.o.log.warn({ event: 'leaseError', op: what, err: (e as Error).message, code }, 'Lease read/write failed');
    return { holding: false };
  }

  private logHolder(d: LeaseDecision): void {
    const holder = d.observed?.holder;
    if (holder === this.lastLoggedHolder) return;
    this.lastLoggedHolder = holder;
    if (holder !== this.o.identity) {
      this.o.log.info({ event: 'leaderObserved', holder: holder ?? null, reason: d.reason, expiresInMs: d.expiresInMs }, holder ? `the Lease is held by ${holder}` : 'the Lease has no holder');
    }
  }

  /**
   * Gives the Lease up on a graceful stop by deleting it, only if it is still the version we wrote: a
   * standby creates it anew on its next poll, and after `helm uninstall` no Lease is left behind.
   */
  private async release(): Promise<void> {
    if (!this.ownVersion) return;
    try {
      await this.api.deleteNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: { preconditions: { resourceVersion: this.ownVersion } } });
      this.o.log.info({ event: 'leaderReleased', identity: this.o.identity }, 'gave up the lease for a fast takeover');
    } catch {
      // Best effort: the lease expires by itself.
    }
  }
}

function recordOf(lease: k8s.V1Lease | undefined, defaultDurationMs: number): LeaseRecordView | undefined {
  if (!lease) return undefined;
  const seconds = lease.spec?.leaseDurationSeconds;
  return {
    version: lease.metadata?.resourceVersion ?? '',
    holder: lease.spec?.holderIdentity || undefined,
    leaseDurationMs: seconds && seconds > 0 ? seconds * 1000 : defaultDurationMs,
  };
}
