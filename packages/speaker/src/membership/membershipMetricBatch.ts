import type { MembershipMetricCall } from './membershipMetricCalls.js';

type Labels = Record<string, string | number>;

/**
 * The metric calls the membership worker made since it last sent them, folded per series: a counter's
 * increments summed, a gauge's last value kept, every histogram observation kept (each one is a sample).
 * An idle member makes several calls per datagram; what crosses to the main thread each second is then
 * one entry per series that moved, not one per call.
 */
interface Series {
  readonly metric: string;
  readonly method: 'inc' | 'set';
  readonly labels: Labels | undefined;
  value: number;
}

export class MembershipMetricBatch {
  // One entry per series, changed in place: adding a call allocates its key and nothing else once the series is there.
  private readonly folded = new Map<string, Series>();
  private observed: MembershipMetricCall[] = [];

  get size(): number {
    return this.folded.size + this.observed.length;
  }

  add(call: MembershipMetricCall): void {
    const [metric, method, args] = call;
    if (method === 'observe') {
      this.observed.push(call);
      return;
    }
    // inc(), inc(n), inc(labels), inc(labels, n); set(v), set(labels, v): prom-client's forms.
    const labels = typeof args[0] === 'object' && args[0] !== null ? (args[0] as Labels) : undefined;
    const value = labels ? args[1] : args[0];
    const key = `${metric}\0${method}\0${labels ? seriesKey(labels) : ''}`;
    const n = typeof value === 'number' ? value : method === 'inc' ? 1 : Number.NaN;
    const series = this.folded.get(key);
    if (!series) this.folded.set(key, { metric, method, labels, value: n });
    else if (method === 'set') series.value = n;
    else series.value += n;
  }

  /** Everything added since the last take, and empty again. */
  take(): MembershipMetricCall[] {
    const out: MembershipMetricCall[] = [];
    for (const s of this.folded.values()) out.push([s.metric, s.method, s.labels ? [s.labels, s.value] : [s.value]]);
    out.push(...this.observed);
    this.folded.clear();
    this.observed = [];
    return out;
  }
}

/** The same label values give the same key whatever the order of the keys. */
function seriesKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 1) return `${keys[0]}=${labels[keys[0]!]}`;
  return keys.sort().map((k) => `${k}=${labels[k]}`).join('\0');
}
