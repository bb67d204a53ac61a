import { planWriteRetry, retryAfterMs, writeFailureReason, type WriteFailureReason } from '@herald/core';
import type { Logger } from 'pino';
import type { EventTarget } from './kubeWriter.js';
import type { Counter, Gauge } from 'prom-client';

/** The status herald wants a Service to show; applied whole (server-side apply owns exactly these fields). */
export interface ServiceStatusTarget {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** The resourceVersion the desired status was computed from: a new one lifts a stop. */
  readonly resourceVersion?: string;
}

export type StatusWriteResult =
  | { readonly outcome: 'written'; readonly resourceVersion: string | undefined }
  /** A newer desired status replaced this one before it was written; that one's promise tells. */
  | { readonly outcome: 'superseded' }
  /** The apiserver refused this content (422, 400…); not retried until the object or the content changes. */
  | { readonly outcome: 'stopped'; readonly reason: WriteFailureReason }
  /** The Service is gone (404). */
  | { readonly outcome: 'gone' }
  /** dropAll() threw the write away (leadership lost, shutdown). */
  | { readonly outcome: 'dropped' };

/** What to write: herald's status fields by server-side apply, or the removal of everything herald wrote. */
export type StatusWrite = { readonly apply: object } | { readonly release: readonly string[] };

export interface ServiceStatusWriterOptions {
  /** One server-side apply of a Service's status; resolves with the written object. */
  apply(namespace: string, name: string, status: object): Promise<{ metadata?: { resourceVersion?: string } }>;
  /** Removes herald's addresses and the given condition types from a Service's status. */
  release(namespace: string, name: string, conditionTypes: readonly string[]): Promise<{ metadata?: { resourceVersion?: string } }>;
  event(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void;
  log: Logger;
  metrics: { failures: Counter<'kind' | 'reason'>; backoffObjects: Gauge<'kind' | 'reason' | 'state'> };
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Jitter source, injectable for tests. */
  random?: () => number;
}

interface Entry {
  target: ServiceStatusTarget;
  write: StatusWrite;
  fingerprint: string;
  waiters: ((r: StatusWriteResult) => void)[];
  inFlight: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  failures: number;
  /** Set while the object's writes fail: what the gauge counts and what the transition event said. */
  failing: { reason: WriteFailureReason; state: 'retrying' | 'stopped' } | undefined;
  /** Set when the policy said stop: the resourceVersion and content that were refused. */
  stopped: { resourceVersion: string | undefined; reason: WriteFailureReason } | undefined;
}

const KIND = 'serviceStatus';

/**
 * Writes Service status, one object at a time: at most one write per Service in flight, later desired
 * states coalesce into the next write (only the newest is sent), and failures back off per Service
 * (planWriteRetry: exponential to a cap, stop on refused content, drop on 404). A Service whose writes
 * start failing gets one Warning event and one log line; recovery gets one Normal event and one line —
 * never one per retry. dropAll() forgets everything queued, for when this replica must stop writing.
 */
export class ServiceStatusWriter {
  private readonly entries = new Map<string, Entry>();
  private readonly random: () => number;

  constructor(private readonly o: ServiceStatusWriterOptions) {
    this.random = o.random ?? Math.random;
  }

  /** Asks for `status` to be applied; resolves when it was written, replaced, refused, or dropped. */
  apply(target: ServiceStatusTarget, status: object): Promise<StatusWriteResult> {
    return this.enqueue(target, { apply: status });
  }

  /** Asks for herald's addresses and conditions (these types) to be removed from a Service it no longer handles. */
  release(target: ServiceStatusTarget, conditionTypes: readonly string[]): Promise<StatusWriteResult> {
    return this.enqueue(target, { release: conditionTypes });
  }

  private enqueue(target: ServiceStatusTarget, write: StatusWrite): Promise<StatusWriteResult> {
    const status = write;
    const key = `${target.namespace}/${target.name}`;
    const fingerprint = JSON.stringify(status);
    let e = this.entries.get(key);
    if (!e) {
      e = { target, write: status, fingerprint, waiters: [], inFlight: false, timer: undefined, failures: 0, failing: undefined, stopped: undefined };
      this.entries.set(key, e);
      const p = this.wait(e);
      this.run(key, e);
      return p;
    }
    if (e.fingerprint === fingerprint) {
      if (e.stopped && e.stopped.resourceVersion === target.resourceVersion) return Promise.resolve({ outcome: 'stopped', reason: e.stopped.reason });
      e.target = target;
      const p = this.wait(e);
      if (e.stopped) this.unstop(key, e);
      return p;
    }
    // New content: whoever waited for the old one learns it will never be written as such.
    for (const w of e.waiters.splice(0)) w({ outcome: 'superseded' });
    e.target = target;
    e.write = status;
    e.fingerprint = fingerprint;
    const p = this.wait(e);
    // A retry already scheduled keeps its delay (new content does not fix a 403); a stop is lifted.
    if (e.stopped) this.unstop(key, e);
    return p;
  }

  /** The Service is gone or no longer ours: forget its pending write and any failing state. */
  forget(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.finish(key, e, { outcome: 'dropped' });
  }

  /** Drops every queued or backing-off write (leadership lost, shutdown); in-flight answers are ignored. */
  dropAll(): void {
    for (const [key, e] of [...this.entries]) this.finish(key, e, { outcome: 'dropped' });
  }

  /** Services whose status writes are currently failing (retrying or stopped). */
  failingCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.failing) n++;
    return n;
  }

  private wait(e: Entry): Promise<StatusWriteResult> {
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  private unstop(key: string, e: Entry): void {
    e.stopped = undefined;
    e.failures = 0;
    if (!e.inFlight && !e.timer) this.run(key, e);
  }

  private run(key: string, e: Entry): void {
    e.timer = undefined;
    e.inFlight = true;
    const fingerprint = e.fingerprint;
    const { namespace, name } = e.target;
    const write = e.write;
    ('apply' in write ? this.o.apply(namespace, name, write.apply) : this.o.release(namespace, name, write.release)).then(
      (written) => {
        if (this.entries.get(key) !== e) return;
        e.inFlight = false;
        if (e.failing) this.recovered(key, e);
        e.failures = 0;
        if (e.fingerprint !== fingerprint) return this.run(key, e);
        this.finish(key, e, { outcome: 'written', resourceVersion: written.metadata?.resourceVersion });
      },
      (err: unknown) => {
        if (this.entries.get(key) !== e) return;
        e.inFlight = false;
        this.failed(key, e, err, fingerprint);
      },
    );
  }

  private failed(key: string, e: Entry, err: unknown, fingerprint: string): void {
    const code = (err as { code?: unknown }).code;
    const status = typeof code === 'number' ? code : undefined;
    const headers = (err as { headers?: Record<string, string> }).headers;
    e.failures++;
    const decision = planWriteRetry({
      code: status,
      failures: e.failures,
      retryAfterMs: retryAfterMs(headers?.['retry-after'] ?? headers?.['Retry-After']),
      initialMs: this.o.initialBackoffMs,
      maxMs: this.o.maxBackoffMs,
      jitter: this.random(),
    });
    this.o.metrics.failures.inc({ kind: KIND, reason: writeFailureReason(status) });
    const detail = (err as Error).message?.slice(0, 300) ?? String(err);
    if (decision.action === 'drop') return this.finish(key, e, { outcome: 'gone' });
    if (decision.action === 'stop') {
      // Content changed while this write was in flight: the new content deserves its own try.
      if (e.fingerprint !== fingerprint) return this.run(key, e);
      this.enterFailing(key, e, decision.reason, 'stopped', status, detail);
      e.stopped = { resourceVersion: e.target.resourceVersion, reason: decision.reason };
      for (const w of e.waiters.splice(0)) w({ outcome: 'stopped', reason: decision.reason });
      return;
    }
    this.enterFailing(key, e, decision.reason, 'retrying', status, detail);
    this.o.log.debug({ event: 'statusWriteRetry', service: key, reason: decision.reason, code: status, attempt: e.failures, delayMs: decision.delayMs }, 'status write failed; retrying');
    e.timer = setTimeout(() => this.run(key, e), decision.delayMs);
    e.timer.unref?.();
  }

  /** One event and one log line when a Service starts failing, or fails for a new reason. */
  private enterFailing(key: string, e: Entry, reason: WriteFailureReason, state: 'retrying' | 'stopped', code: number | undefined, detail: string): void {
    if (e.failing?.reason === reason && e.failing.state === state) return;
    if (e.failing) this.o.metrics.backoffObjects.dec({ kind: KIND, reason: e.failing.reason, state: e.failing.state });
    e.failing = { reason, state };
    this.o.metrics.backoffObjects.inc({ kind: KIND, reason, state });
    const what = state === 'stopped'
      ? 'not retrying until the Service or its desired status changes'
      : `retrying with backoff up to ${Math.round(this.o.maxBackoffMs / 1000)}s`;
    const message = `cannot write status (${reason}${code ? ` ${code}` : ''}): ${detail}; ${what}`;
    this.o.log.warn({ event: 'statusWriteFailing', service: key, reason, code, state, err: detail }, 'status writes for this Service are failing');
    this.o.event(this.eventTarget(e), 'Warning', 'StatusWriteFailed', message);
  }

  private recovered(key: string, e: Entry): void {
    const failing = e.failing;
    if (!failing) return;
    this.o.metrics.backoffObjects.dec({ kind: KIND, reason: failing.reason, state: failing.state });
    e.failing = undefined;
    this.o.log.info({ event: 'statusWriteRecovered', service: key, reason: failing.reason, failures: e.failures }, 'status write succeeded again');
    this.o.event(this.eventTarget(e), 'Normal', 'StatusWriteRecovered', `status written after ${e.failures} failed attempt(s) (${failing.reason})`);
  }

  private finish(key: string, e: Entry, result: StatusWriteResult): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    if (e.failing) this.o.metrics.backoffObjects.dec({ kind: KIND, reason: e.failing.reason, state: e.failing.state });
    e.failing = undefined;
    if (this.entries.get(key) === e) this.entries.delete(key);
    for (const w of e.waiters.splice(0)) w(result);
  }

  private eventTarget(e: Entry): EventTarget {
    return { kind: 'Service', namespace: e.target.namespace, name: e.target.name, uid: e.target.uid };
  }
}
