import * as k8s from '@kubernetes/client-node';
import { readSpeakerLease, SPEAKER_LEASE_SELECTOR, type SpeakerLeaseInfo, type SpeakerLeaseObject } from '@herald/core';
import type { Logger } from 'pino';
import { requestTimeout } from './kubeRequestTimeout.js';
import { realTimers, type Timers } from './timers.js';

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
  readonly requestTimeoutMs?: number;
  /** Speakers renew every 10 s, so a watch silent for this long is dead, not quiet. */
  readonly inactivityMs?: number;
  readonly timers?: Timers;
}

type LeaseJson = SpeakerLeaseObject & { metadata?: { name?: string; resourceVersion?: string }; spec?: { renewTime?: string | null } | null };
type WatchEnd = 'gone' | 'error' | 'inactive' | 'closed';

const renewTimeOf = (lease: LeaseJson): number | undefined => {
  const t = lease.spec?.renewTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * List + watch of the speaker Leases in the release namespace (label-selected): the peer list with
 * heartbeat addresses, and Lease freshness for peers whose heartbeats never arrive. Relists on 410 Gone,
 * re-watches with backoff after errors, and restarts a watch that went silent.
 */
export class SpeakerLeaseWatch {
  /** Lease name → node, for everything reported through onUpsert. */
  private readonly known = new Map<string, string>();
  private readonly timers: Timers;
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private current: AbortController | undefined;

  constructor(private readonly o: SpeakerLeaseWatchOptions) {
    this.timers = o.timers ?? realTimers;
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.abort.abort();
    this.current?.abort();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const done = () => {
        this.timers.clearTimeout(t);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = this.timers.setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
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

  private async relist(): Promise<void> {
    const api = this.o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    const list = await api.listNamespacedLease({ namespace: this.o.namespace, labelSelector: SPEAKER_LEASE_SELECTOR }, requestTimeout(this.o.requestTimeoutMs ?? 5_000));
    // Typed results carry Date objects, watch events wire JSON: keep one shape.
    const items = JSON.parse(JSON.stringify(list.items)) as LeaseJson[];
    const names = new Set(items.map((i) => i.metadata?.name ?? ''));
    for (const name of [...this.known.keys()]) if (!names.has(name)) this.gone(name);
    for (const item of items) this.seen(item);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private async loop(): Promise<void> {
    let needList = true;
    let failures = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          failures = 0;
        }
        const end = await this.watchOnce();
        if (signal.aborted) return;
        if (end === 'gone') needList = true;
        if (end === 'closed' || end === 'gone') {
          failures = 0;
          if (end === 'gone') this.o.onRestart?.('gone');
          continue;
        }
        this.o.onRestart?.(end);
        // A dropped or silent watch may have missed events: list again before watching.
        needList = true;
      } catch (e) {
        if (signal.aborted) return;
        this.o.log.debug({ event: 'speakerLeaseWatchError', err: (e as Error).message }, 'listing speaker Leases failed; retrying');
        this.o.onRestart?.('error');
      }
      failures++;
      await this.sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 8)));
    }
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: unknown;
      const inactivity = this.o.inactivityMs ?? 60_000;
      const finish = (why: WatchEnd) => {
        if (settled) return;
        settled = true;
        this.timers.clearTimeout(timer);
        this.current?.abort();
        resolve(why);
      };
      const arm = () => {
        this.timers.clearTimeout(timer);
        timer = this.timers.setTimeout(() => finish('inactive'), inactivity);
      };
      arm();
      const path = `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
      new k8s.Watch(this.o.kubeConfig)
        .watch(
          path,
          { labelSelector: SPEAKER_LEASE_SELECTOR, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
          (type: string, obj: LeaseJson & { code?: number }) => {
            arm();
            if (type === 'ERROR') return finish(obj.code === 410 ? 'gone' : 'error');
            const rv = obj.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') this.gone(obj.metadata?.name ?? '');
            else this.seen(obj);
          },
          (err: (Error & { statusCode?: number }) | null) => {
            if (!err || err.name === 'AbortError') return finish('closed');
            finish(err.statusCode === 410 ? 'gone' : 'error');
          },
        )
        .then((controller) => {
          this.current = controller;
          if (settled) controller.abort();
        })
        .catch((e) => {
          this.timers.clearTimeout(timer);
          if (!settled) {
            settled = true;
            reject(e);
          }
        });
    });
  }
}
