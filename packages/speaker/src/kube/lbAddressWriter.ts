import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type LBAddress, type LBAddressStatusPatch } from '@herald/core';
import { eventBody, Limiter, type EventSubject } from '@herald/kube';
import type { Logger } from 'pino';
import type { SpeakerMetrics } from '../metrics.js';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/**
 * Events waiting or being written at most; beyond that new ones are dropped and counted
 * (herald_speaker_events_dropped_total), as client-go's recorder drops when its queue of 1,000 is full.
 * A node taking over 10,000 addresses records two Events for each: unbounded, 20,000 bodies and closures
 * waited on the heap behind 4 writes in flight, for minutes on a busy API server.
 */
export const EVENT_QUEUE_MAX = 1_000;

/**
 * Warnings (an address conflict) may exceed EVENT_QUEUE_MAX by this many, and are written before any waiting
 * Normal Event: a take-over of thousands of addresses fills the queue with AnnounceStarted, and a conflict
 * raised meanwhile was dropped, or waited behind a thousand of them (minutes on a busy API server).
 */
export const EVENT_WARNING_RESERVE = 100;

/** The Kubernetes error code of a failed call (409 Conflict, 404 Not Found, …), or undefined for a network error. */
export const apiErrorCode = (e: unknown): number | undefined => (e as { code?: number }).code;

/**
 * The speaker's only writes: LBAddress status and Events. Failures never touch the data plane. Status writes
 * are bounded by their only caller, StatusReporter (a window of writes in flight that adapts to the API
 * server: a fixed limit of 4 here capped a takeover of 10,000 addresses at 16–36 statuses a second); Events
 * have their own limit, so a burst of Events never delays a status write.
 */
export class LBAddressWriter {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly eventLimiter = new Limiter(4);
  private eventsPending = 0;
  private dropping = false;

  constructor(kc: k8s.KubeConfig, private readonly o: { log: Logger; metrics: SpeakerMetrics; node: string }) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  /**
   * Merge-patches the status with `resourceVersion` as a precondition: the API server refuses (409) if
   * the object changed since the version this node decided on, so a stale view never overwrites a newer
   * one. Resolves with the object as written.
   */
  async patchStatus(name: string, status: LBAddressStatusPatch, resourceVersion: string): Promise<LBAddress> {
    try {
      const body = { metadata: { resourceVersion }, status };
      const written = (await this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'lbaddresses', name, body }, mergePatch)) as LBAddress;
      this.o.metrics.statusWrites.inc({ result: 'ok' });
      return written;
    } catch (e) {
      this.o.metrics.statusWrites.inc({ result: String(apiErrorCode(e) ?? 'error') });
      throw e;
    }
  }

  /** One fresh read, for when the watch is behind a conflict. */
  async read(name: string): Promise<LBAddress> {
    return (await this.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'lbaddresses', name })) as LBAddress;
  }

  /** An Event about an LBAddress (namespace "default", as for any cluster-scoped object). */
  lbAddressEvent(name: string, uid: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.event({ kind: 'LBAddress', apiVersion: API_VERSION, name, uid }, type, reason, message);
  }

  /** An Event about anything, e.g. a Service in its own namespace, so `kubectl describe svc` shows it. */
  event(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const warning = type === 'Warning';
    if (this.eventsPending >= EVENT_QUEUE_MAX + (warning ? EVENT_WARNING_RESERVE : 0)) {
      this.o.metrics.eventsDropped.inc({ kind: subject.kind, reason });
      if (!this.dropping) this.o.log.warn({ event: 'eventsDropped', pending: this.eventsPending }, `more than ${EVENT_QUEUE_MAX} Events waiting to be written: dropping new ones until the queue drains`);
      this.dropping = true;
      return;
    }
    this.dropping = false;
    const e = eventBody(subject, type, reason, message, { component: 'herald-speaker', instance: this.o.node, host: this.o.node });
    this.o.metrics.events.inc({ kind: subject.kind, reason });
    this.eventsPending++;
    void this.eventLimiter
      .run(() => this.core.createNamespacedEvent(e), { urgent: warning })
      .catch((err: Error) => this.o.log.debug({ event: 'eventWriteFailed', reason, err: err.message }, 'could not record an event'))
      .finally(() => this.eventsPending--);
  }
}
