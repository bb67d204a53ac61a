import type { AnswerChange, AnswerLink, IPAddress } from '@herald/core';
import type { Logger } from 'pino';
import type { SpeakerMetrics } from '../metrics.js';
import type { FromAnswerer, ToAnswerer } from './answerThreadProtocol.js';
import { countAnswer } from './countAnswer.js';
import type { Claim } from './interfaceResponder.js';

/** Where InterfaceResponders tell what is answered when another thread reads the requests. */
export interface AnswerSink {
  open(link: AnswerLink): void;
  add(ifindex: number, address: IPAddress): void;
  remove(ifindex: number, address: IPAddress): void;
  close(ifindex: number): void;
  /** Calls `f` once every change told so far is applied on the answering side (those addresses are answered). */
  whenApplied(f: () => void): void;
}

export interface AnswerPortOptions {
  /** To the answering side (serveAnswers in the membership worker: MembershipWorker.answer); its reports come back through receive(). */
  readonly post: (m: ToAnswerer) => void;
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
  private batch = 0;
  private appliedBatch = 0;
  /** Callbacks by the batch whose application they wait for. */
  private readonly waiting = new Map<number, (() => void)[]>();

  constructor(private readonly o: AnswerPortOptions) {}

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

  whenApplied(f: () => void): void {
    // The batch the changes queued so far go out in: the next one if any are pending, else the last sent.
    const batch = this.pending.length > 0 ? this.batch + 1 : this.batch;
    if (batch <= this.appliedBatch) return f();
    const list = this.waiting.get(batch);
    if (list) list.push(f);
    else this.waiting.set(batch, [f]);
  }

  /** Sends what is queued now (MembershipWorker calls it before each local state; a microtask does otherwise). */
  flush(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    this.batch++;
    this.post({ type: 'changes', changes, batch: this.batch });
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
    this.o.post(m);
  }

  receive(m: FromAnswerer): void {
    switch (m.type) {
      case 'claim':
        this.o.onClaim({ address: m.address, mac: m.mac, interface: m.interface });
        return;
      case 'counts':
        for (const c of m.counts) countAnswer(this.o.metrics, c);
        return;
      case 'applied':
        this.appliedBatch = Math.max(this.appliedBatch, m.batch);
        for (const [batch, list] of this.waiting) {
          if (batch > m.batch) break;
          this.waiting.delete(batch);
          for (const f of list) f();
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
