import { describe, expect, it } from 'vitest';
import { readSpeakerConfig } from './config.js';

const base = ['--node-name', 'n1'];

describe('--membership-protocol', () => {
  it.each([
    { name: 'default', args: [] as string[], want: 'auto' },
    { name: 'auto', args: ['--membership-protocol', 'auto'], want: 'auto' },
    { name: 'forced version 1', args: ['--membership-protocol', 'v1'], want: 'v1' },
  ])('$name → $want', ({ args, want }) => {
    const c = readSpeakerConfig([...base, ...args], {});
    expect(c === 'help' ? c : c.membershipProtocol).toBe(want);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => readSpeakerConfig([...base, '--membership-protocol', 'v2'], {})).toThrow('--membership-protocol must be v1 or auto, not "v2"');
  });
});

describe('--membership-thread and --main-loop-bound', () => {
  it.each([
    { name: 'default: a worker thread, 1.5 s bound', args: [] as string[], want: { membershipThread: 'worker', mainLoopBoundMs: 1_500 } },
    { name: 'on the main thread', args: ['--membership-thread', 'main'], want: { membershipThread: 'main', mainLoopBoundMs: 1_500 } },
    { name: 'a longer bound', args: ['--main-loop-bound', '3000'], want: { membershipThread: 'worker', mainLoopBoundMs: 3_000 } },
  ])('$name', ({ args, want }) => {
    const c = readSpeakerConfig([...base, ...args], {});
    expect(c === 'help' ? c : { membershipThread: c.membershipThread, mainLoopBoundMs: c.mainLoopBoundMs }).toEqual(want);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => readSpeakerConfig([...base, '--membership-thread', 'both'], {})).toThrow('--membership-thread must be worker or main, not "both"');
    expect(() => readSpeakerConfig([...base, '--main-loop-bound', '50'], {})).toThrow('--main-loop-bound must be a whole number >= 100, not "50"');
  });
});

describe('--membership-thread-priority', () => {
  it.each([
    { name: 'default: off', args: [] as string[], want: 'off' },
    { name: 'nice', args: ['--membership-thread-priority', 'nice'], want: 'nice' },
    { name: 'realtime (then nice)', args: ['--membership-thread-priority', 'realtime'], want: 'realtime' },
    { name: 'off', args: ['--membership-thread-priority', 'off'], want: 'off' },
    { name: 'deadline (SCHED_DEADLINE, else as started)', args: ['--membership-thread-priority', 'deadline'], want: 'deadline' },
  ])('$name → $want', ({ args, want }) => {
    const c = readSpeakerConfig([...base, ...args], {});
    expect(c === 'help' ? c : c.membershipThreadPriority).toBe(want);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => readSpeakerConfig([...base, '--membership-thread-priority', 'fifo'], {})).toThrow('--membership-thread-priority must be deadline, realtime, nice, off, not "fifo"');
  });

  it.each([
    { name: 'default: 2 ms every 10 ms', args: [] as string[], want: { runtimeUs: 2_000, periodUs: 10_000 } },
    { name: 'both given', args: ['--membership-thread-deadline-runtime', '500', '--membership-thread-deadline-period', '20000'], want: { runtimeUs: 500, periodUs: 20_000 } },
    { name: 'runtime = period', args: ['--membership-thread-deadline-runtime', '10000'], want: { runtimeUs: 10_000, periodUs: 10_000 } },
  ])('deadline budget, $name', ({ args, want }) => {
    const c = readSpeakerConfig([...base, '--membership-thread-priority', 'deadline', ...args], {});
    expect(c === 'help' ? c : c.membershipThreadDeadline).toEqual(want);
  });

  it.each([
    { args: ['--membership-thread-deadline-runtime', '20000'], want: '--membership-thread-deadline-runtime (20000) must not exceed --membership-thread-deadline-period (10000)' },
    { args: ['--membership-thread-deadline-runtime', '1'], want: '--membership-thread-deadline-runtime must be a whole number >= 2, not "1"' },
    { args: ['--membership-thread-deadline-period', '2.5'], want: '--membership-thread-deadline-period must be a whole number >= 1, not "2.5"' },
  ])('refuses a budget the kernel would not take: $args', ({ args, want }) => {
    expect(() => readSpeakerConfig([...base, ...args], {})).toThrow(want);
  });
});
