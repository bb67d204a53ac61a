/**
 * A speaker's incarnation is its start time in ms since the epoch, so a restart normally makes a larger
 * one and peers drop the old incarnation's heartbeats as stale. A clock stepped back across a restart
 * (no RTC, NTP not yet synced) would make the new incarnation look stale to every peer; when the previous
 * incarnation is known (published on the node's Lease) the new one is forced past it.
 */
export function chooseIncarnation(nowMs: number, previous?: number): number {
  const now = Math.floor(nowMs);
  if (!Number.isSafeInteger(now) || now < 1) throw new RangeError(`an incarnation is a positive ms timestamp, not ${nowMs}`);
  return previous !== undefined && Number.isSafeInteger(previous) && previous >= now ? previous + 1 : now;
}
