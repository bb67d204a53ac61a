import type { MembershipView, PeerView } from '@herald/core';

const sameStrings = (a: readonly string[], b: readonly string[]): boolean => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));

/**
 * The membership view as the worker sends it to the main thread: a peer's announced addresses (up to
 * thousands of strings each) are left out when they equal what the previous message carried, so the view
 * sent every second costs the main thread no garbage for lists that did not change. `SentView.pack` in the
 * worker, `SentView.unpack` on the main thread, each side remembering the last view.
 */
export interface PackedView {
  readonly view: MembershipView;
  /** Nodes whose `announcing` was left out (sent empty): unchanged since the previous message. */
  readonly sameAnnouncing: readonly string[];
}

export class SentView {
  private last = new Map<string, readonly string[]>();

  /** Worker side. */
  pack(view: MembershipView): PackedView {
    const sameAnnouncing: string[] = [];
    const next = new Map<string, readonly string[]>();
    const peers = view.peers.map((p): PeerView => {
      next.set(p.node, p.announcing);
      const before = this.last.get(p.node);
      if (before === undefined || p.announcing.length === 0 || !sameStrings(before, p.announcing)) return p;
      sameAnnouncing.push(p.node);
      return { ...p, announcing: [] };
    });
    this.last = next;
    return { view: sameAnnouncing.length === 0 ? view : { ...view, peers }, sameAnnouncing };
  }

  /** Main-thread side: the view with every left-out list taken from the previous one. */
  unpack(packed: PackedView): MembershipView {
    const { view, sameAnnouncing } = packed;
    let out = view;
    if (sameAnnouncing.length > 0) {
      const same = new Set(sameAnnouncing);
      out = { ...view, peers: view.peers.map((p) => (same.has(p.node) ? { ...p, announcing: this.last.get(p.node) ?? [] } : p)) };
    }
    this.last = new Map(out.peers.map((p) => [p.node, p.announcing]));
    return out;
  }
}
