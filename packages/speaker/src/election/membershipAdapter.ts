import type { MembershipPort } from '../membership/membership.js';
import type { LocalState, MembershipSource, PeerState } from './membershipSource.js';

/** Presents the heartbeat/Lease membership as the facts the election needs. */
export function membershipSource(m: MembershipPort): MembershipSource {
  return {
    peers() {
      const out = new Map<string, PeerState>();
      for (const p of m.view().peers) {
        if (p.self) continue;
        const macs = p.interfaces.flatMap((i) => (i.mac ? [i.mac] : []));
        out.set(p.node, {
          alive: p.alive, draining: p.draining, ready: p.ready, judgedBy: p.judgedBy, heartbeatsBroken: p.heartbeatsBroken,
          interfaces: p.interfaces, announcing: p.announcing, macs, ...(p.incarnation === undefined ? {} : { incarnation: p.incarnation }),
        });
      }
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
