import { Worker } from 'node:worker_threads';
import type * as k8s from '@kubernetes/client-node';
import type { MembershipView, SpeakerLeaseState, ThreadScheduling } from '@herald/core';
import type { Logger } from 'pino';
import type { FromAnswerer, ToAnswerer } from '../announce/answerThreadProtocol.js';
import type { Registry } from 'prom-client';
import { ChangeListeners } from './changeListeners.js';
import { KubeLeases } from './kubeLeases.js';
import { MainLoopBeat } from './mainLoopBeat.js';
import type { LocalMembershipState, MembershipListener, MembershipPort } from './membership.js';
import { applyMembershipMetricCalls } from './membershipMetricCalls.js';
import { createMembershipMetrics, THREAD_POLICIES, type MembershipMetrics } from './membershipMetrics.js';
import type { FromMembershipThread, MembershipThreadData, ToMembershipThread } from './membershipThreadProtocol.js';
import { RealtimeDutyWatch } from './realtimeDutyWatch.js';
import { SentView } from './sentView.js';
import { realTimers } from './timers.js';

export interface MembershipWorkerOptions {
  /** The worker's entry: dist/bundle/herald-speaker-membership.mjs beside the bundle (membershipThreadUrl). */
  readonly url: URL;
  /** Everything but the main-loop buffer, which the worker gets from this side's MainLoopBeat, and the Leases. */
  readonly thread: Omit<MembershipThreadData, 'mainLoop' | 'viewRefreshMs' | 'leases'> & { readonly mainLoopBoundMs: number };
  /**
   * The per-node Leases, run on this thread (KubeLeases) for the worker, which loads no Kubernetes client:
   * this node's Lease is renewed with the state the worker sends, the peers' Leases are sent to it. A
   * wedged main thread renews nothing, as a wedged one must not keep the node alive. Absent: heartbeats alone.
   */
  readonly leases?: { readonly kubeConfig: k8s.KubeConfig; readonly namespace: string; readonly owner?: { apiVersion: string; kind: string; name: string; uid: string }; readonly durationMs?: number; readonly renewIntervalMs?: number };
  readonly registry: Registry;
  readonly log: Logger;
  /** How often the main thread bumps the shared counter (default MainLoopBeat's 100 ms). */
  readonly beatMs?: number;
  /** Default 1 s: what the health writer looks at each second is at most this old; metrics the worker counts too. */
  readonly viewRefreshMs?: number;
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
  private readonly listeners: ChangeListeners;
  private readonly sentView = new SentView();
  private worker: Worker | undefined;
  private leases: KubeLeases | undefined;
  private leaseState: SpeakerLeaseState | undefined;
  private lastView: MembershipView = { atMs: 0, peers: [] };
  /** The last state set, also before the thread started: it starts with it. */
  private latestState: LocalMembershipState | undefined;
  private listed = false;
  private stopping = false;
  private leaving: (() => void) | undefined;
  private dutyWatch: RealtimeDutyWatch | undefined;
  private stopped: (() => void) | undefined;

  constructor(private readonly o: MembershipWorkerOptions) {
    this.beat = new MainLoopBeat(o.beatMs);
    this.listeners = new ChangeListeners(o.log);
    this.metrics = createMembershipMetrics(o.registry, { view: () => this.lastView });
  }

  /** Starts the worker; resolves once its socket is bound and membership runs, rejects with its error otherwise. */
  async start(): Promise<void> {
    if (this.worker) return;
    this.beat.start();
    const { mainLoopBoundMs, ...thread } = this.o.thread;
    const leases = this.o.leases
      ? new KubeLeases({
        kubeConfig: this.o.leases.kubeConfig,
        namespace: this.o.leases.namespace,
        node: thread.node,
        ...(this.o.leases.owner ? { owner: this.o.leases.owner } : {}),
        ...(this.o.leases.durationMs === undefined ? {} : { durationMs: this.o.leases.durationMs }),
        ...(this.o.leases.renewIntervalMs === undefined ? {} : { renewIntervalMs: this.o.leases.renewIntervalMs }),
        log: this.o.log,
        onSynced: () => this.post({ type: 'leasesSynced' }),
      })
      : undefined;
    this.leases = leases;
    const data: MembershipThreadData = {
      ...thread,
      ...(this.latestState ? { initialState: this.latestState } : {}),
      ...(leases ? { leases: { durationMs: leases.durationMs } } : {}),
      mainLoop: { buffer: this.beat.buffer, boundMs: mainLoopBoundMs },
      viewRefreshMs: this.o.viewRefreshMs ?? 1_000,
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
          // Its key file watcher may hold its loop open: it has nothing left to do.
          this.stopLeases();
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
        this.dutyWatch?.stop();
        this.stopLeases();
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
    // Set before the thread runs (the speaker publishes its links at once): the thread starts with it.
    this.latestState = state;
    this.post({ type: 'setLocalState', state });
  }

  view(): MembershipView {
    return this.lastView;
  }

  peersListed(): boolean {
    return this.listed;
  }

  on(event: 'change', listener: MembershipListener): this {
    this.listeners.add(event, listener);
    return this;
  }

  off(_event: 'change', listener: MembershipListener): this {
    this.listeners.delete(listener);
    return this;
  }

  /** herald_membership_thread_scheduling: 1 for what the membership thread runs at now. */
  private showScheduling(s: ThreadScheduling | undefined): void {
    const now = s === undefined ? 'default' : s.policy === 'rr' ? 'realtime' : s.policy === 'deadline' ? 'deadline' : s.nice < 0 ? 'nice' : 'default';
    for (const policy of THREAD_POLICIES) this.metrics.threadScheduling.set({ policy }, policy === now ? 1 : 0);
  }

  private stopLeases(): void {
    this.leases?.stop();
    this.leases = undefined;
  }

  /** The worker's ThreadLeases asked to start: this node's Lease (with the state it sent) and the peers' watch. */
  private startLeases(state: SpeakerLeaseState): void {
    this.leaseState = state;
    this.leases?.start({
      state: () => this.leaseState ?? state,
      onUpsert: (seen) => this.post({ type: 'leaseUpsert', seen }),
      onDelete: (node) => this.post({ type: 'leaseDelete', node }),
      onRenewal: (result) => this.metrics.leaseRenewals.inc({ result }),
      onRestart: (reason) => this.metrics.leaseWatchRestarts.inc({ reason }),
    });
  }

  private post(m: ToMembershipThread): void {
    this.worker?.postMessage(m);
  }

  private receive(m: FromMembershipThread): void {
    switch (m.type) {
      case 'view': {
        if (m.calls) applyMembershipMetricCalls(this.metrics, m.calls);
        const listedChanged = m.peersListed !== this.listed;
        this.lastView = this.sentView.unpack(m.view);
        this.listed = m.peersListed;
        // Listeners hear transitions and the moment the peer list is known (the readiness gate waits for it).
        if (m.transitions.length === 0 && !listedChanged) return;
        this.listeners.emit(this.lastView, m.transitions);
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
      case 'leasesStart':
        this.startLeases(m.state);
        return;
      case 'leaseState':
        this.leaseState = m.state;
        this.leases?.poke();
        return;
      case 'leasesStop':
        this.stopLeases();
        return;
      case 'scheduling':
        this.showScheduling(m.applied);
        for (const reason of m.refused) this.metrics.threadSchedulingRefusals.inc({ reason });
        if (m.applied?.policy === 'rr') {
          this.dutyWatch = new RealtimeDutyWatch({
            tid: m.tid, log: this.o.log, timers: realTimers,
            onDemoted: (now) => {
              this.metrics.threadDemotions.inc();
              this.showScheduling(now);
            },
          });
          this.dutyWatch.start();
        }
        return;
      case 'stopped':
        // Socket closed and metrics flushed: the worker has nothing left to do.
        void this.worker?.terminate();
        return;
      default:
    }
  }
}
