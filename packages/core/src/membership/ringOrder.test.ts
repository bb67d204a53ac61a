import { describe, expect, it } from 'vitest';
import { RingOrder, ringHash } from './ringOrder.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);

describe('RingOrder', () => {
  it.each([
    { name: 'a ring of 2', n: 2, k: 3, expected: 1 },
    { name: 'a ring of 4 with k=3', n: 4, k: 3, expected: 3 },
    { name: 'a ring of 100 with k=3', n: 100, k: 3, expected: 3 },
  ])('successors() and predecessors() give min(k, n-1) distinct other nodes: $name', ({ n, k, expected }) => {
    const ring = new RingOrder(names(n));
    for (const node of names(n)) {
      const s = ring.successors(node, k);
      const p = ring.predecessors(node, k);
      expect(s).toHaveLength(expected);
      expect(p).toHaveLength(expected);
      expect(new Set(s).size).toBe(expected);
      expect(s).not.toContain(node);
    }
  });

  it('every node is watched by exactly the nodes that heartbeat it (same ring everywhere)', () => {
    const ring = new RingOrder(names(200));
    for (const node of names(200)) {
      for (const p of ring.predecessors(node, 3)) expect(ring.successors(p, 3)).toContain(node);
      for (const s of ring.successors(node, 3)) expect(ring.predecessors(s, 3)).toContain(node);
    }
  });

  it('spreads neighbours: node-17 is not watched by node-16 and node-18 just because their names sort together', () => {
    const ring = new RingOrder(names(1000));
    const watchers = ring.predecessors('node-17', 3);
    expect(watchers).not.toEqual(['node-16', 'node-15', 'node-14']);
    expect(ringHash('node-17')).not.toBe(ringHash('node-18'));
  });

  it('insert and remove keep the order a fresh ring of the same nodes has', () => {
    const ring = new RingOrder(names(50));
    expect(ring.remove('node-7')).toBe(true);
    expect(ring.remove('node-7')).toBe(false);
    expect(ring.insert('node-77')).toBe(true);
    expect(ring.insert('node-77')).toBe(false);
    const fresh = new RingOrder([...names(50).filter((n) => n !== 'node-7'), 'node-77']);
    for (const node of names(50)) expect(ring.successors(node, 3)).toEqual(fresh.successors(node, 3));
    expect(ring.size).toBe(50);
    expect(ring.has('node-7')).toBe(false);
  });

  it('a node not on the ring still gets the successors and predecessors it would have', () => {
    const ring = new RingOrder(names(20));
    const withIt = new RingOrder([...names(20), 'newcomer']);
    expect(ring.successors('newcomer', 3)).toEqual(withIt.successors('newcomer', 3));
    expect(ring.predecessors('newcomer', 3)).toEqual(withIt.predecessors('newcomer', 3));
  });
});
