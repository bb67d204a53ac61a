import type { Logger } from 'pino';
import { Icmp6Socket, PacketSocket } from '../native/index.js';
import { Answerer } from './answerer.js';
import type { FromAnswerer, ToAnswerer } from './answerThreadProtocol.js';

/**
 * Answers ARP/NDP on the thread that calls it (the membership worker) for the main thread's announcer
 * (AnswerPort): `receive` takes its messages in order, `post` sends claims, counts and 'closed' back.
 */
export function serveAnswers(o: { post: (m: FromAnswerer) => void; log: Logger; mayAnswer?: () => boolean }): { receive(m: ToAnswerer): void; close(): void } {
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
      if (m.type === 'changes') {
        if (!closed) answerer.apply(m.changes);
        o.post({ type: 'applied', batch: m.batch });
        return;
      }
      close();
      o.post({ type: 'closed' });
    },
    close,
  };
}
