// The membership worker thread's entry (bundled as dist/bundle/herald-speaker-membership.mjs): runs
// Membership — UDP socket, HMAC and replay checks, SwimMember's timers — on its own event loop and
// heap, so the main thread's elections, announcements, status writes and GC do not delay heartbeats
// (docs/adr/0012-scalable-membership.md, "Membership in a worker thread"). Started by MembershipWorker.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { serveAnswers } from '../announce/serveAnswers.js';
import { loadHeartbeatKey } from './heartbeatKey.js';
import { HeartbeatKeyFile } from './heartbeatKeyFile.js';
import { HeartbeatKeyring } from './heartbeatKeyring.js';
import { MainLoopWatch } from './mainLoopWatch.js';
import { Membership } from './membership.js';
import type { FromMembershipThread, MembershipThreadData, ToMembershipThread } from './membershipThreadProtocol.js';
import { MembershipThreadOutbox } from './membershipThreadOutbox.js';
import { raiseThisThread } from './raiseThread.js';
import { ThreadLeases } from './threadLeases.js';
import { monotonicNow, realTimers } from './timers.js';

const port = parentPort;
if (!port) throw new Error('membershipThread runs as a worker thread (MembershipWorker), not on its own');
const d = workerData as MembershipThreadData;
const post = (m: FromMembershipThread) => port.postMessage(m);
const log = pino({ level: d.log.level, base: { ...d.log.base, thread: 'membership' } });

const outbox = new MembershipThreadOutbox({ post, viewRefreshMs: d.viewRefreshMs, timers: realTimers });
const metrics = outbox.metrics;
// First, so that all this thread does runs at its priority: heartbeats and ARP/NDP replies are latency
// work, the main thread's elections and Kubernetes calls throughput (ADR 0012, "The membership thread's priority").
const raised = raiseThisThread({ setting: d.priority ?? 'off', ...(d.deadline ? { deadline: d.deadline } : {}), log });
post({ type: 'scheduling', tid: raised.tid, ...(raised.applied ? { applied: raised.applied } : {}), refused: raised.refused.map((r) => r.reason) });

try {
  const keyring = new HeartbeatKeyring(loadHeartbeatKey(d.key.file), { graceMs: d.key.graceMs });
  const keyFile = new HeartbeatKeyFile({ path: d.key.file, keyring, pollMs: d.key.pollMs, log, onReload: (result) => metrics.keyReloads.inc({ result }) });
  // The Leases are the main thread's (MembershipWorker runs KubeLeases): no Kubernetes client is loaded here.
  const leases = d.leases ? new ThreadLeases(d.leases.durationMs, post) : undefined;
  const watch = new MainLoopWatch({ buffer: d.mainLoop.buffer, boundMs: d.mainLoop.boundMs, now: monotonicNow, log, metrics });
  // ARP/NDP answering for the main thread's announcer: here, so that replies do not wait for the main event
  // loop (elections, status writes, GC), in this isolate rather than a third one (memory); it stops
  // answering when the main thread is wedged beyond the bound, as heartbeats stop.
  const answering = d.answers ? serveAnswers({ post: (message) => post({ type: 'answers', message }), log, mayAnswer: () => watch.turning() }) : undefined;
  const membership = new Membership({
    node: d.node,
    incarnation: d.incarnation,
    heartbeat: { ...d.heartbeat, key: keyring },
    ...(leases ? { leases } : {}),
    initialState: d.initialState,
    metrics,
    log,
    protocol: d.protocol,
    maySend: () => watch.turning(),
  });
  membership.on('change', (view, transitions) => {
    // A death: the addresses planned for it are answered and announced here first (issue 11), then the
    // view goes out; the main thread hears what was taken after the view, so its next election round
    // (which sees the death) confirms or releases them.
    // A refuted death (the peer was stalled, not gone) ends the takeover here at once, not a round later.
    for (const t of transitions) if (t.change === 'PeerAlive') answering?.peerAlive(t.node);
    const took = answering ? transitions.flatMap((t) => (t.change === 'PeerDead' ? [answering.peerDead(t.node)] : [])) : [];
    outbox.change(view, transitions);
    for (const message of took) if (message) post({ type: 'answers', message });
  });
  await keyFile.start();
  await membership.start();
  port.on('message', (m: ToMembershipThread) => {
    switch (m.type) {
      case 'leaseUpsert':
      case 'leaseDelete':
      case 'leasesSynced':
        leases?.receive(m);
        // The peer list becoming known is no view transition, and the readiness gate waits for it: told at once.
        outbox.lookListed();
        break;
      case 'setLocalState':
        membership.setLocalState(m.state);
        break;
      case 'answers':
        answering?.receive(m.message);
        break;
      case 'leave':
        void membership.leave({ ...(m.copies === undefined ? {} : { copies: m.copies }), ...(m.gapMs === undefined ? {} : { gapMs: m.gapMs }) }).finally(() => post({ type: 'left' }));
        break;
      case 'stop':
        answering?.close();
        keyFile.stop();
        void membership.stop().finally(() => {
          outbox.stop();
          post({ type: 'stopped' });
          port.close();
        });
        break;
    }
  });
  outbox.start(membership);
} catch (e) {
  outbox.stop();
  post({ type: 'failed', message: (e as Error).message });
}
