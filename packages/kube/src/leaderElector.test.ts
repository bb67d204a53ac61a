import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderElector } from './leaderElector.js';
import type { Leadership } from './leadership.js';

// A narrow stand-in for the API server: one Lease kept in memory with resourceVersion preconditions, and
// a switch that makes it stop answering (an API server that hangs). The real apiserver cases are in
// test/controller/leaderElection.test.ts and writeFence.test.ts.
let server: Server | undefined;
async function leaseServer() {
  const state = { hang: false, lease: undefined as ({ metadata: { resourceVersion: string; [k: string]: unknown }; [k: string]: unknown }) | undefined, rv: 0 };
  server = createServer((req, res) => {
    if (state.hang) return;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (code: number, o: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(o));
      const status = (code: number) => send(code, { kind: 'Status', apiVersion: 'v1', code });
      if (req.method === 'GET') return state.lease ? send(200, state.lease) : status(404);
      const incoming = JSON.parse(body);
      if (req.method === 'DELETE') {
        if (incoming.preconditions?.resourceVersion !== state.lease?.metadata.resourceVersion) return status(409);
        state.lease = undefined;
        return status(200);
      }
      if (req.method === 'POST' && state.lease) return status(409);
      if (req.method === 'PUT' && incoming.metadata?.resourceVersion !== state.lease?.metadata.resourceVersion) return status(409);
      state.lease = { ...incoming, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...incoming.metadata, resourceVersion: String(++state.rv) } };
      send(req.method === 'POST' ? 201 : 200, state.lease);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { kc, state };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const log = pino({ level: 'silent' });

describe('LeaderElector', () => {
  it('steps down within renewDeadline when the API server stops answering, instead of waiting on a hung renew', async () => {
    const { kc, state } = await leaseServer();
    const elector = new LeaderElector({ kubeConfig: kc, namespace: 'ns', name: 'lease', identity: 'a', leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100, log });
    let hungAt = 0;
    let lostAfterMs = 0;
    let heldJustBefore = false;
    const end = await elector.run(new AbortController().signal, async (leadership: Leadership) => {
      await new Promise((r) => setTimeout(r, 300));
      expect(leadership.holds()).toBe(true);
      state.hang = true;
      hungAt = performance.now();
      await new Promise((r) => setTimeout(r, 600));
      heldJustBefore = leadership.holds();
      await new Promise<void>((r) => leadership.signal.addEventListener('abort', () => r(), { once: true }));
      lostAfterMs = performance.now() - hungAt;
      expect(leadership.holds()).toBe(false);
    });
    expect(end).toBe('RenewDeadlineExceeded');
    expect(heldJustBefore).toBe(true);
    // The last successful renewal was sent at most one retry period before the hang.
    expect(lostAfterMs).toBeLessThanOrEqual(1_000 + 300);
    expect(lostAfterMs).toBeGreaterThanOrEqual(1_000 - 100 - 100);
  });

  it('a standby waits a whole leaseDuration of an unchanged record, then takes over and counts the transition', async () => {
    const { kc, state } = await leaseServer();
    const renewTime = new Date(Date.now() + 3_600_000).toISOString(); // the holder's clock says "an hour from now"
    state.lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease', namespace: 'ns', resourceVersion: '1' }, spec: { holderIdentity: 'gone', leaseDurationSeconds: 1, renewTime, acquireTime: renewTime, leaseTransitions: 4 } };
    state.rv = 1;
    const elector = new LeaderElector({ kubeConfig: kc, namespace: 'ns', name: 'lease', identity: 'b', leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100, log });
    const started = performance.now();
    const stop = new AbortController();
    let ledAfterMs = 0;
    let spec: unknown;
    await elector.run(stop.signal, () => {
      ledAfterMs = performance.now() - started;
      spec = state.lease?.spec;
      stop.abort();
    });
    // Its first read starts the observation; the holder's renewTime (an hour ahead) plays no part.
    expect(ledAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(ledAfterMs).toBeLessThan(1_000 + 2_000);
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 5 });
    // Stopped while leading: it gave the Lease up (deleted the version it wrote) for a fast takeover.
    expect(state.lease).toBeUndefined();
  });
});
