import type { PeerState } from './membershipSource.js';

type StatusMac = { node?: string | null; mac?: string | null } | undefined;

/** A remembered MAC → node pair from a status that has since changed: a few MACs per node. */
const REMEMBERED_MAX = 4_096;

/**
 * Which herald node a MAC belongs to, answered without walking the LBAddresses: from live heartbeats (the
 * peers' interface MACs), else from the LBAddress statuses naming it now, else from statuses seen before (a
 * peer that took one of our addresses has just overwritten the status naming the owner). The statuses are
 * counted per MAC and node as the reflector reports changes, and the peers' MACs are re-read only after
 * membership changed. A claim on the wire asks for every packet: walking 10,000 LBAddresses per claim made a
 * flood of claims cost O(N) each (issue 11).
 */
export class HeraldMacIndex {
  /** MAC → node → LBAddress statuses naming that pair now. */
  private readonly named = new Map<string, Map<string, number>>();
  private readonly remembered = new Map<string, string>();
  /** The peers as of the membership's last change; undefined until asked after a change. */
  private peerView: ReadonlyMap<string, PeerState> | undefined;
  /** MAC → peer, from peerView; undefined until asked after a change. */
  private peerMacs: Map<string, string> | undefined;
  /** Every herald MAC (peers' and statuses'); undefined until asked after a change. */
  private all: Set<string> | undefined;
  private rebuilt = 0;

  constructor(private readonly peers: () => ReadonlyMap<string, PeerState>) {}

  /** An LBAddress changed (the reflector's onChange): `previous` is the cached object it replaced. */
  update(type: 'added' | 'updated' | 'deleted', status: StatusMac, previous: StatusMac): void {
    if (previous?.mac && previous.node) this.count(previous.mac, previous.node, -1);
    if (type === 'deleted' || !status?.mac || !status.node) return;
    this.count(status.mac, status.node, 1);
    if (this.remembered.get(status.mac) === status.node) return;
    // Bounded: a few MACs per node; a cluster that somehow shows more simply starts over.
    if (this.remembered.size >= REMEMBERED_MAX) this.remembered.clear();
    this.remembered.set(status.mac, status.node);
  }

  /** Membership changed: peers' MACs are read again when next asked (once, not per claim). */
  peersChanged(): void {
    this.peerView = undefined;
    this.peerMacs = undefined;
    this.all = undefined;
  }

  owner(mac: string): string | undefined {
    const peer = this.peerIndex().get(mac);
    if (peer !== undefined) return peer;
    const nodes = this.named.get(mac);
    if (nodes) for (const node of nodes.keys()) return node;
    return this.remembered.get(mac);
  }

  macs(): ReadonlySet<string> {
    if (!this.all) {
      this.rebuilt++;
      this.all = new Set([...this.named.keys(), ...this.peerIndex().keys()]);
    }
    return this.all;
  }

  /** A peer as of the membership's last change (the membership builds its whole peer map per question). */
  peer(node: string): PeerState | undefined {
    return this.peerMap().get(node);
  }

  /** How many times the peers' MACs or the set of all MACs were rebuilt (tests: never per question). */
  rebuilds(): number {
    return this.rebuilt;
  }

  private peerIndex(): Map<string, string> {
    if (!this.peerMacs) {
      this.rebuilt++;
      this.peerMacs = new Map();
      // The first peer listing a MAC wins, as a walk of the peers in order would have answered.
      for (const [node, p] of this.peerMap()) for (const m of p.macs ?? []) if (!this.peerMacs.has(m)) this.peerMacs.set(m, node);
    }
    return this.peerMacs;
  }

  private peerMap(): ReadonlyMap<string, PeerState> {
    if (!this.peerView) {
      this.rebuilt++;
      this.peerView = this.peers();
    }
    return this.peerView;
  }

  private count(mac: string, node: string, by: 1 | -1): void {
    let nodes = this.named.get(mac);
    if (!nodes) {
      if (by < 0) return;
      this.named.set(mac, (nodes = new Map()));
      this.all = undefined;
    }
    const n = (nodes.get(node) ?? 0) + by;
    if (n > 0) nodes.set(node, n);
    else nodes.delete(node);
    if (nodes.size === 0) {
      this.named.delete(mac);
      this.all = undefined;
    }
  }
}
