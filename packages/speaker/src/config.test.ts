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
