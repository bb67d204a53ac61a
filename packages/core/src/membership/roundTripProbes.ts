/** RFC 6298's alpha, as version 1's echo estimate uses: smooth, but follow a real change within seconds. */
export const ROUND_TRIP_GAIN = 1 / 8;

/** The smoothed round trip after one more sample (the first sample is taken as it is). */
export const smoothRoundTrip = (previousMs: number | undefined, sampleMs: number): number =>
  previousMs === undefined ? sampleMs : previousMs + (sampleMs - previousMs) * ROUND_TRIP_GAIN;

export interface RoundTripProbesOptions {
  /** A probe whose Ack has not come back after this long is forgotten (no sample, no penalty). */
  readonly timeoutMs: number;
}

/** Probes in flight at most; the oldest is forgotten first (a neighbour that never answers cannot grow it). */
const MAX_PENDING = 8;

/**
 * Round trips to ring neighbours for version 2 (docs/adr/0012-scalable-membership.md, "Round trips"):
 * version-2 heartbeats are one-way, so once per round-trip interval a member sends one Probe to the next
 * of its ring predecessors in turn and times the Ack the predecessor sends straight back. This keeps
 * which probe went to whom and when, and the smoothed estimate per neighbour; the member decides when
 * to probe and sends. Pure: times are given.
 */
export class RoundTripProbes {
  private readonly pending = new Map<number, { readonly node: string; readonly sentAtMs: number }>();
  private readonly estimates = new Map<string, number>();
  private cursor = 0;

  constructor(private readonly o: RoundTripProbesOptions) {}

  /** The neighbour to probe next, in turn (undefined with none). */
  next(neighbours: readonly string[]): string | undefined {
    if (neighbours.length === 0) return undefined;
    return neighbours[this.cursor++ % neighbours.length];
  }

  /** Probe `id` left for `node` now. */
  sent(id: number, node: string, nowMs: number): void {
    this.expire(nowMs);
    this.pending.set(id, { node, sentAtMs: nowMs });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
  }

  /** Whether `id` is a round-trip probe still in flight (not a suspicion's probe). */
  has(id: number): boolean {
    return this.pending.has(id);
  }

  /** `node` acknowledged probe `id`: the round trip, if it was our probe to that node and still in flight. */
  acked(id: number, node: string, nowMs: number): number | undefined {
    this.expire(nowMs);
    const p = this.pending.get(id);
    if (!p || p.node !== node) return undefined;
    this.pending.delete(id);
    const sample = nowMs - p.sentAtMs;
    if (!(sample >= 0)) return undefined;
    this.estimates.set(node, smoothRoundTrip(this.estimates.get(node), sample));
    return sample;
  }

  /** The smoothed round trip to `node`, if any Ack came back. */
  estimate(node: string): number | undefined {
    return this.estimates.get(node);
  }

  /** The node restarted, died or left: its old estimate says nothing about the new process or path. */
  forget(node: string): void {
    this.estimates.delete(node);
    for (const [id, p] of this.pending) if (p.node === node) this.pending.delete(id);
  }

  private expire(nowMs: number): void {
    for (const [id, p] of this.pending) if (nowMs - p.sentAtMs >= this.o.timeoutMs) this.pending.delete(id);
  }
}
