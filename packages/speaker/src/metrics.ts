import { MLD_REPORT_REASONS } from '@herald/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often the event-loop delay histogram samples (the nodejs_eventloop_lag_* metrics). prom-client's
 * default of 10 ms wakes an otherwise idle process 100 times a second, ~0.3 % of a core on its own
 * (bench/speaker/idleProfile.ts); 100 ms still records any stall that matters (heartbeats are 100 ms apart).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** Every metric the speaker exports, on one registry made in main. */
export function createSpeakerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'herald_speaker_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const r = [registry];
  const m = {
    registry,
    announced: new Gauge({ name: 'herald_speaker_addresses_announced', help: 'Addresses this node answers for', labelNames: ['family'], registers: r }),
    requestsReceived: new Counter({ name: 'herald_speaker_requests_received_total', help: 'ARP requests and neighbour solicitations received for owned addresses', labelNames: ['family'], registers: r }),
    repliesSent: new Counter({ name: 'herald_speaker_replies_sent_total', help: 'ARP replies and neighbour advertisements sent', labelNames: ['family'], registers: r }),
    gratuitousSent: new Counter({ name: 'herald_speaker_gratuitous_sent_total', help: 'Gratuitous ARP / unsolicited NA packets sent', labelNames: ['family'], registers: r }),
    ignored: new Counter({ name: 'herald_speaker_frames_ignored_total', help: 'Received ARP/NDP packets not answered, by reason', labelNames: ['reason'], registers: r }),
    conflicts: new Counter({ name: 'herald_speaker_conflicts_total', help: 'Another MAC claimed an address this node announces', labelNames: ['family', 'source'], registers: r }),
    sendErrors: new Counter({ name: 'herald_speaker_send_errors_total', help: 'Packets that could not be sent, by errno code', labelNames: ['code'], registers: r }),
    failoverSeconds: new Histogram({
      name: 'herald_speaker_failover_duration_seconds',
      help: 'From detecting a peer death (or its link loss) to this node sending the first gratuitous packet for an address it took over',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: r,
    }),
    transitions: new Counter({ name: 'herald_speaker_ownership_transitions_total', help: 'Addresses this node started or stopped announcing', labelNames: ['direction'], registers: r }),
    statusWrites: new Counter({ name: 'herald_speaker_status_writes_total', help: 'LBAddress status writes, by result (ok, or the HTTP code such as 409 for a lost race)', labelNames: ['result'], registers: r }),
    statusQueue: new Gauge({ name: 'herald_speaker_status_queue', help: 'LBAddress statuses waiting to be written (at most one per object)', registers: r }),
    statusWindow: new Gauge({ name: 'herald_speaker_status_writes_in_flight_limit', help: 'LBAddress status writes allowed in flight now: widened while a backlog waits and the API server answers promptly, halved when it throttles', registers: r }),
    events: new Counter({ name: 'herald_speaker_events_total', help: 'Kubernetes Events this speaker recorded, by object kind and reason', labelNames: ['kind', 'reason'], registers: r }),
    claimsDropped: new Counter({ name: 'herald_speaker_claims_dropped_total', help: 'Claims seen on the wire not handled because 50,000 were already waiting (a flood of forged gratuitous ARP / NA from ever-new MACs)', registers: r }),
    eventsDropped: new Counter({ name: 'herald_speaker_events_dropped_total', help: 'Kubernetes Events not recorded because too many were already waiting to be written, by object kind and reason', labelNames: ['kind', 'reason'], registers: r }),
    announceFailures: new Counter({ name: 'herald_speaker_announce_failures_total', help: 'Attempts to start announcing an address that failed (e.g. ENOMEM joining an IPv6 group), by family and errno code', labelNames: ['family', 'code'], registers: r }),
    mldReportsSent: new Counter({ name: 'herald_speaker_mld_reports_sent_total', help: 'MLD reports sent for the solicited-node groups of announced IPv6 addresses, by reason (Join, Leave, GeneralQuery, GroupQuery, SourceReady, LinkUp) and MLD version', labelNames: ['reason', 'version'], registers: r }),
    mldReportsUnsent: new Counter({ name: 'herald_speaker_mld_reports_unsent_total', help: 'MLD reports that could not be sent, by reason and errno code; a full socket queue (EAGAIN, ENOBUFS) is retried a few ms later, anything else is given up until the next state change or query', labelNames: ['reason', 'code'], registers: r }),
    mldQueriesReceived: new Counter({ name: 'herald_speaker_mld_queries_received_total', help: 'MLD queries received on interfaces with announced IPv6 addresses, by version and kind (general, group)', labelNames: ['version', 'kind'], registers: r }),
    announceFailing: new Gauge({ name: 'herald_speaker_announce_failing', help: 'Addresses this node should announce but cannot start; retried with backoff, not reported as announced', registers: r }),
  };
  // Conflict series exist at 0 from the start: a counter first scraped at 1 shows no increase(), so the
  // HeraldAddressConflict alert would miss the first conflict of a speaker's life.
  for (const family of ['IPv4', 'IPv6']) for (const source of ['herald', 'foreign']) m.conflicts.inc({ family, source }, 0);
  for (const reason of MLD_REPORT_REASONS) m.mldReportsSent.inc({ reason, version: 'v2' }, 0);
  // At 0 from the start, so an alert on increase() sees the first report that could not be sent.
  m.mldReportsUnsent.inc({ reason: 'Join', code: 'ENOBUFS' }, 0);
  return m;
}

export type SpeakerMetrics = ReturnType<typeof createSpeakerMetrics>;
