import type { MessagePort } from 'node:worker_threads';
import type { AnswerChange, AnswerLink, IPAddress } from '@herald/core';
import type { Logger } from 'pino';
import type { SpeakerMetrics } from '../metrics.js';
import type { FromAnswerer, ToAnswerer } from './answerThreadProtocol.js';
import type { Claim } from './interfaceResponder.js';

/** Where InterfaceResponders tell what is answered when another thread reads the requests. */
export interface AnswerSink {
  open(link: AnswerLink): void;
  add(ifindex: number, address: IPAddress): void;
  remove(ifindex: number, address: IPAddress): void;
  close(ifindex: number): void;
}

export interface AnswerPortOptions {
  /** This side of the channel; the other side is served by serveAnswers (in the membership worker). */
  readonly port: MessagePort;
  readonly metrics: SpeakerMetrics;
  readonly log: Logger;
  /** Another MAC claims an address answered for (the answering thread saw its frame). */
  readonly onClaim: (claim: Claim) => void;
}

/**
 * The main thread's end of the answering thread: the announcer's changes go out in order, batched once per
 * event-loop turn (a takeover of thousands of addresses is a few messages, not thousands); claims and the
 * answering thread's counts come back and reach the controller and the speaker's registry as before.
 */
export class AnswerPort implements AnswerSink {
  private pending: AnswerChange[] = [];
  private closed: (() => void) | undefined;

  constructor(private readonly o: AnswerPortOptions) {
    o.port.on('message', (m: FromAnswerer) => this.receive(m));
    // The membership worker keeps the process alive; this port must not hold shutdown.
    o.port.unref();
  }

  open(link: AnswerLink): void {
    this.queue({ op: 'open', link });
  }

  add(ifindex: number, address: IPAddress): void {
    this.queue({ op: 'add', ifindex, address });
  }

  remove(ifindex: number, address: IPAddress): void {
    this.queue({ op: 'remove', ifindex, address });
  }

  close(ifindex: number): void {
    this.queue({ op: 'close', ifindex });
  }

  /** Sends what is queued now (the announcer's slice ends with a flush anyway). */
  flush(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    this.post({ type: 'changes', changes });
  }

  /**
   * Stops all answering: resolves once the answering side has closed its sockets (nothing is sent after
   * that), or after `timeoutMs` (the worker may already be gone).
   */
  async stop(timeoutMs = 1_000): Promise<void> {
    this.flush();
    const done = new Promise<void>((r) => (this.closed = r));
    this.post({ type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.closed = undefined;
  }

  private queue(c: AnswerChange): void {
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    this.pending.push(c);
  }

  private post(m: ToAnswerer): void {
    this.o.port.postMessage(m);
  }

  private receive(m: FromAnswerer): void {
    switch (m.type) {
      case 'claim':
        this.o.onClaim({ address: m.address, mac: m.mac, interface: m.interface });
        return;
      case 'counts':
        for (const [metric, label, n] of m.counts) {
          if (metric === 'requestsReceived' || metric === 'repliesSent') this.o.metrics[metric].inc({ family: label }, n);
          else if (metric === 'ignored') this.o.metrics.ignored.inc({ reason: label }, n);
          else this.o.metrics.sendErrors.inc({ code: label }, n);
        }
        return;
      case 'socketFailed':
        this.o.log.warn({ event: 'answerSocketFailed', interface: m.interface, code: m.code, err: m.message }, 'the answering thread could not open a socket');
        return;
      case 'closed':
        this.closed?.();
    }
  }
}
