import { describe, expect, it } from 'vitest';
import { heartbeatHealth } from './heartbeatHealth.js';
import { formatHeartbeatHealthReport, HEARTBEAT_HEALTH_ANNOTATION, heartbeatHealthReport, readHeartbeatHealthReport, type HeartbeatHealthUnknown } from './heartbeatHealthReport.js';
import type { PeerView } from './membershipView.js';

const self: PeerView = { node: 'n1', self: true, alive: true, judgedBy: 'Self', draining: false, ready: true, interfaces: [], announcing: [], heartbeatsBroken: false };
const health = heartbeatHealth({
  atMs: 10_000,
  peers: [self, { ...self, node: 'n2', self: false, judgedBy: 'Heartbeat', lastHeartbeatMs: 9_900, rttMs: 0.25 }, { ...self, node: 'n3', self: false, judgedBy: 'Lease', heartbeatsBroken: true }],
});
const report = heartbeatHealthReport(health, { at: '2026-12-06T14:00:00.000Z', incarnation: 1765029600000, lastHeartbeatAt: '2026-12-06T13:59:59.900Z' });

describe('heartbeat health report (the Lease annotation)', () => {
  it('round-trips through its JSON text', () => {
    const text = formatHeartbeatHealthReport(report);
    expect(JSON.parse(text)).toMatchObject({ v: 1, reason: 'SomePeersUnheard', heartbeatsBroken: ['n3'], roundTrip: { samples: 1, medianMs: 0.25, maxMs: 0.25 } });
    expect(readHeartbeatHealthReport(text)).toEqual({ ok: true, value: report });
  });

  it('stays small on a large cluster: names capped, well under the 256 KiB annotation limit', () => {
    const peers = Array.from({ length: 5000 }, (_, i): PeerView => ({ ...self, node: `node-${i}.example`, self: false, judgedBy: 'Heartbeat', alive: i % 2 === 0, lastHeartbeatMs: 1 }));
    const text = formatHeartbeatHealthReport(heartbeatHealthReport(heartbeatHealth({ atMs: 10, peers: [self, ...peers] }), { at: '2026-12-06T14:00:00Z', incarnation: 1 }));
    expect(text.length).toBeLessThan(2_000);
  });

  const raw = JSON.parse(formatHeartbeatHealthReport(report)) as Record<string, unknown>;
  const text = (patch: Record<string, unknown>) => JSON.stringify({ ...raw, ...patch });
  it.each<{ name: string; text: string | undefined; reason: HeartbeatHealthUnknown; says: string }>([
    { name: 'no annotation (an older speaker)', text: undefined, reason: 'NotPublished', says: `no ${HEARTBEAT_HEALTH_ANNOTATION} annotation` },
    { name: 'not JSON (an older format)', text: 'Healthy', reason: 'UnknownFormat', says: 'not JSON' },
    { name: 'no version', text: text({ v: undefined }), reason: 'UnknownFormat', says: 'format version null' },
    { name: 'a newer version', text: text({ v: 2 }), reason: 'UnknownFormat', says: 'format version 2; this kubectl-herald reads version 1' },
    { name: 'a JSON array', text: '[1]', reason: 'UnknownFormat', says: 'format version none' },
    { name: 'a reason this reader does not know', text: text({ reason: 'Sleepy' }), reason: 'Malformed', says: 'field reason' },
    { name: 'a time that is not RFC 3339', text: text({ at: 'yesterday' }), reason: 'Malformed', says: 'field at' },
    { name: 'a negative count', text: text({ peers: { ...(raw.peers as object), alive: -1 } }), reason: 'Malformed', says: 'field peers' },
    { name: 'a name that is no node name', text: text({ silent: ['Bad Name'] }), reason: 'Malformed', says: 'field silent' },
    { name: 'a round trip without its max', text: text({ roundTrip: { samples: 1, medianMs: 1 } }), reason: 'Malformed', says: 'field roundTrip' },
    { name: 'incarnation 0', text: text({ incarnation: 0 }), reason: 'Malformed', says: 'field incarnation' },
  ])('$name reads as unknown ($reason), never a throw', ({ text: t, reason, says }) => {
    const r = readHeartbeatHealthReport(t);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe(reason);
      expect(r.error.message).toContain(says);
    }
  });
});
