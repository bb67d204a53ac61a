import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Icmp6Socket, PacketSocket } from '../native/index.js';
import { Answerer } from './answerer.js';
import type { FromAnswerer, ToAnswerer } from './answerThreadProtocol.js';

/**
 * Answers ARP/NDP on the thread that calls it (the membership worker), for the announcer on the other end
 * of `port` (AnswerPort). Returns a function that closes every socket.
 */
export function serveAnswers(o: { port: MessagePort; log: Logger; mayAnswer?: () => boolean }): () => void {
  const post = (m: FromAnswerer) => o.port.postMessage(m);
  const answerer = new Answerer({
    sockets: { packet: (i, protocol) => new PacketSocket(i, protocol), icmp6: (i) => new Icmp6Socket(i, { receive: false }) },
    log: o.log,
    report: post,
    ...(o.mayAnswer ? { mayAnswer: o.mayAnswer } : {}),
  });
  let closed = false;
  const closeSockets = () => {
    if (closed) return;
    closed = true;
    answerer.close();
  };
  o.port.on('message', (m: ToAnswerer) => {
    if (m.type === 'changes') {
      if (!closed) answerer.apply(m.changes);
    } else {
      closeSockets();
      post({ type: 'closed' });
    }
  });
  return () => {
    closeSockets();
    o.port.close();
  };
}
