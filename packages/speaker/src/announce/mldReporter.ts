import { randomInt } from 'node:crypto';
import {
  decodeMldQueryFrame, encodeMldReportFrame, formatAddress, MldListener, mldv2RecordsPerReport, type IPAddress, type MacAddress,
  type MldSend,
} from '@herald/core';
import type { Logger } from 'pino';
import { linkLocalAddress } from '../interfaces/linkLocalAddress.js';
import type { SpeakerMetrics } from '../metrics.js';
import { PacketType, type PacketSocket } from '../native/index.js';

/** Reports are sized for the IPv6 minimum MTU, so no link (tunnels, VLANs with small MTUs) drops them. */
const MIN_IPV6_MTU = 1280;
const UNSPECIFIED: IPAddress = { family: 6, value: 0n };
/** Errors that mean the socket's or device's queue was full: the report is tried again shortly. */
const QUEUE_FULL = new Set(['EAGAIN', 'EWOULDBLOCK', 'ENOBUFS']);
const WARN_EVERY_MS = 10_000;
/** While reports go out from :: (no valid link-local yet), how often to look for one. */
const SOURCE_POLL_MS = 1_000;

export interface MldReporterOptions {
  /** The interface's 'mld' packet socket (receives queries, sends reports); the reporter closes it. */
  socket: PacketSocket;
  ifname: string;
  mac: MacAddress;
  log: Logger;
  metrics: SpeakerMetrics;
  /** The interface's valid link-local address (default: from /proc/net/if_inet6). */
  sourceOf?: (ifindex: number) => IPAddress | undefined;
}

/**
 * Makes MLD-snooping switches forward solicitations for the groups herald listens to without the kernel
 * joining them: sends the MLD reports the kernel would (RFC 3810, MLDv1 towards an MLDv1 querier) on the
 * interface's packet socket and answers queries. What to send when is core's MldListener; this class reads
 * the clock, keeps one timer for the next deadline and moves bytes.
 */
export class MldReporter {
  private readonly listener = new MldListener({ random: () => randomInt(0, 1 << 30) / (1 << 30), recordsPerReport: mldv2RecordsPerReport(MIN_IPV6_MTU) });
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The source of the last report: :: until the interface has a valid link-local address. */
  private lastSource: IPAddress | undefined;
  private closed = false;
  private readonly warnedAt = new Map<string, number>();

  constructor(private readonly o: MldReporterOptions) {
    o.socket.start(
      (frame, type) => this.onQuery(frame, type),
      (e) => o.log.warn({ event: 'socketError', interface: o.ifname, code: e.code, syscall: e.syscall }, 'MLD socket error'),
    );
  }

  /** Groups currently reported. */
  get size(): number {
    return this.listener.size;
  }

  join(group: IPAddress): void {
    this.listener.join(group, performance.now());
    this.schedule();
  }

  leave(group: IPAddress): void {
    this.listener.leave(group, performance.now());
    this.schedule();
  }

  /** Sends whatever state change is still pending once (leaves, mostly), then closes the socket. */
  close(): void {
    if (this.closed) return;
    this.send(this.listener.flush(performance.now()));
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.pollTimer);
    this.o.socket.close();
  }

  /** One timer at the listener's next deadline; a deadline already passed is met on the next turn, so joins of one turn share a report. */
  private schedule(): void {
    if (this.closed) return;
    const at = this.listener.nextDeadline();
    // A pending timer that fires no later is kept: it re-schedules after sending (thousands of joins in one
    // turn must not re-arm a timer each).
    if (at === undefined || (this.timer !== undefined && this.timerAt! <= at)) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.send(this.listener.due(performance.now()));
      this.schedule();
    }, Math.max(0, at - performance.now()));
  }

  private source(): IPAddress {
    const s = (this.o.sourceOf ?? linkLocalAddress)(this.o.socket.ifindex) ?? UNSPECIFIED;
    if (s.value === 0n && this.lastSource?.value !== 0n) this.o.log.info({ event: 'mldNoLinkLocal', interface: this.o.ifname }, 'no valid link-local address yet: MLD reports are sent from :: (RFC 3590) until there is one');
    return s;
  }

  private send(reports: MldSend[]): void {
    if (reports.length === 0) return;
    const source = this.source();
    for (const r of reports) {
      try {
        this.o.socket.send(encodeMldReportFrame(r, { mac: this.o.mac, source }));
        this.o.metrics.mldReportsSent.inc({ reason: r.reason, version: `v${r.version}` });
      } catch (e) {
        // Never silent: counted by reason and code, and logged; a full queue is retried by the listener.
        const err = e as Error & { code?: string };
        const code = err.code ?? 'unknown';
        const retry = QUEUE_FULL.has(code) && !this.closed;
        if (retry) this.listener.unsent(r, performance.now());
        this.o.metrics.sendErrors.inc({ code });
        this.o.metrics.mldReportsUnsent.inc({ reason: r.reason, code });
        // One warning per code per 10 s: a queue full for a while would otherwise log every retry.
        const now = performance.now();
        if (this.warnedAt.get(code) === undefined || now - this.warnedAt.get(code)! >= WARN_EVERY_MS) this.warnedAt.set(code, now);
        else continue;
        this.o.log.warn({ event: 'sendFailed', interface: this.o.ifname, what: 'mldReport', reason: r.reason, code, retry, err: err.message }, 'could not send an MLD report');
      }
    }
    this.schedule();
    const wasUnspecified = this.lastSource?.value === 0n;
    this.lastSource = source;
    if (source.value === 0n && !this.pollTimer) this.pollForSource();
    else if (wasUnspecified && source.value !== 0n) this.sourceReady();
  }

  /** RFC 3590 §4: once a valid link-local address exists, report every group again from it. */
  private pollForSource(): void {
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (this.closed) return;
      if ((this.o.sourceOf ?? linkLocalAddress)(this.o.socket.ifindex) === undefined) this.pollForSource();
      else this.sourceReady();
    }, SOURCE_POLL_MS);
    this.pollTimer.unref();
  }

  private sourceReady(): void {
    this.lastSource = undefined;
    this.listener.reportAgain(performance.now(), 'SourceReady');
    this.schedule();
  }

  /** The interface's carrier came back: a switch may have dropped the port's groups, so report them all again. */
  linkUp(): void {
    this.listener.reportAgain(performance.now(), 'LinkUp');
    this.schedule();
  }

  private onQuery(frame: Buffer, type: PacketType): void {
    if (type === PacketType.otherHost) return;
    const q = decodeMldQueryFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
    if (!q.ok) {
      this.o.metrics.ignored.inc({ reason: q.error.reason });
      return;
    }
    this.o.metrics.mldQueriesReceived.inc({ version: `v${q.value.version}`, kind: q.value.group === undefined ? 'general' : 'group' });
    this.o.log.debug({ event: 'mldQuery', interface: this.o.ifname, version: q.value.version, group: q.value.group && formatAddress(q.value.group), maxResponseDelayMs: q.value.maxResponseDelayMs, from: formatAddress(q.value.source) }, 'MLD query');
    this.listener.query(q.value, performance.now());
    this.schedule();
  }
}

