import { describe, expect, it } from 'vitest';
import { noOwnerReporter, type ReporterFacts } from './noOwnerReporter.js';

const n = (name: string, over: Partial<ReporterFacts> = {}): ReporterFacts => ({ name, member: true, draining: false, ...over });

describe('noOwnerReporter', () => {
  it.each([
    ['the first live node by name', [n('c'), n('a'), n('b')], 'a'],
    ['skips nodes without a live speaker', [n('a', { member: false }), n('b'), n('c')], 'b'],
    ['skips a draining node while another is live', [n('a', { draining: true }), n('b')], 'b'],
    ['skips a not-ready node while a ready one is live', [n('a', { ready: false }), n('b')], 'b'],
    ['a not-ready node before a draining one when those are all that is left', [n('a', { draining: true }), n('b', { ready: false })], 'b'],
    ['a draining node when it is the only live one', [n('a', { draining: true }), n('b', { member: false })], 'a'],
    ['nobody when no speaker is live', [n('a', { member: false })], undefined],
    ['nobody for an empty cluster', [], undefined],
  ] as const)('%s', (_name, nodes, expected) => {
    expect(noOwnerReporter(nodes)).toBe(expected);
  });

  it('is the same whatever the order of the node list (every speaker agrees)', () => {
    const nodes = [n('n3'), n('n1', { draining: true }), n('n2'), n('n4', { member: false })];
    expect(noOwnerReporter(nodes)).toBe('n2');
    expect(noOwnerReporter([...nodes].reverse())).toBe('n2');
  });
});
