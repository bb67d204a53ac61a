import { createServer, type Server, type Socket } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSpeakerMetrics } from '../metrics.js';
import { EVENT_QUEUE_MAX, LBAddressWriter } from './lbAddressWriter.js';

/** Sum of a metric's values over its label sets, from the registry's text. */
const total = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);

describe('LBAddressWriter', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('Events while the API server does not answer: at most EVENT_QUEUE_MAX wait, the rest are dropped and counted', async () => {
    // An API server that accepts connections and never answers: every create stays in flight.
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const metrics = createSpeakerMetrics();
    const writer = new LBAddressWriter(kc, { log: pino({ level: 'silent' }), metrics, node: 'n1' });
    // A node taking over 2,500 addresses records two Events each (the LBAddress and its Service).
    for (let i = 0; i < 2_500; i++) {
      writer.lbAddressEvent(`2001-db8--${i}`, `uid-${i}`, 'Normal', 'AnnounceStarted', `2001:db8::${i} is now answered by node n1`);
      writer.event({ kind: 'Service', apiVersion: 'v1', name: `s${i}`, namespace: 'app', uid: `svc-${i}` }, 'Normal', 'AnnounceStarted', `2001:db8::${i} is now answered by node n1`);
    }
    const text = await metrics.registry.metrics();
    expect({ recorded: total(text, 'herald_speaker_events_total'), dropped: total(text, 'herald_speaker_events_dropped_total') })
      .toEqual({ recorded: EVENT_QUEUE_MAX, dropped: 5_000 - EVENT_QUEUE_MAX });
  });

  it('sets no limit of its own on status writes: the StatusReporter window decides how many are in flight', async () => {
    // A fixed limit of 4 here capped a takeover of 10,000 addresses at 16–36 statuses a second (issue 11).
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const writer = new LBAddressWriter(kc, { log: pino({ level: 'silent' }), metrics: createSpeakerMetrics(), node: 'n1' });
    // The server never answers: each write holds its own connection, so connections count writes in flight.
    for (let i = 0; i < 12; i++) void writer.patchStatus(`2001-db8--${i}`, { node: 'n1' }, '1').catch(() => undefined);
    await vi.waitFor(() => expect(sockets).toHaveLength(12), { timeout: 3_000, interval: 20 });
  });
});
