/**
 * When each of the last `capacity` heartbeats left, by sequence, so an echo can be turned into a round
 * trip. A fixed ring: memory does not grow with uptime, and an echo older than the ring is ignored.
 */
export class SentLog {
  private readonly sequences: number[];
  private readonly times: number[];

  constructor(private readonly capacity = 64) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SentLog capacity must be a positive integer, not ${capacity}`);
    this.sequences = new Array<number>(capacity).fill(-1);
    this.times = new Array<number>(capacity).fill(0);
  }

  record(sequence: number, atMs: number): void {
    const slot = sequence % this.capacity;
    this.sequences[slot] = sequence;
    this.times[slot] = atMs;
  }

  sentAt(sequence: number): number | undefined {
    const slot = sequence % this.capacity;
    return this.sequences[slot] === sequence ? this.times[slot] : undefined;
  }
}
