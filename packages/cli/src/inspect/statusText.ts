import { table } from '../table.js';
import { paintWord, type Paint } from './paint.js';
import type { StatusReport } from './statusReport.js';

/** The status report as aligned tables for people; empty sections say so in one line. */
export function statusText(r: StatusReport, p: Paint): string {
  const out: string[] = [];
  const section = (title: string, header: string[], rows: string[][], empty: string) => {
    out.push(p.bold(title));
    out.push(...(rows.length ? table(header, rows) : [`  ${empty}`]), '');
  };
  section('POOLS', ['NAME', 'STATE', 'SIZE', 'USED', 'FREE'], r.pools.map((x) => [x.name, paintWord(p, x.valid ? 'Valid' : x.reason), x.size, x.used, x.free]), 'no IPAddressPool');
  section(
    'SPEAKERS',
    ['NODE', 'STATE', 'LEASE', 'HEARTBEAT-ADDRESS', 'ADDRESSES', 'INTERFACES (from the Lease)'],
    r.speakers.map((s) => [s.node, paintWord(p, s.state), s.lease, s.heartbeatAddress, s.addresses.join(',') || '-', s.interfaces]),
    'no speaker Lease in the release namespace (is --release-namespace right?)',
  );
  section(
    'HEARTBEATS (each speaker\'s own view, from its Lease)',
    ['NODE', 'HEALTH', 'HEARS', 'RTT-MEDIAN/MAX', 'LAST-HEARTBEAT', 'NOT-HEARD-BY', 'WHY'],
    r.speakers.filter((s) => s.state !== 'NoSpeaker').map((s) => {
      const h = s.heartbeats;
      const hears = h.peers ? `${h.peers.heard}/${h.peers.known}${h.peers.judgedByLease ? ` (+${h.peers.judgedByLease} by Lease)` : ''}` : '-';
      const rtt = h.roundTrip ? `${h.roundTrip.medianMs}/${h.roundTrip.maxMs}ms` : '-';
      // A report is rewritten within seconds of a change: one that says peers are heard means heartbeats arrive now.
      const last = !h.peers ? '-' : h.peers.heard > 0 ? 'arriving' : h.lastHeartbeatAgoSeconds === null ? 'never' : `${h.lastHeartbeatAgoSeconds}s ago`;
      return [s.node, paintWord(p, h.health), hears, rtt, last, h.notHeardBy.join(',') || '-', h.health === 'Healthy' ? '' : h.message];
    }),
    'no speaker',
  );
  section(
    'ADDRESSES',
    ['ADDRESS', 'POOL', 'SERVICES', 'NODE', 'ELECTED', 'REASON'],
    r.addresses.map((a) => [a.address, a.pool, a.services.join(','), a.node || '-', a.elected || '-', a.reason ? paintWord(p, a.reason) : '']),
    'no LBAddress',
  );
  if (r.unowned.length) section('WITHOUT OWNER', ['ADDRESS', 'REASON', 'REPORTED-BY', 'WHY'], r.unowned.map((u) => [u.address, paintWord(p, u.reason), u.reportedBy || '-', u.message]), '');
  if (r.pending.length) section('WITHOUT ADDRESS', ['SERVICE', 'REASON', 'WHY'], r.pending.map((x) => [x.service, paintWord(p, x.reason), x.message]), '');
  out.push(r.problems.length ? p.bad(`${r.problems.length} problem(s):`) : p.ok('OK: every pool valid, every speaker ready and heard, every address owned, every Service assigned'));
  for (const x of r.problems) out.push(`  - ${x}`);
  return `${out.join('\n')}\n`;
}
