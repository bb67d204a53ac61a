import { describe, expect, it } from 'vitest';
import { candidateNodes, nextCandidacyChange, type CandidateNodesInput, type PeerFacts } from './candidateNodes.js';

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
  unknownInterfacesHoldMs: 5_000,
  claimEvidenceMs: 30_000,
  ...over,
});
const member = (i: CandidateNodesInput) => candidateNodes(i).find((n) => n.name === 'p')?.member;

describe('candidateNodes', () => {
  it('counts this node in with its own draining flag and interfaces', () => {
    expect(candidateNodes(input({ self: { name: 'self', draining: true, interfaces: [], primaryInterface: 'eth0' } }))[0])
      .toEqual({ name: 'self', labels: {}, networkUnavailable: false, member: true, draining: true, interfaces: [], primaryInterface: 'eth0' });
  });
  it('without a self (an observer: the CLI), every node is judged as a peer: one without a speaker is no member', () => {
    const { self: _self, ...observer } = input();
    expect(candidateNodes(observer).map((n) => [n.name, n.member])).toEqual([['self', false], ['p', true]]);
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
  // A speaker that cannot reach the API server never publishes interfaces: held for it only this long, it
  // does not keep a dead node's addresses silent for the whole startup hold.
  it('interfaces unknown only within unknownInterfacesHoldMs of being seen starting; then judged by its (empty) list', () => {
    const at = (nowMs: number) => candidateNodes(input({ peers: new Map([['p', peer({ ready: false, interfaces: [] })]]), notReadySince: new Map([['p', 9_000]]), answered: false, nowMs })).find((n) => n.name === 'p');
    expect(at(13_999)).toMatchObject({ member: true, interfacesUnknown: true });
    expect(at(14_000)).toMatchObject({ member: true, interfaces: [] });
    expect(at(14_000)?.interfacesUnknown).toBeUndefined();
  });
});

describe('nextCandidacyChange', () => {
  const holds = { startupHoldMs: 30_000, unknownInterfacesHoldMs: 5_000, claimEvidenceMs: 20_000 };
  it.each([
    ['nothing time-bound: never', new Map<string, number>(), new Map<string, number>(), 10_000, undefined],
    ['a peer seen starting at 9 s: its unknown-interfaces hold ends first', new Map([['p', 9_000]]), new Map<string, number>(), 10_000, 14_000],
    ['past that: its startup hold', new Map([['p', 9_000]]), new Map<string, number>(), 14_000, 39_000],
    ['both past: never', new Map([['p', 9_000]]), new Map<string, number>(), 39_000, undefined],
    ['a claim seen at 5 s stops counting at 25 s', new Map<string, number>(), new Map([['q', 5_000]]), 14_000, 25_000],
    ['the earliest of several peers and claims', new Map([['p', 9_000], ['r', 12_000]]), new Map([['q', 1_000]]), 16_000, 17_000],
  ] as const)('%s', (_name, notReadySince, claimSeen, nowMs, expected) => {
    expect(nextCandidacyChange({ ...holds, notReadySince, claimSeen, nowMs })).toBe(expected);
  });
});
