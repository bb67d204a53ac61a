import { HEARTBEAT_REJECT_REASONS, PEER_CHANGES, SWIM_MESSAGE_TYPES, THREAD_SCHEDULING_REFUSAL_REASONS, type MembershipView, type SwimDropReason } from '@herald/core';

const SWIM_DROPS: readonly SwimDropReason[] = ['FromSelf', 'Replay', 'StaleIncarnation'];
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What some gauges read at scrape time: states that change with time alone, not on a transition. */
export interface MembershipGaugeSources {
  /** The current view (Membership's, computed now; MembershipWorker's, the worker's latest), if running. */
  readonly view?: () => MembershipView | undefined;
}

/** Peers (self excluded) shown `heartbeatsMissing`: counted without building a list, at every scrape. */
function heartbeatsMissingIn(view: MembershipView | undefined): number {
  let n = 0;
  for (const p of view?.peers ?? []) if (!p.self && p.heartbeatsMissing === true) n++;
  return n;
}

/** herald_membership_thread_scheduling's label values: SCHED_DEADLINE, SCHED_RR, a raised nice value, as started. */
export const THREAD_POLICIES = ['deadline', 'realtime', 'nice', 'default'] as const;

/** Membership's metrics, registered on the registry main.ts owns (nothing global, nothing at import). */
export function createMembershipMetrics(registry: Registry, sources: MembershipGaugeSources = {}) {
  const registers = [registry];
  const m = {
    peersAlive: new Gauge({ name: 'herald_membership_peers_alive', help: 'Peers (this node excluded) this speaker judges alive', registers }),
    peersKnown: new Gauge({ name: 'herald_membership_peers_known', help: 'Peers (this node excluded) this speaker knows of, alive or dead', registers }),
    heartbeatsBroken: new Gauge({
      name: 'herald_membership_peers_heartbeats_broken',
      help: 'Peers alive by their Lease from which no valid heartbeat has ever arrived',
      registers,
    }),
    heartbeatsMissing: new Gauge({
      name: 'herald_membership_peers_heartbeats_missing',
      help: 'Ring predecessors alive through other members whose heartbeats have not reached this speaker for heartbeatsMissingAfter (2 s): heartbeat health SomePeersUnheard or NoHeartbeats',
      registers,
      // Read at scrape: heartbeatsMissing comes with time alone and is no view transition.
      collect() {
        if (sources.view) this.set(heartbeatsMissingIn(sources.view()));
      },
    }),
    sent: new Counter({ name: 'herald_membership_heartbeats_sent_total', help: 'Heartbeat datagrams handed to the socket', registers }),
    sendErrors: new Counter({ name: 'herald_membership_heartbeat_send_errors_total', help: 'Heartbeat sends or socket operations that failed, by errno code', labelNames: ['code'], registers }),
    received: new Counter({ name: 'herald_membership_heartbeats_received_total', help: 'Heartbeats accepted (signed, well-formed, newer than the last one)', registers }),
    rejected: new Counter({ name: 'herald_membership_heartbeats_rejected_total', help: 'Datagrams on the heartbeat port that were not believed, by reason', labelNames: ['reason'], registers }),
    rtt: new Histogram({
      name: 'herald_membership_heartbeat_rtt_seconds',
      help: 'Heartbeat round trip: version 1 from echoed sequences (arrival − send − time held by the peer), version 2 from the round-trip probe to a ring predecessor (Probe → Ack, one a second)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    transitions: new Counter({ name: 'herald_membership_transitions_total', help: 'Changes in the membership view, by kind', labelNames: ['change'], registers }),
    leaseRenewals: new Counter({ name: 'herald_membership_lease_renewals_total', help: 'Writes of this node\'s speaker Lease, by result', labelNames: ['result'], registers }),
    heartbeatTrimmed: new Counter({
      name: 'herald_membership_heartbeat_trimmed_total',
      help: 'Local state left out of the heartbeat so it fits one datagram (interfaces beyond 64, subnets beyond 32, announced addresses), by part',
      labelNames: ['part'],
      registers,
    }),
    publishedInterfaces: new Gauge({ name: 'herald_membership_published_interfaces', help: 'Interfaces this speaker publishes in its heartbeat and Lease', registers }),
    keyReloads: new Counter({ name: 'herald_membership_key_reloads_total', help: 'Looks at a changed heartbeat key file, by result (rotated, unchanged, error)', labelNames: ['result'], registers }),
    swimSent: new Counter({ name: 'herald_membership_swim_datagrams_sent_total', help: 'Version-2 membership datagrams handed to the socket, by message type', labelNames: ['type'], registers }),
    swimReceived: new Counter({ name: 'herald_membership_swim_datagrams_received_total', help: 'Version-2 membership datagrams signed, well-formed and accepted, by message type', labelNames: ['type'], registers }),
    swimDropped: new Counter({ name: 'herald_membership_swim_datagrams_dropped_total', help: 'Signed version-2 datagrams not believed (replays, old incarnations, our own), by reason', labelNames: ['reason'], registers }),
    swimSuspicions: new Counter({ name: 'herald_membership_swim_suspicions_total', help: 'Ring predecessors this speaker suspected after suspectAfter of silence (each then probed)', registers }),
    swimProbes: new Counter({ name: 'herald_membership_swim_probes_total', help: 'Probes this speaker sent: direct to a suspect, indirect (asking a helper to probe it), or roundTrip (one a second to a ring predecessor, timing its Ack)', labelNames: ['path'], registers }),
    swimDeclared: new Counter({ name: 'herald_membership_swim_deaths_declared_total', help: 'Peers this speaker declared dead after a failed probe', registers }),
    swimRefutations: new Counter({ name: 'herald_membership_swim_refutations_total', help: 'Notices of this speaker\'s own death it refuted with a new state version', registers }),
    answered: new Gauge({
      name: 'herald_membership_datagrams_answered',
      help: '1 once a peer has answered one of this speaker\'s version-2 membership datagrams (an Ack or SyncReply) since it started; 0 until then: nothing it sent is known to have arrived (outbound UDP to the heartbeat port blocked?), and peers the ring holds dead are judged by their Leases. A speaker without peers stays at 0',
      registers,
    }),
    peersV1: new Gauge({ name: 'herald_membership_peers_v1', help: 'Peers judged by version-1 all-to-all heartbeats (older speakers during a rolling upgrade)', registers }),
    withheld: new Counter({
      name: 'herald_membership_datagrams_withheld_total',
      help: 'Membership datagrams not sent because the speaker\'s main thread had not turned its event loop for the main-loop bound (peers then declare this node dead)',
      registers,
    }),
    mainLoopStalled: new Gauge({ name: 'herald_membership_main_loop_stalled', help: '1 while the membership worker sees the speaker\'s main thread stalled for longer than the main-loop bound (heartbeats withheld)', registers }),
    mainLoopStalls: new Counter({ name: 'herald_membership_main_loop_stalls_total', help: 'Times the membership worker saw the speaker\'s main thread stalled for longer than the main-loop bound', registers }),
    threadScheduling: new Gauge({
      name: 'herald_membership_thread_scheduling',
      help: 'What the membership thread (heartbeats, ARP/NDP replies) runs at: 1 for deadline (SCHED_DEADLINE with its budget), realtime (SCHED_RR priority 1), nice (nice -10) or default (as started: --membership-thread-priority off, no CAP_SYS_NICE, or deadline not admitted), 0 for the others',
      labelNames: ['policy'],
      registers,
    }),
    threadSchedulingRefusals: new Counter({
      name: 'herald_membership_thread_scheduling_refusals_total',
      help: 'Scheduling steps the kernel refused the membership thread at start, by reason: NotPermitted (no CAP_SYS_NICE), NotAdmitted (SCHED_DEADLINE admission control: the host\'s deadline bandwidth is taken), Invalid (a deadline budget the kernel does not take), Refused (other)',
      labelNames: ['reason'],
      registers,
    }),
    threadDemotions: new Counter({ name: 'herald_membership_thread_demotions_total', help: 'Times the real-time membership thread kept more than half a CPU busy for 3 s and was demoted for good', registers }),
    leaseWatchRestarts: new Counter({ name: 'herald_membership_lease_watch_restarts_total', help: 'Restarts of the speaker Lease list/watch, by reason', labelNames: ['reason'], registers }),
  };
  // Every label value exists from the start, so a rate() over a first rejection is not lost.
  for (const reason of HEARTBEAT_REJECT_REASONS) m.rejected.inc({ reason }, 0);
  for (const change of PEER_CHANGES) m.transitions.inc({ change }, 0);
  for (const result of ['ok', 'error']) m.leaseRenewals.inc({ result }, 0);
  for (const part of ['interfaces', 'subnets', 'announcing', 'macs']) m.heartbeatTrimmed.inc({ part }, 0);
  for (const result of ['rotated', 'error']) m.keyReloads.inc({ result }, 0);
  for (const type of SWIM_MESSAGE_TYPES) {
    m.swimSent.inc({ type }, 0);
    m.swimReceived.inc({ type }, 0);
  }
  for (const reason of SWIM_DROPS) m.swimDropped.inc({ reason }, 0);
  for (const path of ['direct', 'indirect', 'roundTrip']) m.swimProbes.inc({ path }, 0);
  // All 0 until the membership worker says what its thread got (and with --membership-thread main, which has none).
  for (const policy of THREAD_POLICIES) m.threadScheduling.set({ policy }, 0);
  for (const reason of THREAD_SCHEDULING_REFUSAL_REASONS) m.threadSchedulingRefusals.inc({ reason }, 0);
  return m;
}

export type MembershipMetrics = ReturnType<typeof createMembershipMetrics>;
