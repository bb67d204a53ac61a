import type { IPAddress } from '../ip/address.js';
import type { MldQuery, MldRecord, MldReport } from './mldMessage.js';

/** Why a report was sent: the metric label and the log field. */
export const MLD_REPORT_REASONS = ['Join', 'Leave', 'GeneralQuery', 'GroupQuery', 'SourceReady', 'LinkUp'] as const;
export type MldReportReason = (typeof MLD_REPORT_REASONS)[number];

/** A report due now, with the reason it is sent. */
export type MldSend = MldReport & { readonly reason: MldReportReason };

export interface MldListenerOptions {
  /** A number in [0, 1): response and retransmission times are drawn from it (RFC 3810 §6.1, §6.2). */
  readonly random: () => number;
  /** Records per MLDv2 report: mldv2RecordsPerReport(mtu). */
  readonly recordsPerReport: number;
  /** [Robustness Variable]: each state change is sent this many times (RFC 3810 §9.1, default 2). */
  readonly robustness?: number;
  /** [Unsolicited Report Interval]: retransmissions of a state change are spread over it (§9.11, default 1 s). */
  readonly unsolicitedReportIntervalMs?: number;
  /** [Older Version Querier Present Timeout] after an MLDv1 query (§9.12: 2 × 125 s + 10 s by default). */
  readonly olderQuerierTimeoutMs?: number;
  /**
   * At most this many state-change reports go out at one instant (default 8): thousands of joins at once
   * (a node taking a large IPv6 set) are paced in bursts rather than queued on the link at once, where a
   * full transmit or backlog queue drops the excess silently.
   */
  readonly reportsPerBurst?: number;
  /** The pause between two bursts of state-change reports, and before a report that could not be sent is tried again (default 5 ms). */
  readonly burstGapMs?: number;
}

interface Change {
  join: boolean;
  left: number;
  reason: MldReportReason;
  /** When this change is next sent: at the change, then at the retransmission drawn when it went out. */
  at: number;
}

const key = (g: IPAddress): bigint => g.value;

/**
 * The listener side of MLD for the groups one interface must hear (RFC 3810 §6, with the RFC 2710
 * compatibility of §8.2.1), as a pure state machine on a caller's clock: join/leave/query/reportAgain put
 * deadlines in, `due(now)` takes the reports that are due out, and `nextDeadline()` says when to call
 * again. State changes go out at once and are repeated [Robustness Variable] − 1 times at random points of
 * the Unsolicited Report Interval, merged into as few reports as fit; queries are answered at a random point
 * of their Maximum Response Delay, a pending General Query answer covering any group-specific one. While an
 * MLDv1 querier is present, answers and joins are v1 Reports (one per group, sent to the group) and leaves
 * v1 Done messages.
 */
export class MldListener {
  private readonly groups = new Map<bigint, IPAddress>();
  private readonly changes = new Map<bigint, Change>();
  private changeAt: number | undefined;
  private generalAt: number | undefined;
  private readonly groupAt = new Map<bigint, number>();
  private v1Until = -Infinity;
  private robustness: number;

  constructor(private readonly o: MldListenerOptions) {
    if (!Number.isInteger(o.recordsPerReport) || o.recordsPerReport < 1) throw new RangeError(`recordsPerReport ${o.recordsPerReport} is not a positive integer`);
    this.robustness = o.robustness ?? 2;
  }

  get size(): number {
    return this.groups.size;
  }

  has(group: IPAddress): boolean {
    return this.groups.has(key(group));
  }

  /** Whether there is anything left to send (a state change still to be repeated, a query to answer). */
  get idle(): boolean {
    return this.nextDeadline() === undefined;
  }

  /** The earliest time `due` has something to send. */
  nextDeadline(): number | undefined {
    let at = this.changeAt;
    for (const t of [this.generalAt, ...this.groupAt.values()]) if (t !== undefined && (at === undefined || t < at)) at = t;
    return at;
  }

  /** Starts listening to `group`: a state-change report goes out at once. A second join is a no-op. */
  join(group: IPAddress, now: number): void {
    if (this.groups.has(key(group))) return;
    this.groups.set(key(group), group);
    this.change(group, true, 'Join', now);
  }

  /** Stops listening: a state-change report (or v1 Done) goes out at once; pending answers for it are dropped. */
  leave(group: IPAddress, now: number): void {
    if (!this.groups.delete(key(group))) return;
    this.groupAt.delete(key(group));
    this.change(group, false, 'Leave', now);
  }

  /**
   * Every group is reported again as a state change: the interface's source address became valid after
   * reports went out from :: (RFC 3590 §4: a node SHOULD then report all its groups again), or its link
   * came back (a switch may have forgotten the port's groups, as the kernel assumes on link up).
   */
  reportAgain(now: number, reason: 'SourceReady' | 'LinkUp'): void {
    for (const g of this.groups.values()) this.change(g, true, reason, now);
  }

  private change(group: IPAddress, join: boolean, reason: MldReportReason, now: number): void {
    this.changes.set(key(group), { join, left: this.robustness, reason, at: now });
    this.changeAt = this.changeAt === undefined ? now : Math.min(this.changeAt, now);
  }

  /**
   * `report` (taken from `due`) could not be sent (the socket's queue was full): what it carried is due
   * again after burstGapMs, unless a later change of the same group superseded it. A state change gets
   * back the copy it lost; a query answer is answered again.
   */
  unsent(report: MldSend, now: number): void {
    const at = now + (this.o.burstGapMs ?? 5);
    const items = report.version === 2
      ? report.records.map((r) => ({ group: r.group, join: r.type !== 'ChangeToInclude', answer: r.type === 'ModeIsExclude' }))
      : [{ group: report.group, join: report.kind === 'report', answer: report.reason === 'GeneralQuery' || report.reason === 'GroupQuery' }];
    for (const { group, join, answer } of items) {
      const k = key(group);
      if (answer) {
        if (!this.groups.has(k)) continue;
        const pending = this.groupAt.get(k);
        this.groupAt.set(k, pending === undefined ? at : Math.min(pending, at));
        continue;
      }
      if (this.groups.has(k) !== join) continue; // the group changed state since: that change is what is sent
      const c = this.changes.get(k);
      if (c === undefined) this.changes.set(k, { join, left: 1, reason: report.reason, at });
      else if (c.join === join) {
        c.left += 1;
        c.at = Math.min(c.at, at);
      } else continue;
      this.changeAt = this.changeAt === undefined ? at : Math.min(this.changeAt, at);
    }
  }

  /** A query was received at `now` (RFC 3810 §6.2, RFC 2710 §4). A query about a group we do not hear is ignored. */
  query(q: MldQuery, now: number): void {
    if (q.version === 1) this.v1Until = now + (this.o.olderQuerierTimeoutMs ?? 260_000);
    else if (q.robustness > 0) this.robustness = q.robustness;
    const at = now + Math.floor(this.o.random() * q.maxResponseDelayMs);
    if (q.group === undefined) {
      if (this.groups.size === 0) return;
      if (this.generalAt === undefined || at < this.generalAt) this.generalAt = at;
      return;
    }
    if (!this.groups.has(key(q.group))) return;
    // An earlier answer to a General Query covers this group already.
    if (this.generalAt !== undefined && this.generalAt <= at) return;
    const pending = this.groupAt.get(key(q.group));
    if (pending === undefined || at < pending) this.groupAt.set(key(q.group), at);
  }

  /** Takes every report due at `now`; what is left is due at nextDeadline(). */
  due(now: number): MldSend[] {
    const out: MldSend[] = [];
    const v1 = now < this.v1Until;
    if (this.generalAt !== undefined && this.generalAt <= now) {
      this.generalAt = undefined;
      this.groupAt.clear();
      this.current([...this.groups.values()], 'GeneralQuery', v1, out);
    }
    const groupDue = [...this.groupAt].filter(([, t]) => t <= now);
    for (const [g] of groupDue) this.groupAt.delete(g);
    this.current(groupDue.map(([g]) => this.groups.get(g)!), 'GroupQuery', v1, out);
    if (this.changeAt !== undefined && this.changeAt <= now) this.sendChanges(now, v1, out);
    return out;
  }

  private current(groups: IPAddress[], reason: MldReportReason, v1: boolean, out: MldSend[]): void {
    if (v1) {
      for (const group of groups) out.push({ version: 1, kind: 'report', group, reason });
      return;
    }
    this.pack(groups.map((group) => ({ type: 'ModeIsExclude' as const, group })), reason, out);
  }

  private pack(records: MldRecord[], reason: MldReportReason, out: MldSend[]): void {
    for (let i = 0; i < records.length; i += this.o.recordsPerReport) out.push({ version: 2, records: records.slice(i, i + this.o.recordsPerReport), reason });
  }

  /**
   * Sends the changes due at `now`, oldest first, at most reportsPerBurst reports (records merged per
   * reason); what is left is due again after burstGapMs. Changes sent together are repeated together, at one
   * random point of the Unsolicited Report Interval, so their repeats merge into as few reports again.
   */
  private sendChanges(now: number, v1: boolean, out: MldSend[], unlimited = false): void {
    const perReport = v1 ? 1 : this.o.recordsPerReport;
    const budget = unlimited ? Infinity : (this.o.reportsPerBurst ?? 8) * perReport;
    const ready: [bigint, Change][] = [];
    for (const entry of this.changes) if (entry[1].at <= now) ready.push(entry);
    ready.sort((a, b) => a[1].at - b[1].at);
    const taken = ready.length > budget ? ready.slice(0, budget) : ready;
    const byReason = new Map<MldReportReason, MldRecord[]>();
    let repeatAt: number | undefined;
    for (const [k, c] of taken) {
      const group = c.join ? this.groups.get(k) : undefined;
      const g = group ?? ({ family: 6, value: k } as IPAddress);
      if (v1) out.push(c.join ? { version: 1, kind: 'report', group: g, reason: c.reason } : { version: 1, kind: 'done', group: g, reason: c.reason });
      else {
        const list = byReason.get(c.reason) ?? [];
        list.push({ type: c.join ? 'ChangeToExclude' : 'ChangeToInclude', group: g });
        byReason.set(c.reason, list);
      }
      if (--c.left <= 0) this.changes.delete(k);
      else {
        // (0, interval]: never 0, so a retransmission is never in the same instant as the first copy.
        repeatAt ??= now + Math.max(1, Math.ceil(this.o.random() * (this.o.unsolicitedReportIntervalMs ?? 1_000)));
        c.at = repeatAt;
      }
    }
    for (const [reason, records] of byReason) this.pack(records, reason, out);
    if (taken.length < ready.length) {
      this.changeAt = now + (this.o.burstGapMs ?? 5);
      return;
    }
    let next: number | undefined;
    for (const c of this.changes.values()) if (next === undefined || c.at < next) next = c.at;
    this.changeAt = next;
  }

  /** Every state change still to be repeated, sent once now (the interface is going away). */
  flush(now: number): MldSend[] {
    const out: MldSend[] = [];
    for (const c of this.changes.values()) c.at = now;
    if (this.changes.size > 0) this.sendChanges(now, now < this.v1Until, out, true);
    this.changes.clear();
    this.changeAt = undefined;
    this.generalAt = undefined;
    this.groupAt.clear();
    return out;
  }
}
