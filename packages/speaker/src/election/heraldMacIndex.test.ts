import * as k8s from '@kubernetes/client-node';
import type { IncrementalElection, LBAddress } from '@herald/core';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { Announcer } from '../announce/announcer.js';
import { ElectionFacts } from './electionFacts.js';
import { HeraldMacIndex } from './heraldMacIndex.js';
import type { MembershipSource, PeerState } from './membershipSource.js';

const peer = (macs: string[]): PeerState => ({ alive: true, draining: false, ready: true, judgedBy: 'heartbeat', heartbeatsBroken: false, interfaces: [], announcing: [], macs } as unknown as PeerState);
const status = (node: string, mac: string) => ({ node, mac });
const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const MAC_C = '02:00:00:00:00:0c';

describe('HeraldMacIndex', () => {
  it('follows LBAddress statuses through add, update and delete, and remembers a MAC once seen', () => {
    const index = new HeraldMacIndex(() => new Map());
    index.update('added', status('a', MAC_A), undefined);
    index.update('added', status('a', MAC_A), undefined);
    expect({ owner: index.owner(MAC_A), macs: [...index.macs()] }).toEqual({ owner: 'a', macs: [MAC_A] });
    // One of the two statuses moves to b: a's MAC is still named by the other.
    index.update('updated', status('b', MAC_B), status('a', MAC_A));
    expect({ a: index.owner(MAC_A), b: index.owner(MAC_B), macs: [...index.macs()].sort() }).toEqual({ a: 'a', b: 'b', macs: [MAC_A, MAC_B] });
    // The last status naming a's MAC moves too: no status names it, but it was seen (a peer that took an
    // address over has just overwritten the status naming its owner).
    index.update('updated', status('b', MAC_B), status('a', MAC_A));
    expect({ a: index.owner(MAC_A), macs: [...index.macs()] }).toEqual({ a: 'a', macs: [MAC_B] });
    index.update('deleted', status('b', MAC_B), status('b', MAC_B));
    index.update('deleted', status('b', MAC_B), status('b', MAC_B));
    expect({ b: index.owner(MAC_B), macs: [...index.macs()], unknown: index.owner(MAC_C) }).toEqual({ b: 'b', macs: [], unknown: undefined });
    // A status whose MAC was removed (no owner) names nothing.
    index.update('added', status('c', MAC_C), undefined);
    index.update('updated', { node: null, mac: null }, status('c', MAC_C));
    expect([...index.macs()]).toEqual([]);
  });

  it('asks heartbeats first, and reads the peers again only after membership changed', () => {
    let peers = new Map([['b', peer([MAC_B])]]);
    const read = vi.fn(() => peers);
    const index = new HeraldMacIndex(read);
    index.update('added', status('x', MAC_B), undefined);
    expect(index.owner(MAC_B)).toBe('b');
    for (let i = 0; i < 1_000; i++) index.owner(MAC_B);
    expect(read).toHaveBeenCalledTimes(1);
    peers = new Map([['c', peer([MAC_C])]]);
    expect(index.owner(MAC_C)).toBeUndefined();
    index.peersChanged();
    expect({ c: index.owner(MAC_C), b: index.owner(MAC_B), macs: [...index.macs()].sort(), reads: read.mock.calls.length }).toEqual({ c: 'c', b: 'x', macs: [MAC_B, MAC_C], reads: 2 });
  });
});

describe('ElectionFacts MAC questions', () => {
  it('10,000 LBAddresses and 10,000 claims: no walk of the LBAddresses, the peers read once', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const listeners: (() => void)[] = [];
    const peers = new Map([['n2', peer([MAC_B])]]);
    const membership: MembershipSource = { peers: vi.fn(() => peers), peersListed: () => true, onChange: (l) => listeners.push(l), setLocalState: () => undefined };
    const facts = new ElectionFacts({
      node: 'n1', kubeConfig: kc, log: pino({ level: 'silent' }), announcer: {} as Announcer, membership, lbClass: undefined, election: {} as IncrementalElection,
      draining: () => false, changed: () => undefined, linksMayChange: () => undefined, addressChanged: () => undefined, addressLeft: () => undefined,
    });
    // As the reflector's watch would deliver them: every address announced by n3 (MAC_C).
    const reflector = facts.addresses as unknown as { store: Map<string, LBAddress>; o: { onChange: (type: string, obj: LBAddress, previous?: LBAddress) => void } };
    for (let i = 0; i < 10_000; i++) {
      const obj = { metadata: { name: `a${i}`, resourceVersion: '1' }, spec: { address: `2001:db8::${i.toString(16)}`, pool: 'p', services: [] }, status: { node: 'n3', mac: MAC_C } } as LBAddress;
      reflector.store.set(`a${i}`, obj);
      reflector.o.onChange('added', obj, undefined);
    }
    const walks = vi.spyOn(reflector.store, 'values');
    const entries = vi.spyOn(reflector.store, Symbol.iterator);
    const owners = new Set<string | undefined>();
    let herald = 0;
    for (let i = 0; i < 10_000; i++) {
      owners.add(facts.macOwner(i % 2 ? MAC_C : MAC_B));
      if (facts.heraldMacs().has(MAC_C)) herald++;
    }
    expect({ owners: [...owners].sort(), herald, storeWalks: walks.mock.calls.length + entries.mock.calls.length, peerReads: vi.mocked(membership.peers).mock.calls.length })
      .toEqual({ owners: ['n2', 'n3'], herald: 10_000, storeWalks: 0, peerReads: 1 });
    // A peer's interfaces change: read once more, and the answer follows.
    peers.set('n3', peer([MAC_C]));
    for (const l of listeners) l();
    expect(facts.macOwner(MAC_C)).toBe('n3');
    // A status naming n3's MAC goes away; the heartbeat still names it.
    const first = reflector.store.get('a0')!;
    reflector.store.delete('a0');
    reflector.o.onChange('deleted', first, first);
    expect({ owner: facts.macOwner(MAC_C), peerReads: vi.mocked(membership.peers).mock.calls.length }).toEqual({ owner: 'n3', peerReads: 2 });
  });
});
