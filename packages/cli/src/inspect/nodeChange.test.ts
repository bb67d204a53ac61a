import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { facts, NOW } from './testing/factsFixture.js';
import { heraldView } from './heraldView.js';
import { simulate, type NodeChange } from './nodeChange.js';
import { PLAIN } from './paint.js';
import { simulationText } from './simulationText.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest();
const o = { lbClass: undefined, nowMs: NOW, sha256 };

describe('simulate: the real election with one node changed', () => {
  it('drain: exactly the addresses the node owns move, each to the next in its ranking', () => {
    const f = facts({ poolAddresses: ['192.0.2.100-192.0.2.102'] });
    const v = heraldView(f, o);
    for (const node of ['n1', 'n2', 'n3']) {
      const r = simulate(f, v, { kind: 'drain', node }, o);
      const owned = v.addresses.filter((a) => a.election.owner?.node === node);
      expect(r.moves.map((m) => m.address)).toEqual(owned.map((a) => a.address));
      for (const m of r.moves) expect(m.to).toBe(v.addresses.find((a) => a.address === m.address)!.election.ranked[1]!.node);
    }
  });

  it('drain of the only live speaker: nobody, with the reason', () => {
    const f = facts({ speakers: { n1: { ago: 1 } } });
    const r = simulate(f, heraldView(f, o), { kind: 'drain', node: 'n1' }, o);
    expect(r.moves.map((m) => [m.from, m.to, m.reason])).toEqual([['n1', '', 'NoEligibleNode'], ['n1', '', 'NoEligibleNode']]);
    expect(simulationText(r, PLAIN)).toContain('If you drain n1: 2 of 2 address(es) move, 0 stay');
  });

  it('add a node without a speaker: it takes exactly the addresses it now ranks first for', () => {
    const f = facts({ speakers: { n1: { ago: 1 }, n2: { ago: 1 } } });
    const v = heraldView(f, o);
    const r = simulate(f, v, { kind: 'add', node: 'n3', like: 'n1' }, o);
    const wins = v.addresses.filter((a) => sha256(`n3#${a.address}`).toString('hex') < sha256(`${a.election.owner!.node}#${a.address}`).toString('hex'));
    expect(wins).toHaveLength(1); // n3 outranks n2 for .100 only: the fixture exercises both outcomes
    expect(r.moves.map((m) => [m.address, m.from, m.to])).toEqual([['192.0.2.100', 'n2', 'n3']]);
    expect(r.assumptions[0]).toContain('interfaces of n3 assumed to be those of n1');
  });

  it.each([
    { name: 'drain an unknown node', change: { kind: 'drain', node: 'nope' }, error: 'node "nope" does not exist' },
    { name: 'add a node that has a speaker', change: { kind: 'add', node: 'n1' }, error: 'already has a live, ready speaker' },
    { name: 'add without interfaces or --like', change: { kind: 'add', node: 'n9' }, error: 'pass --like NODE' },
  ] as { name: string; change: NodeChange; error: string }[])('$name: a clear error', ({ change, error }) => {
    const f = facts();
    expect(() => simulate(f, heraldView(f, o), change, o)).toThrow(error);
  });
});
