import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PLAIN } from './paint.js';
import { facts, NOW, type FactsOptions } from './testing/factsFixture.js';
import { heraldView } from './heraldView.js';
import { statusReport } from './statusReport.js';
import { statusText } from './statusText.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest();
const report = (o: FactsOptions) => statusReport(heraldView(facts(o), { lbClass: undefined, nowMs: NOW, sha256 }), { nowMs: NOW });

describe('statusReport: what is wrong (exit 4 when anything is)', () => {
  it.each([
    { name: 'a full pool and a waiting Service', o: { poolAddresses: ['192.0.2.100-192.0.2.101'] }, problems: ['app/late has no address: PoolExhausted'] },
    { name: 'room for everyone', o: { poolAddresses: ['192.0.2.100-192.0.2.102'] }, problems: [] },
    { name: 'a dead speaker (Lease expired)', o: { poolAddresses: ['192.0.2.100-192.0.2.102'], speakers: { n1: { ago: 1 }, n2: { ago: 40 }, n3: { ago: 1 } } }, problems: ['speaker on n2 is Dead'] },
    { name: 'a speaker not ready', o: { poolAddresses: ['192.0.2.100-192.0.2.102'], speakers: { n1: { ago: 1 }, n2: { ago: 1, ready: false }, n3: { ago: 1 } } }, problems: ['speaker on n2 is NotReady'] },
    { name: 'a draining speaker is not a problem', o: { poolAddresses: ['192.0.2.100-192.0.2.102'], speakers: { n1: { ago: 1 }, n2: { ago: 1, draining: true }, n3: { ago: 1 } } }, problems: [] },
    { name: 'no live speaker: every address unowned', o: { poolAddresses: ['192.0.2.100-192.0.2.102'], speakers: {} }, problems: ['192.0.2.100 has no owner: NoEligibleNode', '192.0.2.101 has no owner: NoEligibleNode'] },
    { name: 'an overlapping pool', o: { poolAddresses: ['192.0.2.100-192.0.2.102'], invalidPool: true }, problems: ['pool overlap is Conflict'] },
  ] as { name: string; o: FactsOptions; problems: string[] }[])('$name', ({ o, problems }) => {
    const r = report(o);
    expect(r.problems).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(r.problems[i]).toContain(p));
  });

  it('a Linux node without a speaker Lease is listed as NoSpeaker, not a problem; a Windows node is not listed', () => {
    const r = report({ poolAddresses: ['192.0.2.100-192.0.2.102'], windowsNode: true, speakers: { n1: { ago: 1 }, n2: { ago: 1 } } });
    expect(r.speakers.map((s) => [s.node, s.state])).toEqual([['n1', 'Ready'], ['n2', 'Ready'], ['n3', 'NoSpeaker']]);
    expect(r.problems).toEqual([]);
  });

  it('pools, speakers and addresses per node as tables', () => {
    const r = report({ poolAddresses: ['192.0.2.100-192.0.2.102'] });
    expect(r.pools).toEqual([{ name: 'lan', valid: true, reason: 'Valid', size: '3', used: '3', free: '0', message: expect.any(String) }]);
    expect(r.speakers.map((s) => [s.node, s.state, s.addresses])).toEqual([['n1', 'Ready', ['192.0.2.100']], ['n2', 'Ready', []], ['n3', 'Ready', ['192.0.2.101']]]);
    const text = statusText(r, PLAIN);
    expect(text).toMatch(/^NAME {2}STATE {2}SIZE {2}USED {2}FREE\nlan {3}Valid {2}3 {5}3 {5}0$/m);
    expect(text).toContain('OK: every pool valid');
  });
});
