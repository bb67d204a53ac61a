import { describe, expect, it } from 'vitest';
import { candidateNodes, type CandidateNodesInput, type PeerFacts } from './candidateNodes.js';

const peer = (over: Partial<PeerFacts> = {}): PeerFacts => ({ alive: true, ready: true, draining: false, interfaces: [{ name: 'eth0', subnets: ['192.0.2.2/24'] }], ...over });
const input = (over: Partial<CandidateNodesInput> = {}): CandidateNodesInput => ({
  nodes: ['self', 'p'].map((name) => ({ name, labels: {}, networkUnavailable: false })),
  self: { name: 'self', draining: false, interfaces: [], primaryInterface: 'eth0' },
  peers: new Map([['p', peer()]]),
  notReadySince: new Map(),
  claimSeen: new Map(),
  answered: true,
  nowMs: 10_000,
  startupHoldMs: 30_000,
  claimEvidenceMs: 30_000,
  ...over,
});
const member = (i: CandidateNodesInput) => candidateNodes(i).find((n) => n.name === 'p')?.member;

describe('candidateNodes', () => {
  it('counts this node in with its own draining flag and interfaces', () => {
    expect(candidateNodes(input({ self: { name: 'self', draining: true, interfaces: [], primaryInterface: 'eth0' } }))[0])
      .toEqual({ name: 'self', labels: {}, networkUnavailable: false, member: true, draining: true, interfaces: [], primaryInterface: 'eth0' });
  });
  it.each([
    ['a live ready peer is a member', {}, true],
    ['a Node without a speaker is not', { peers: new Map() }, false],
    ['a dead peer is not', { peers: new Map([['p', peer({ alive: false })]]) }, false],
    ['a dead peer seen claiming recently is', { peers: new Map([['p', peer({ alive: false })]]), claimSeen: new Map([['p', 9_000]]) }, true],
    ['a starting peer is not, for an answered address', { peers: new Map([['p', peer({ ready: false })]]), notReadySince: new Map([['p', 9_000]]) }, false],
    ['a starting peer is, for an unanswered address', { peers: new Map([['p', peer({ ready: false })]]), notReadySince: new Map([['p', 9_000]]), answered: false }, true],
  ] as const)('%s', (_name, over, expected) => {
    expect(member(input(over as Partial<CandidateNodesInput>))).toBe(expected);
  });

  // Start race (13 speakers at once): a starting peer's first heartbeats carry no interfaces (its caches,
  // which say which links it publishes, are not synced yet). Judged ineligible, the node ranked next took
  // the address, and both answered once the starting node elected itself.
  const unknown = (i: CandidateNodesInput) => candidateNodes(i).find((n) => n.name === 'p')?.interfacesUnknown;
  it.each([
    ['a starting peer without interfaces, for an unanswered address', { ready: false, interfaces: [] }, false, true],
    ['not once it publishes interfaces', { ready: false }, false, undefined],
    ['not for an answered address (it is no candidate there)', { ready: false, interfaces: [] }, true, undefined],
    ['not a ready peer without interfaces (it has none to announce on)', { interfaces: [] }, false, undefined],
    ['not a dead peer seen claiming', { alive: false, interfaces: [] }, false, undefined],
  ] as const)('interfaces unknown: %s', (_name, over, answered, expected) => {
    const i = input({ peers: new Map([['p', peer(over as Partial<PeerFacts>)]]), notReadySince: new Map([['p', 9_000]]), claimSeen: new Map([['p', 9_500]]), answered });
    expect(unknown(i)).toBe(expected);
  });
});
