import type { MembershipView } from '@herald/core';
import type { MembershipPort } from '../membership/membership.js';
import type { LocalState, MembershipSource, PeerState } from './membershipSource.js';

/** Presents the heartbeat/Lease membership as the facts the election needs. */
export function membershipSource(m: MembershipPort): MembershipSource {
  // The peer map is built once per view: an election round, each node's candidacy and every successor's
  // claim during a hand-over asked for it, and each call built a map of every peer (5,000 at Kubernetes'
  // maximum). The worker's view is a new object whenever membership sends one (a change, or once a second);
  // the in-process view is computed per call, so it is rebuilt per call as before.
  let seen: MembershipView | undefined;
  let peers: ReadonlyMap<string, PeerState> = new Map();
  return {
    peers() {
      const view = m.view();
      if (view === seen) return peers;
      const out = new Map<string, PeerState>();
      for (const p of view.peers) {
        if (p.self) continue;
        const macs = p.interfaces.flatMap((i) => (i.mac ? [i.mac] : []));
        out.set(p.node, {
          alive: p.alive, draining: p.draining, ready: p.ready, judgedBy: p.judgedBy, heartbeatsBroken: p.heartbeatsBroken,
          interfaces: p.interfaces, announcing: p.announcing, macs, ...(p.incarnation === undefined ? {} : { incarnation: p.incarnation }),
        });
      }
      seen = view;
      peers = out;
      return out;
    },
    peersListed: () => m.peersListed(),
    onChange(listener) {
      m.on('change', () => listener());
    },
    setLocalState(state: LocalState) {
      m.setLocalState({ draining: state.draining, ready: state.ready, interfaces: state.interfaces, announcing: state.announcing });
    },
  };
}
