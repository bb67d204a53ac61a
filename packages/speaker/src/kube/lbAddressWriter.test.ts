import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
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

  it.each([
    ['behind 200 waiting Normal Events', 200],
    ['when the queue is full of Normal Events', EVENT_QUEUE_MAX + 50],
  ])('a Warning raised %s is written next, not after them or dropped', async (_name, normal) => {
    // An API server that holds every Event create until told, and records the order of their reasons.
    const held: ServerResponse[] = [];
    const reasons: string[] = [];
    const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        reasons.push((JSON.parse(body) as { reason: string }).reason);
        held.push(res);
      });
    });
    server = http as unknown as Server;
    http.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as { port: number }).port;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const metrics = createSpeakerMetrics();
    const writer = new LBAddressWriter(kc, { log: pino({ level: 'silent' }), metrics, node: 'n1' });
    for (let i = 0; i < normal; i++) writer.lbAddressEvent(`2001-db8--${i}`, `uid-${i}`, 'Normal', 'AnnounceStarted', `2001:db8::${i} is now answered by node n1`);
    writer.lbAddressEvent('2001-db8--7', 'uid-7', 'Warning', 'AddressConflict', '2001:db8::7 is also answered by 02:00:00:00:00:99');
    // The four in flight are Normal; answering them lets the next ones go.
    await vi.waitFor(() => expect(held).toHaveLength(4), { timeout: 3_000, interval: 20 });
    const answer = () => { for (const r of held.splice(0)) r.writeHead(201, { 'Content-Type': 'application/json' }).end('{}'); };
    answer();
    await vi.waitFor(() => expect(reasons.length).toBeGreaterThanOrEqual(8), { timeout: 5_000, interval: 20 });
    answer();
    const text = await metrics.registry.metrics();
    expect({ warningAt: reasons.indexOf('AddressConflict'), droppedWarnings: total(text, 'herald_speaker_events_dropped_total{kind="LBAddress",reason="AddressConflict"}') })
      .toEqual({ warningAt: 4, droppedWarnings: 0 });
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
