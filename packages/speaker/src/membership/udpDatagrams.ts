import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface DatagramEndpoint {
  readonly address: string;
  readonly port: number;
}

/** The slice of a UDP socket membership uses; tests swap in an in-memory network. */
export interface Datagrams {
  send(bytes: Uint8Array, to: DatagramEndpoint, done: (error: NodeJS.ErrnoException | null) => void): void;
  close(): Promise<void>;
}

export interface DatagramHandlers {
  onMessage(bytes: Uint8Array, from: DatagramEndpoint): void;
  /** Asynchronous socket errors (never thrown: a speaker must not crash on a bad link). */
  onError(error: NodeJS.ErrnoException): void;
}

export type OpenDatagrams = (bind: DatagramEndpoint, handlers: DatagramHandlers) => Promise<Datagrams>;

/** A UDP socket bound to one address (IPv4 or IPv6, by the address's family) and port. */
export const openUdpDatagrams: OpenDatagrams = (bind, handlers) =>
  new Promise((resolve, reject) => {
    const socket: Socket = isIPv6(bind.address) ? createSocket({ type: 'udp6', ipv6Only: true }) : createSocket({ type: 'udp4' });
    const failBind = (e: Error) => {
      socket.close();
      reject(new Error(`Cannot bind the heartbeat socket to ${bind.address} port ${bind.port}: ${e.message}`, { cause: e }));
    };
    socket.once('error', failBind);
    socket.bind({ address: bind.address, port: bind.port, exclusive: true }, () => {
      socket.off('error', failBind);
      socket.on('error', (e: NodeJS.ErrnoException) => handlers.onError(e));
      socket.on('message', (msg, rinfo) => handlers.onMessage(msg, { address: rinfo.address, port: rinfo.port }));
      let closed = false;
      resolve({
        send(bytes, to, done) {
          if (closed) return done(Object.assign(new Error('heartbeat socket is closed'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
          try {
            socket.send(bytes, to.port, to.address, (e) => done(e ?? null));
          } catch (e) {
            // Synchronous refusals (a malformed address) are reported like any other send error.
            done(e as NodeJS.ErrnoException);
          }
        },
        close: () =>
          new Promise<void>((done) => {
            if (closed) return done();
            closed = true;
            socket.close(() => done());
          }),
      });
    });
  });
