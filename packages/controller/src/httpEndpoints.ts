import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  /** The process is alive and its loops are turning. */
  healthy(): boolean;
  /** Caches are synced (and, for the leader, the first full pass is done). */
  ready(): boolean;
}

function parseAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host === '' ? undefined : host, port: Number(address.slice(i + 1)) };
}

function listen(server: Server, address: string): Promise<Server> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** `/metrics` on one address, `/healthz` and `/readyz` on another (DESIGN.md: :7472 and :7473). */
export async function startHttpEndpoints(o: { metricsAddress: string; healthAddress: string; registry: Registry; probes: Probes }): Promise<Server[]> {
  const metrics = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    o.registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(body))
      .catch((e: Error) => res.writeHead(500).end(e.message));
  });
  const health = createServer((req, res) => {
    const ok = req.url === '/healthz' ? o.probes.healthy() : req.url === '/readyz' ? o.probes.ready() : undefined;
    if (ok === undefined) res.writeHead(404).end();
    else res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
  });
  return Promise.all([listen(metrics, o.metricsAddress), listen(health, o.healthAddress)]);
}
