import * as k8s from '@kubernetes/client-node';
import { macFromBytes, parseAddressOrThrow } from '@herald/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Announcer } from '../announce/announcer.js';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import { createSpeakerMetrics } from '../metrics.js';
import type { MembershipSource, PeerState } from './membershipSource.js';
import { SpeakerController, type SpeakerControllerOptions } from './speakerController.js';

const ip = parseAddressOrThrow;

/**
 * The controller's wiring without an API server: its caches are never started (each cache's start() is
 * stubbed to "synced, empty"), membership knows no peer and the announcer holds nothing. What is counted
 * is work per event-loop turn, which does not depend on how fast the host is.
 */
function controller(o: { membership?: MembershipSource; options?: Partial<SpeakerControllerOptions>; synced?: Promise<void> } = {}): SpeakerController {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const membership: MembershipSource = o.membership ?? { peers: () => new Map(), peersListed: () => true, onChange: () => undefined, setLocalState: () => undefined };
  const none = { started: [], stopped: [] };
  const announcer = { isAnnouncing: () => false, announcement: () => undefined, quietBursts: () => undefined, announcing: () => [], announcedTexts: () => [], set: () => none, update: () => none } as unknown as Announcer;
  const c = new SpeakerController({
    node: 'n1', kubeConfig: kc, log: pino({ level: 'silent' }), metrics: createSpeakerMetrics(), announcer, writer: { lbAddressEvent: () => undefined } as unknown as LBAddressWriter, membership,
    lbClass: undefined, claimAfterReadyMs: 0, peerWaitMs: 0, ...o.options,
  });
  // Every cache "synced, empty" once `synced` resolves (at once by default).
  for (const r of [c.facts.nodes, c.facts.services, c.facts.slices, c.facts.pools, c.facts.ads, c.facts.addresses]) vi.spyOn(r, 'start').mockImplementation(() => o.synced ?? Promise.resolve());
  return c;
}

describe('SpeakerController', () => {
  let c: SpeakerController | undefined;
  afterEach(() => {
    c?.stop();
    vi.restoreAllMocks();
  });

  it('a burst of successor claims seen on the wire in one turn costs one election round, on the next turn, not one round each', async () => {
    c = controller();
    await c.start();
    await vi.waitFor(() => expect(c!.ready()).toBe(true));
    // Let the first applied round (claimAfterReadyMs) pass, then count.
    await new Promise((r) => setTimeout(r, 20));
    const round = vi.spyOn(c.scheduler, 'round');
    // Every claimed address is one this node hands over (make-before-break): the successor announces them all.
    vi.spyOn(c.scheduler, 'handingOver').mockReturnValue(true);
    for (let i = 0; i < 1_000; i++) c.onClaim({ address: ip(`2001:db8:1::${(0x1000 + i).toString(16)}`), mac: macFromBytes(Uint8Array.of(2, 0, 0, 0, 0, 2)), interface: 'eth0' });
    const sameTurn = round.mock.calls.length;
    // The claims are handled on later turns, a slice per turn (ClaimQueue); a round follows each slice at most.
    let turns = 0;
    while (c.claims.size() > 0) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // Each round decided every address being handed over: one per claim was O(n²), 1.4 s at 1,500 addresses.
    expect({ sameTurn, roundsAtMostOnePerTurn: round.mock.calls.length <= turns + 1, fewRounds: round.mock.calls.length < 100 }).toEqual({ sameTurn: 0, roundsAtMostOnePerTurn: true, fewRounds: true });
  });

  it('a flood of claims from a peer MAC reads the membership once, not per claim (issue 11: O(N) per claim)', async () => {
    const mac = macFromBytes(Uint8Array.of(2, 0, 0, 0, 0, 2));
    const peer = { alive: false, draining: false, ready: true, judgedBy: 'Heartbeat', heartbeatsBroken: false, interfaces: [], announcing: [], macs: [mac] } as unknown as PeerState;
    const peers = vi.fn(() => new Map([['n2', peer]]));
    c = controller({ membership: { peers, peersListed: () => true, onChange: () => undefined, setLocalState: () => undefined } });
    await c.start();
    await vi.waitFor(() => expect(c!.ready()).toBe(true));
    await new Promise((r) => setTimeout(r, 20));
    // Only what the claims themselves read is counted: the rounds they bring read the peers as any round does.
    vi.spyOn(c.scheduler, 'recompute').mockImplementation(() => undefined);
    peers.mockClear();
    for (let i = 0; i < 1_000; i++) c.onClaim({ address: ip(`2001:db8:1::${(0x1000 + i).toString(16)}`), mac, interface: 'eth0' });
    while (c.claims.size() > 0) await new Promise((r) => setImmediate(r));
    // The claims name n2 (heartbeats lost one way): its claim is proof of life, whatever the cost of asking.
    expect({ claimSeen: c.facts.claimSeen.has('n2'), peerReads: peers.mock.calls.length }).toEqual({ claimSeen: true, peerReads: 1 });
  });

  // Start race (13 speakers at once): peers judged a starting node by the links it published before its
  // caches synced (only the heartbeat link; the pool's was not known yet), found it ineligible, and the node
  // ranked next took the address; both answered once the starting node elected itself.
  it('publishes no interfaces until its caches are synced, then its links at once', async () => {
    const published: string[][] = [];
    const membership: MembershipSource = {
      peers: () => new Map(), peersListed: () => true, onChange: () => undefined,
      setLocalState: (s) => void published.push(s.interfaces.map((i) => i.name)),
    };
    let synced!: () => void;
    c = controller({ membership, options: { heartbeatAddress: '192.0.2.11' }, synced: new Promise<void>((r) => (synced = r)) });
    const starting = c.start();
    c.setLinks([{ name: 'eth0', index: 2, type: 'ETHER', up: true, carrier: true, enslaved: false, noArp: false, mac: '02:00:00:00:00:0b', subnets: ['192.0.2.11/24'] }]);
    expect(published.length).toBeGreaterThan(0);
    expect(published.every((p) => p.length === 0)).toBe(true);
    synced();
    await starting;
    await vi.waitFor(() => expect(published.at(-1)).toEqual(['eth0']));
  });

  it('elects again when the hold of a starting peer runs out, with no other event', async () => {
    const starting = { alive: true, draining: false, ready: false, judgedBy: 'Heartbeat', heartbeatsBroken: false, interfaces: [], announcing: [] } as PeerState;
    const membership: MembershipSource = { peers: () => new Map([['n2', starting]]), peersListed: () => true, onChange: () => undefined, setLocalState: () => undefined };
    c = controller({ membership, options: { unknownInterfacesHoldMs: 100, startupHoldMs: 300 } });
    c.facts.nodes.store.set('n2', { metadata: { name: 'n2', labels: {} } } as never);
    await c.start();
    await vi.waitFor(() => expect(c!.ready()).toBe(true));
    await new Promise((r) => setTimeout(r, 20));
    const round = vi.spyOn(c.scheduler, 'round');
    // One round as the unknown-interfaces hold ends (~100 ms), one as the startup hold ends (~300 ms).
    await vi.waitFor(() => expect(round.mock.calls.length).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const roundsAfter = round.mock.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    // Then nothing more is due: no timer keeps firing.
    expect(round.mock.calls.length).toBe(roundsAfter);
  });
});
