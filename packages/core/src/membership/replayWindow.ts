/**
 * Anti-replay for one sender's sequence numbers (IPsec style): accepts a sequence once, also slightly
 * out of order (two datagrams sent a microsecond apart may swap on the wire), and refuses anything at or
 * below the window's lower edge. The HMAC says who wrote a datagram; this says it is new.
 */
export class ReplayWindow {
  private top = -1;
  /** Bit i set: sequence `top - i` was seen (i < WIDTH). */
  private seen = 0;
  static readonly WIDTH = 32;

  /** True (and remembered) if `sequence` is new; false for a replay or something too old to judge. */
  accept(sequence: number): boolean {
    if (sequence > this.top) {
      const shift = sequence - this.top;
      this.seen = shift >= ReplayWindow.WIDTH ? 1 : ((this.seen << shift) | 1) >>> 0;
      this.top = sequence;
      return true;
    }
    const age = this.top - sequence;
    if (age >= ReplayWindow.WIDTH) return false;
    const bit = (1 << age) >>> 0;
    if ((this.seen & bit) !== 0) return false;
    this.seen = (this.seen | bit) >>> 0;
    return true;
  }
}
