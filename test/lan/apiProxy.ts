import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * Forwards the management network's gateway address to the apiserver on loopback, byte for byte (TLS
 * passes through untouched). Nodes reach the API only through their management link, so cutting that
 * link makes the API unreachable for that node alone, as on a real cluster.
 */
export class ApiProxy {
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static listen(host: string, port: number, target: { host: string; port: number }): Promise<ApiProxy> {
    const server = createServer();
    const proxy = new ApiProxy(server);
    server.on('connection', (inbound) => {
      const outbound = createConnection(target);
      proxy.track(inbound);
      proxy.track(outbound);
      inbound.pipe(outbound).pipe(inbound);
      const end = () => { inbound.destroy(); outbound.destroy(); };
      inbound.on('error', end);
      outbound.on('error', end);
      inbound.on('close', end);
      outbound.on('close', end);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(proxy));
    });
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
