import { Worker } from 'node:worker_threads';
import type { MembershipView } from '@herald/core';
import type { Logger } from 'pino';
import type { FromAnswerer, ToAnswerer } from '../announce/answerThreadProtocol.js';
import type { Registry } from 'prom-client';
import { MainLoopBeat } from './mainLoopBeat.js';
import type { LocalMembershipState, MembershipListener, MembershipPort } from './membership.js';
import { applyMembershipMetricCalls } from './membershipMetricCalls.js';
import { createMembershipMetrics, type MembershipMetrics } from './membershipMetrics.js';
import type { FromMembershipThread, MembershipThreadData, ToMembershipThread } from './membershipThreadProtocol.js';
import { SentView } from './sentView.js';

export interface MembershipWorkerOptions {
  /** The worker's entry: dist/bundle/herald-speaker-membership.mjs beside the bundle (membershipThreadUrl). */
  readonly url: URL;
  /** Everything but the main-loop buffer, which the worker gets from this side's MainLoopBeat. */
  readonly thread: Omit<MembershipThreadData, 'mainLoop' | 'viewRefreshMs' | 'metricsFlushMs'> & { readonly mainLoopBoundMs: number };
  readonly registry: Registry;
  readonly log: Logger;
  /** How often the main thread bumps the shared counter (default MainLoopBeat's 100 ms). */
  readonly beatMs?: number;
  /** Default 1 s: what the health writer looks at each second is at most this old. */
  readonly viewRefreshMs?: number;
  readonly metricsFlushMs?: number;
  /**
   * The worker also answers ARP/NDP (serveAnswers) for the announcer's AnswerPort: what it reports goes to
   * `receive`; `flush` is called before each local state is sent, so that the answering changes an
   * announcing list reflects reach the worker first (one queue, in order).
   */
  readonly answers?: { receive(m: FromAnswerer): void; flush(): void };
  /** The worker died (an exception, out of memory) after it started: the speaker cannot go on without membership. */
  readonly onExit: (error: Error) => void;
}

/** How long stop() waits for the worker to close its socket and timers before it is terminated. */
const STOP_WAIT_MS = 2_000;

/**
 * Membership in a worker thread (ADR 0012, "Membership in a worker thread"), seen from the main thread:
 * the same MembershipPort as the in-process Membership. The view is the worker's latest (sent on every
 * transition and every viewRefreshMs); listeners are told on transitions, as before. Metrics the worker
 * counts are applied here, on the registry /metrics serves. A MainLoopBeat lets the worker stop
 * heartbeating when this thread is wedged.
 */
export class MembershipWorker implements MembershipPort {
  readonly metrics: MembershipMetrics;
  private readonly beat: MainLoopBeat;
  private readonly listeners = new Set<MembershipListener>();
  private readonly sentView = new SentView();
  private worker: Worker | undefined;
  private lastView: MembershipView = { atMs: 0, peers: [] };
  private listed = false;
  private stopping = false;
  private leaving: (() => void) | undefined;
  private stopped: (() => void) | undefined;

  constructor(private readonly o: MembershipWorkerOptions) {
    this.beat = new MainLoopBeat(o.beatMs);
    this.metrics = createMembershipMetrics(o.registry, {
      heartbeatsMissing: () => this.lastView.peers.filter((p) => !p.self && p.heartbeatsMissing === true).length,
    });
  }

  /** Starts the worker; resolves once its socket is bound and membership runs, rejects with its error otherwise. */
  async start(): Promise<void> {
    if (this.worker) return;
    this.beat.start();
    const { mainLoopBoundMs, ...thread } = this.o.thread;
    const data: MembershipThreadData = {
      ...thread,
      mainLoop: { buffer: this.beat.buffer, boundMs: mainLoopBoundMs },
      viewRefreshMs: this.o.viewRefreshMs ?? 1_000,
      metricsFlushMs: this.o.metricsFlushMs ?? 100,
      ...(this.o.answers ? { answers: true } : {}),
    };
    const worker = new Worker(this.o.url, { workerData: data, name: 'herald-membership' });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: FromMembershipThread) => {
        if (m.type === 'started') {
          started = true;
          this.lastView = this.sentView.unpack(m.view);
          this.listed = m.peersListed;
          resolve();
        } else if (m.type === 'failed') {
          // Its key file watcher or Lease client may hold its loop open: it has nothing left to do.
          void worker.terminate();
          reject(new Error(m.message));
        }
        else this.receive(m);
      });
      worker.on('error', (e) => {
        if (!started) return reject(e);
        this.o.log.fatal({ event: 'membershipWorkerFailed', err: e.message }, 'the membership worker thread failed');
      });
      worker.on('exit', (code) => {
        this.worker = undefined;
        this.stopped?.();
        this.leaving?.();
        if (!started) return reject(new Error(`the membership worker exited (code ${code}) before it started`));
        if (!this.stopping) this.o.onExit(new Error(`the membership worker exited unexpectedly (code ${code})`));
      });
    });
    this.o.log.info({ event: 'membershipWorkerStarted', mainLoopBoundMs, beatMs: this.o.beatMs ?? null }, 'membership runs in a worker thread');
  }

  /** Tells the worker to stop (closing its socket), then ends it; ends it anyway if it has not answered within 2 s. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    const exited = new Promise<void>((r) => (this.stopped = r));
    this.post({ type: 'stop' });
    const timer = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
    await exited;
    clearTimeout(timer);
    this.beat.stop();
  }

  /** See Membership.leave: the worker sends the Leave notices; resolves once they are sent. */
  async leave(o: { copies?: number; gapMs?: number } = {}): Promise<void> {
    if (!this.worker) return;
    const left = new Promise<void>((r) => (this.leaving = r));
    this.post({ type: 'leave', ...o });
    await left;
    this.leaving = undefined;
  }

  /** To the worker's answering side, in order with setLocalState. */
  answer(message: ToAnswerer): void {
    this.post({ type: 'answers', message });
  }

  setLocalState(state: LocalMembershipState): void {
    this.o.answers?.flush();
    this.post({ type: 'setLocalState', state });
  }

  view(): MembershipView {
    return this.lastView;
  }

  peersListed(): boolean {
    return this.listed;
  }

  on(event: 'change', listener: MembershipListener): this {
    if (event !== 'change') throw new Error(`Membership emits 'change' only, not ${JSON.stringify(event)}`);
    this.listeners.add(listener);
    return this;
  }

  off(event: 'change', listener: MembershipListener): this {
    this.listeners.delete(listener);
    return this;
  }

  private post(m: ToMembershipThread): void {
    this.worker?.postMessage(m);
  }

  private receive(m: FromMembershipThread): void {
    switch (m.type) {
      case 'view': {
        const listedChanged = m.peersListed !== this.listed;
        this.lastView = this.sentView.unpack(m.view);
        this.listed = m.peersListed;
        // Listeners hear transitions and the moment the peer list is known (the readiness gate waits for it).
        if (m.transitions.length === 0 && !listedChanged) return;
        for (const listener of this.listeners) {
          try {
            listener(this.lastView, m.transitions);
          } catch (e) {
            this.o.log.error({ event: 'membershipListenerFailed', err: (e as Error).message }, 'a membership change listener threw');
          }
        }
        return;
      }
      case 'metrics':
        applyMembershipMetricCalls(this.metrics, m.calls);
        return;
      case 'answers':
        this.o.answers?.receive(m.message);
        return;
      case 'left':
        this.leaving?.();
        return;
      case 'stopped':
        // Socket closed and metrics flushed; idle keep-alive connections to the API must not hold shutdown.
        void this.worker?.terminate();
        return;
      default:
    }
  }
}
