import type { Logger } from 'pino';
import { Icmp6Socket, PacketSocket } from '../native/index.js';
import { Answerer } from './answerer.js';
import type { FromAnswerer, ToAnswerer } from './answerThreadProtocol.js';

/**
 * Answers ARP/NDP on the thread that calls it (the membership worker) for the main thread's announcer
 * (AnswerPort): `receive` takes its messages in order, `post` sends claims, counts and 'closed' back.
 */
export function serveAnswers(o: { post: (m: FromAnswerer) => void; log: Logger; mayAnswer?: () => boolean }): {
  receive(m: ToAnswerer): void;
  /** A peer was declared dead here: take over its planned addresses now; what to tell the main thread (after the view). */
  peerDead(peer: string): FromAnswerer | undefined;
  /** A peer is alive again here: stop answering what was taken over at its death. */
  peerAlive(peer: string): void;
  close(): void;
} {
  const answerer = new Answerer({
    sockets: { packet: (i, protocol) => new PacketSocket(i, protocol), icmp6: (i) => new Icmp6Socket(i, { receive: false }) },
    log: o.log,
    report: o.post,
    ...(o.mayAnswer ? { mayAnswer: o.mayAnswer } : {}),
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    answerer.close();
  };
  return {
    receive(m) {
      switch (m.type) {
        case 'changes':
          if (!closed) answerer.apply(m.changes);
          o.post({ type: 'applied', batch: m.batch });
          return;
        case 'standby':
          if (!closed) answerer.standby.setPlan(new Map(m.plan));
          return;
        case 'release':
          if (!closed) answerer.standby.release(m.addresses);
          return;
        case 'close':
          close();
          o.post({ type: 'closed' });
      }
    },
    peerDead(peer) {
      if (closed) return undefined;
      const addresses = answerer.standby.takeOver(peer);
      return addresses.length > 0 ? { type: 'tookOver', peer, addresses } : undefined;
    },
    peerAlive(peer) {
      if (!closed) answerer.standby.peerAlive(peer);
    },
    close,
  };
}
