import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GROUP, IncrementalElection, VERSION } from '@herald/core';
import type { Announcer } from '../../packages/speaker/src/announce/announcer.js';
import { ElectionFacts } from '../../packages/speaker/src/election/electionFacts.js';
import type { MembershipSource } from '../../packages/speaker/src/election/membershipSource.js';
import { electionFactsScene } from './electionFactsScene.js';
import { waitFor } from '../processes.js';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/**
 * An LBAddress's status never changes its election, but every status write (10,000 of them after a
 * take-over at 10,000 addresses) came back through every speaker's watch and marked the address for the
 * election to read again, and woke a round that gathers every node's facts (O(nodes)). The speaker's
 * ElectionFacts watches the real API server here; a status write must leave the election with nothing to
 * do, and a spec change must still reach it.
 */
describe('an LBAddress status write costs the election nothing', () => {
  const scene = electionFactsScene('sstat', '7f');
  const { kc, core, discovery, custom, ns, lbClass, address, lbName } = scene;

  it('a status-only update marks nothing for the election and wakes no round; a spec update does', async () => {
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', loadBalancerClass: lbClass, allocateLoadBalancerNodePorts: false, ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80 }] } },
    });
    await discovery.createNamespacedEndpointSlice({
      namespace: ns,
      body: {
        metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'test' } },
        addressType: 'IPv6', ports: [{ port: 80, protocol: 'TCP' }],
        endpoints: [{ addresses: ['2001:db8:7f::10'], nodeName: 'n1', conditions: { ready: true } }],
      },
    });
    await custom.createClusterCustomObject({
      group: GROUP, version: VERSION, plural: 'lbaddresses',
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'LBAddress', metadata: { name: lbName }, spec: { address, pool: 'p1', services: [{ namespace: ns, name: 'web' }] } },
    });

    let changed = 0;
    const addressUpdates: string[] = [];
    const election = new IncrementalElection({ sha256: (t) => createHash('sha256').update(t).digest() });
    const facts = scene.facts = new ElectionFacts({
      node: 'n1', kubeConfig: kc, log: pino({ level: 'silent' }), lbClass,
      announcer: { isAnnouncing: () => false } as unknown as Announcer,
      membership: { peers: () => new Map(), onChange: () => undefined } as unknown as MembershipSource,
      election,
      draining: () => false, changed: () => changed++, linksMayChange: () => undefined,
      addressChanged: (type, obj) => { if (obj.metadata.name === lbName) addressUpdates.push(`${type} ${obj.metadata.resourceVersion}`); },
      addressLeft: () => undefined,
    });
    await facts.start();
    // The election has read the address (and everything else the shared control plane holds).
    await waitFor('the LBAddress in the election', () => {
      facts.gather(new Map(), Date.now(), 1_000);
      election.flush();
      return facts.unread() === 0 && facts.inElection.has(lbName);
    }, { timeoutMs: 10_000, intervalMs: 50 });
    expect(facts.inElection.get(lbName)?.input.pool.name).toBe('p1');

    // The owner's status write, as the speaker sends it.
    changed = 0;
    const written = await custom.patchClusterCustomObjectStatus(
      { group: GROUP, version: VERSION, plural: 'lbaddresses', name: lbName, body: { status: { node: 'n1', interface: 'eth0', mac: '02:00:00:00:00:01' } } }, mergePatch,
    ) as { metadata: { resourceVersion: string } };
    // Positive marker: the watch delivered the write (the status reporter hears of it).
    await waitFor('the status write in the cache', () => addressUpdates.includes(`updated ${written.metadata.resourceVersion}`), { timeoutMs: 10_000, intervalMs: 20 });
    expect({
      unread: facts.unread(), roundsWoken: changed, electionPending: election.pending(),
      // The election's entry points at the cached object (the old one is not kept alive beside it).
      entryIsCached: facts.inElection.get(lbName)?.obj === facts.addresses.store.get(lbName),
    }).toEqual({ unread: 0, roundsWoken: 0, electionPending: 0, entryIsCached: true });

    // A spec change still reaches the election.
    const moved = await custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: 'lbaddresses', name: lbName, body: { spec: { pool: 'p2' } } }, mergePatch,
    ) as { metadata: { resourceVersion: string } };
    await waitFor('the spec change in the cache', () => addressUpdates.includes(`updated ${moved.metadata.resourceVersion}`), { timeoutMs: 10_000, intervalMs: 20 });
    expect({ unread: facts.unread(), roundsWoken: changed > 0 }).toEqual({ unread: 1, roundsWoken: true });
    facts.gather(new Map(), Date.now(), 1_000);
    expect(facts.inElection.get(lbName)?.input.pool.name).toBe('p2');
  });
});
