import { createServer, type Server } from 'node:http';

/** What /metrics serves: a prom-client Registry fits this shape. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface Probes {
  /** The process is alive and its loops are turning (always true when omitted). */
  healthy?(): boolean;
  /** Ready to serve its role. */
  ready(): boolean;
}

/** Fails with an error naming what could not be served and where (an operator's first question). */
function listen(server: Server, address: string, what: string): Promise<Server> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '') || undefined;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot serve ${what} on ${address}: ${e.code ?? e.message}`, { cause: e })));
    server.listen(Number(address.slice(i + 1)), host, () => resolve(server));
  });
}

/** `/metrics` on one address, `/healthz` and `/readyz` on another (DESIGN.md: :7472 and :7473). */
export async function startHttpEndpoints(o: { metricsAddress: string; healthAddress: string; registry: MetricsSource; probes: Probes }): Promise<Server[]> {
  const metrics = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    o.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(body),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  const health = createServer((req, res) => {
    const ok = req.url === '/healthz' ? (o.probes.healthy?.() ?? true) : req.url === '/readyz' ? o.probes.ready() : undefined;
    if (ok === undefined) return void res.writeHead(404).end();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
  });
  const servers = await Promise.allSettled([listen(metrics, o.metricsAddress, '/metrics'), listen(health, o.healthAddress, '/healthz and /readyz')]);
  const failed = servers.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length === 0) return servers.map((r) => (r as PromiseFulfilledResult<Server>).value);
  // The one that did open must not keep the process alive after the caller gives up.
  for (const r of servers) if (r.status === 'fulfilled') r.value.close();
  throw failed[0]!;
}
