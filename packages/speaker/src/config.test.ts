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
  ])('$name → $want', ({ args, want }) => {
    const c = readSpeakerConfig([...base, ...args], {});
    expect(c === 'help' ? c : c.membershipThreadPriority).toBe(want);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => readSpeakerConfig([...base, '--membership-thread-priority', 'fifo'], {})).toThrow('--membership-thread-priority must be realtime, nice, off, not "fifo"');
  });
});
