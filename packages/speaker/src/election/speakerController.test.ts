import * as k8s from '@kubernetes/client-node';
import { macFromBytes, parseAddressOrThrow } from '@herald/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Announcer } from '../announce/announcer.js';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import { createSpeakerMetrics } from '../metrics.js';
import type { MembershipSource, PeerState } from './membershipSource.js';
import { SpeakerController } from './speakerController.js';

const ip = parseAddressOrThrow;

/**
 * The controller's wiring without an API server: its caches are never started (start() of the facts is
 * stubbed to "synced, empty"), membership knows no peer and the announcer holds nothing. What is counted
 * is work per event-loop turn, which does not depend on how fast the host is.
 */
function controller(o: { membership?: MembershipSource } = {}): SpeakerController {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const membership: MembershipSource = o.membership ?? { peers: () => new Map(), peersListed: () => true, onChange: () => undefined, setLocalState: () => undefined };
  const none = { started: [], stopped: [] };
  const announcer = { isAnnouncing: () => false, announcement: () => undefined, announcing: () => [], announcedTexts: () => [], set: () => none, update: () => none } as unknown as Announcer;
  const c = new SpeakerController({
    node: 'n1', kubeConfig: kc, log: pino({ level: 'silent' }), metrics: createSpeakerMetrics(), announcer, writer: { lbAddressEvent: () => undefined } as unknown as LBAddressWriter, membership,
    lbClass: undefined, claimAfterReadyMs: 0, peerWaitMs: 0,
  });
  vi.spyOn(c.facts, 'start').mockResolvedValue();
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
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // Each round decides every address being handed over: one per claim was O(n²), 1.4 s at 1,500 addresses.
    expect({ sameTurn, nextTurns: round.mock.calls.length }).toEqual({ sameTurn: 0, nextTurns: 1 });
  });

  it('a flood of claims from a peer MAC reads the membership once, not per claim (issue 11: O(N) per claim)', async () => {
    const mac = macFromBytes(Uint8Array.of(2, 0, 0, 0, 0, 2));
    const peer = { alive: false, draining: false, ready: true, judgedBy: 'Heartbeat', heartbeatsBroken: false, interfaces: [], announcing: [], macs: [mac] } as unknown as PeerState;
    const peers = vi.fn(() => new Map([['n2', peer]]));
    c = controller({ membership: { peers, peersListed: () => true, onChange: () => undefined, setLocalState: () => undefined } });
    await c.start();
    await vi.waitFor(() => expect(c!.ready()).toBe(true));
    await new Promise((r) => setTimeout(r, 20));
    peers.mockClear();
    for (let i = 0; i < 1_000; i++) c.onClaim({ address: ip(`2001:db8:1::${(0x1000 + i).toString(16)}`), mac, interface: 'eth0' });
    // The claims name n2 (heartbeats lost one way): its claim is proof of life, whatever the cost of asking.
    expect({ claimSeen: c.facts.claimSeen.has('n2'), peerReads: peers.mock.calls.length }).toEqual({ claimSeen: true, peerReads: 1 });
  });
});
