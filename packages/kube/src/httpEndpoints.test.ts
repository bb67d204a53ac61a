import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpEndpoints } from './httpEndpoints.js';

const registry = { contentType: 'text/plain', metrics: () => Promise.resolve('up 1\n') };
const probes = { ready: () => true };

function hold(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('startHttpEndpoints', () => {
  const open: Server[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  it('serves /metrics and the probes on their own addresses', async () => {
    const servers = await startHttpEndpoints({ metricsAddress: '127.0.0.1:0', healthAddress: '127.0.0.1:0', registry, probes });
    open.push(...servers);
    const [m, h] = servers.map((s) => (s.address() as { port: number }).port);
    expect(await (await fetch(`http://127.0.0.1:${m}/metrics`)).text()).toBe('up 1\n');
    expect((await fetch(`http://127.0.0.1:${h}/readyz`)).status).toBe(200);
  });

  it.each([
    ['/metrics', 'metricsAddress'],
    ['/healthz and /readyz', 'healthAddress'],
  ] as const)('a busy address: the error names %s and the address, and the other endpoint is closed', async (what, field) => {
    const busy = await hold();
    open.push(busy.server);
    const free = await hold();
    free.server.close();
    const addresses = { metricsAddress: `127.0.0.1:${free.port}`, healthAddress: `127.0.0.1:${free.port}` };
    addresses[field] = `127.0.0.1:${busy.port}`;
    await expect(startHttpEndpoints({ ...addresses, registry, probes })).rejects.toThrow(`cannot serve ${what} on 127.0.0.1:${busy.port}: EADDRINUSE`);
    // The endpoint that did open was closed again: its port can be taken at once.
    const again = createServer();
    open.push(again);
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(free.port, '127.0.0.1', resolve));
  });
});
