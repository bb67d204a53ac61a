import type { MembershipView, PeerView } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { SentView } from './sentView.js';

const peer = (node: string, announcing: string[], extra: Partial<PeerView> = {}): PeerView => ({
  node, self: node === 'n1', alive: true, judgedBy: node === 'n1' ? 'Self' : 'Heartbeat', draining: false, ready: true, interfaces: [], announcing, heartbeatsBroken: false, ...extra,
});
const view = (atMs: number, ...peers: PeerView[]): MembershipView => ({ atMs, peers });
/** Worker → postMessage → main thread. */
const send = (worker: SentView, main: SentView, v: MembershipView) => {
  const packed = structuredClone(worker.pack(v));
  return { packed, received: main.unpack(packed) };
};

describe('SentView: unchanged announced lists are not sent again, and the main thread sees every view whole', () => {
  it('first view whole; then unchanged lists left out (equal, not only identical); changed lists, new peers and emptied lists sent', () => {
    const worker = new SentView();
    const main = new SentView();
    const big = Array.from({ length: 5_000 }, (_, i) => `2001:db8:1::${i.toString(16)}`);
    const v1 = view(1, peer('n1', ['192.0.2.1']), peer('n2', big));
    const first = send(worker, main, v1);
    expect(first.packed.sameAnnouncing).toEqual([]);
    expect(first.received).toEqual(v1);

    const v2 = view(2, peer('n1', ['192.0.2.1']), peer('n2', [...big], { rttMs: 0.3 }));
    const second = send(worker, main, v2);
    expect(second.packed.sameAnnouncing).toEqual(['n1', 'n2']);
    expect(second.packed.view.peers.every((p) => p.announcing.length === 0)).toBe(true);
    expect(second.received).toEqual(v2);

    const v3 = view(3, peer('n1', ['192.0.2.1', '192.0.2.2']), peer('n2', []), peer('n3', ['192.0.2.9']));
    const third = send(worker, main, v3);
    expect(third.packed.sameAnnouncing).toEqual([]);
    expect(third.received).toEqual(v3);

    // A peer gone and back: sent whole again.
    send(worker, main, view(4, peer('n1', ['192.0.2.1', '192.0.2.2'])));
    const v5 = view(5, peer('n1', ['192.0.2.1', '192.0.2.2']), peer('n3', ['192.0.2.9']));
    const fifth = send(worker, main, v5);
    expect(fifth.packed.sameAnnouncing).toEqual(['n1']);
    expect(fifth.received).toEqual(v5);
  });
});
