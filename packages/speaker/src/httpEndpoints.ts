import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

function listen(server: Server, address: string): Promise<Server> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '') || undefined;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(i + 1)), host, () => resolve(server));
  });
}

/** `/metrics`, and `/healthz` + `/readyz`, on the addresses DESIGN.md fixes (:7472, :7473). */
export async function startHttpEndpoints(o: { metricsAddress: string; healthAddress: string; registry: Registry; ready: () => boolean }): Promise<Server[]> {
  const metrics = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    o.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(body),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  const health = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('ok');
    if (req.url === '/readyz') return void (o.ready() ? res.writeHead(200).end('ok') : res.writeHead(503).end('not ready'));
    res.writeHead(404).end();
  });
  return Promise.all([listen(metrics, o.metricsAddress), listen(health, o.healthAddress)]);
}
