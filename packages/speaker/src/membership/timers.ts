/** Timers as an injected dependency, so tests drive time and nothing schedules work at import. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A monotonic clock in ms that reads like epoch ms: immune to NTP steps, comparable with Date.now(). */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();
