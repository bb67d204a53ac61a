// Preload (node --import) that shifts this process's wall clock by HERALD_TEST_CLOCK_OFFSET_MS: Date.now()
// and new Date() run ahead (or behind), as on a node whose clock is wrong. The monotonic clock
// (performance.now, process.hrtime) is left alone, as it is on a real machine with a skewed clock.
const offset = Number(process.env.HERALD_TEST_CLOCK_OFFSET_MS ?? '0');
if (!Number.isFinite(offset)) throw new Error(`HERALD_TEST_CLOCK_OFFSET_MS must be a number of milliseconds, not "${process.env.HERALD_TEST_CLOCK_OFFSET_MS}"`);
const RealDate = Date;
class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = SkewedDate;
