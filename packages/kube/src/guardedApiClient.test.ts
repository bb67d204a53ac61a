import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedApiClient } from './guardedApiClient.js';
import { FencedError } from './leadership.js';

// A loopback HTTP server that counts requests and never answers: a hung API server.
let server: Server | undefined;
async function hungServer() {
  const seen: string[] = [];
  server = createServer((req) => seen.push(`${req.method} ${req.url}`));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'hung', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'hung', cluster: 'hung', user: 'u' }],
    currentContext: 'hung',
  });
  return { kc, seen };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe('guardedApiClient', () => {
  it('aborts a call the API server never answers after timeoutMs', async () => {
    const { kc, seen } = await hungServer();
    const api = guardedApiClient(kc, k8s.CoordinationV1Api, { timeoutMs: 200 });
    const started = performance.now();
    await expect(api.readNamespacedLease({ namespace: 'herald-system', name: 'herald-controller' })).rejects.toThrow(/abort/i);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(5_000);
    expect(seen).toEqual(['GET /apis/coordination.k8s.io/v1/namespaces/herald-system/leases/herald-controller']);
  });

  it('refuses a request the fence does not allow, before anything is sent', async () => {
    const { kc, seen } = await hungServer();
    let allowed = false;
    const api = guardedApiClient(kc, k8s.CoreV1Api, { timeoutMs: 200, allows: () => allowed });
    await expect(api.patchNamespacedServiceStatus({ namespace: 'a', name: 'web', body: {} })).rejects.toBeInstanceOf(FencedError);
    expect(seen).toEqual([]);
    allowed = true;
    await expect(api.patchNamespacedServiceStatus({ namespace: 'a', name: 'web', body: {} })).rejects.toThrow(/abort/i);
    expect(seen).toEqual(['PATCH /api/v1/namespaces/a/services/web/status']);
  });
});
