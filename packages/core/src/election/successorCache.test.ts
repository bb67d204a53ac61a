import { describe, expect, it } from 'vitest';
import type { Candidate } from './electOwner.js';
import { SuccessorCache } from './successorCache.js';

const c = (node: string): Candidate => ({ node, interface: 'eth0', draining: false });

/** a → n1, b → n1, c → n2, d → nobody. */
function filled(): SuccessorCache {
  const k = new SuccessorCache();
  k.set('a', c('n1'));
  k.set('b', c('n1'));
  k.set('c', c('n2'));
  k.set('d', undefined);
  return k;
}

const kept = (k: SuccessorCache) => Object.fromEntries(['a', 'b', 'c', 'd'].map((a) => [a, k.get(a) === undefined ? '-' : (k.get(a)?.node ?? 'nobody')]));

describe('SuccessorCache', () => {
  it.each([
    ['nothing forgotten: every answer, nobody as null', () => {}, { a: 'n1', b: 'n1', c: 'n2', d: 'nobody' }, 4],
    ['forgetting a node forgets every address it would take, and only those', (k: SuccessorCache) => k.forgetNode('n1'), { a: '-', b: '-', c: 'n2', d: 'nobody' }, 2],
    ['forgetting a node that takes nothing forgets nothing', (k: SuccessorCache) => k.forgetNode('n9'), { a: 'n1', b: 'n1', c: 'n2', d: 'nobody' }, 4],
    ['forgetting nobody forgets the addresses nobody else may announce', (k: SuccessorCache) => k.forgetNobody(), { a: 'n1', b: 'n1', c: 'n2', d: '-' }, 3],
    ['forgetting one address', (k: SuccessorCache) => k.forget('b'), { a: 'n1', b: '-', c: 'n2', d: 'nobody' }, 3],
    ['an address answered again leaves its old node\'s index', (k: SuccessorCache) => {
      k.set('a', c('n2'));
      k.forgetNode('n1');
    }, { a: 'n2', b: '-', c: 'n2', d: 'nobody' }, 3],
    ['an address answered again leaves the nobody index', (k: SuccessorCache) => {
      k.set('d', c('n3'));
      k.forgetNobody();
    }, { a: 'n1', b: 'n1', c: 'n2', d: 'n3' }, 4],
    ['an address forgotten leaves its node\'s index (set again later, it is not forgotten with the node)', (k: SuccessorCache) => {
      k.forget('a');
      k.forgetNode('n1');
      k.set('a', c('n2'));
      k.forgetNode('n1');
    }, { a: 'n2', b: '-', c: 'n2', d: 'nobody' }, 3],
  ] as const)('%s', (_name, act, expected, size) => {
    const k = filled();
    act(k);
    expect(kept(k)).toEqual(expected);
    expect(k.size).toBe(size);
  });
});
