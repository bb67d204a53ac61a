import { describe, expect, it } from 'vitest';
import { judgeLeave, type HeldNode, type LeaveJudgement } from './leaveNotice.js';

const held = (incarnation: number, version: number, how: 'alive' | 'dead' | 'left' = 'alive'): HeldNode => ({ incarnation, version, dead: how === 'dead', left: how === 'left' });
const notice = { node: 'node-b', incarnation: 10, version: 5 };

describe('judgeLeave', () => {
  it.each<{ name: string; held: HeldNode | undefined; expected: LeaveJudgement }>([
    { name: 'alive at the version before the leave (the leaver bumps its version as it leaves)', held: held(10, 4), expected: 'News' },
    { name: 'alive at the very version of the leave (its last heartbeats carried it)', held: held(10, 5), expected: 'News' },
    { name: 'dead at an older version (declared by a peer that missed the notice)', held: held(10, 4, 'dead'), expected: 'News' },
    { name: 'dead at the same version: Left beats Dead', held: held(10, 5, 'dead'), expected: 'News' },
    { name: 'an older incarnation held (we never heard the process that left)', held: held(7, 9), expected: 'News' },
    { name: 'already Left at this version', held: held(10, 5, 'left'), expected: 'Known' },
    { name: 'already Left at a later version', held: held(10, 6, 'left'), expected: 'Known' },
    { name: 'a newer incarnation alive (the speaker restarted): the notice is stale', held: held(11, 1), expected: 'Stale' },
    { name: 'a newer incarnation left too: the old notice is stale', held: held(11, 2, 'left'), expected: 'Stale' },
    { name: 'state published after the notice (the node kept running)', held: held(10, 6), expected: 'Stale' },
    { name: 'a node never heard of', held: undefined, expected: 'Unknown' },
  ])('$name → $expected', ({ held: h, expected }) => {
    expect(judgeLeave(h, notice)).toBe(expected);
  });
});
