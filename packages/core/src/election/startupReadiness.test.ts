import { describe, expect, it } from 'vitest';
import { startupReadiness, type ReadinessFacts, type ReadinessPeer } from './startupReadiness.js';

const peer = (node: string, over: Partial<ReadinessPeer> = {}): ReadinessPeer => ({ node, alive: true, judgedBy: 'Heartbeat', heartbeatsBroken: false, ...over });
const base: ReadinessFacts = { cachesSynced: true, peersListed: true, peers: [peer('n2'), peer('n3')] };

describe('startupReadiness', () => {
  it.each([
    ['ready once caches are synced, peers listed and heard', {}, true, 'Ready'],
    ['ready alone when the Lease list names no peer', { peers: [] }, true, 'Ready'],
    ['caches first: an API it cannot reach keeps it not ready', { cachesSynced: false, peersListed: false }, false, 'CachesNotSynced'],
    ['a Lease list that is slow or denied keeps it not ready', { peersListed: false }, false, 'PeersNotListed'],
    ['a node with no speaker yet is waited for while the cluster starts', { expectedPeers: ['n2', 'n3', 'n4'], waitedMs: 1_000, peerWaitMs: 10_000 }, false, 'PeersNotStarted'],
    ['... but not for longer than the peer wait (a node that runs no speaker)', { expectedPeers: ['n2', 'n3', 'n4'], waitedMs: 10_000, peerWaitMs: 10_000 }, true, 'Ready'],
    ['every expected node has a speaker: no wait', { expectedPeers: ['n2', 'n3'], waitedMs: 0, peerWaitMs: 10_000 }, true, 'Ready'],
    ['a listed peer not heard from yet keeps it not ready', { peers: [peer('n2'), peer('n3', { judgedBy: 'Lease' })] }, false, 'PeersNotHeard'],
    ['a listed peer whose heartbeats are broken is judged by its Lease: ready', { peers: [peer('n2', { judgedBy: 'Lease', heartbeatsBroken: true })] }, true, 'Ready'],
    ['a peer with an expired Lease is dead, not waited for', { peers: [peer('n2', { judgedBy: 'Lease', alive: false })] }, true, 'Ready'],
    ['a dead heartbeat peer is not waited for', { peers: [peer('n2', { alive: false })] }, true, 'Ready'],
  ] as const)('%s', (_name, over, ready, reason) => {
    const r = startupReadiness({ ...base, ...(over as Partial<ReadinessFacts>) });
    expect({ ready: r.ready, reason: r.reason }).toEqual({ ready, reason });
  });

  it('names the peers it waits for', () => {
    expect(startupReadiness({ ...base, peers: [peer('n3', { judgedBy: 'Lease' })] }).message).toContain('n3');
  });
});
