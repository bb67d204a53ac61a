import { parseArgs } from 'node:util';
import { DEFAULT_DEADLINE_BUDGET, DEFAULT_INTERFACE_EXCLUDES, MEMBERSHIP_PROTOCOL_SETTINGS, MEMBERSHIP_THREAD_PRIORITIES, parseInterfacePatterns, type DeadlineBudget, type InterfacePattern, type MembershipProtocolSetting, type MembershipThreadPriority } from '@herald/core';
import { checkListenAddress, defaultListenAddress } from './listenAddress.js';

export interface SpeakerConfig {
  readonly node: string;
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly lbClass: string | undefined;
  readonly logLevel: string;
  readonly metricsAddress: string;
  readonly healthAddress: string;
  readonly heartbeatPort: number;
  /** The node's address on the announce LAN; found automatically when undefined. */
  readonly heartbeatAddress: string | undefined;
  readonly heartbeatIntervalMs: number;
  readonly deadAfter: number;
  readonly secretKeyFile: string;
  readonly garpRefreshMs: number;
  readonly handoverTimeoutMs: number;
  readonly serviceAccount: string;
  /** Globs of link names never announced on nor published (pod veths, CNI devices). */
  readonly excludeInterfaces: readonly InterfacePattern[];
  /** After the key file changes: sign with the previous key this long, accept it twice as long. */
  readonly keyGraceMs: number;
  /** How often the key file is checked for a new key. */
  readonly keyPollMs: number;
  /** After a link or address event, wait this long (coalescing further events) before re-reading links. */
  readonly linkDebounceMs: number;
  /** `auto`: membership version 2 with peers that speak it (ADR 0012); `v1`: exactly the all-to-all speaker. */
  readonly membershipProtocol: MembershipProtocolSetting;
  /** `worker` (default): membership on its own thread (ADR 0012); `main`: on the main event loop, as before. */
  readonly membershipThread: 'worker' | 'main';
  /** With the worker: the main thread may stand still this long before membership stops heartbeating. */
  readonly mainLoopBoundMs: number;
  /** With the worker: the CPU priority its thread asks for (deadline; or realtime, then nice; or nice; or off). */
  readonly membershipThreadPriority: MembershipThreadPriority;
  /** With priority deadline: the thread's budget, runtime per period (µs). */
  readonly membershipThreadDeadline: DeadlineBudget;
}

export const SPEAKER_USAGE = `herald-speaker: answers ARP/NDP for the addresses this node owns

  --node-name NAME          this node's name (default: $NODE_NAME)
  --kubeconfig PATH         kubeconfig (default: in-cluster, then $KUBECONFIG)
  --namespace NS            namespace of the per-node Leases (default: $POD_NAMESPACE or herald-system)
  --lb-class NAME           handle only Services of this loadBalancerClass (default: Services without one)
  --log-level LEVEL         trace, debug, info, warn, error (default: info)
  --metrics-address ADDR    /metrics, HOST:PORT (default: $POD_IP:7472, else 127.0.0.1:7472; ":7472"
                            listens on every interface, the announce LAN included)
  --health-address ADDR     /healthz and /readyz (default: 127.0.0.1:7473; host network)
  --heartbeat-port PORT     UDP port for heartbeats (default: 7947)
  --heartbeat-address IP    this node's address on the LAN that carries the announced addresses
                            (default: the Node's InternalIP if a healthy interface has it, else the
                            first IPv4 address of the first healthy interface)
  --heartbeat-interval MS   heartbeat period (default: 100)
  --dead-after N            missed heartbeats before a peer is dead (default: 5)
  --secret-key-file PATH    HMAC key for heartbeats (default: /etc/herald/memberlist/secretkey)
  --garp-refresh MS         re-announce every MS after the initial bursts; 0 = off (default: 0)
  --handover-timeout MS     on SIGTERM, keep answering at most this long for a successor (default: 2000)
  --service-account NAME    this speaker's ServiceAccount, owner of its Lease (default: herald-speaker)
  --exclude-interfaces LIST comma-separated globs of links never announced on nor published; empty for
                            none (default: ${DEFAULT_INTERFACE_EXCLUDES.join(',')})
  --key-grace MS            after the key file changes, keep signing with the previous key this long and
                            accept it twice as long; must exceed the time a Secret update takes to reach
                            every node (default: 120000)
  --key-poll MS             how often the key file is checked for a new key (default: 1000)
  --link-debounce MS        after a link or address event, wait this long before re-reading all links;
                            further events in the window are coalesced (default: 10)
  --membership-protocol P   auto: SWIM ring heartbeats (version 2) with every peer that speaks them,
                            version 1 with older peers; v1: behave exactly like a version-1 speaker
                            (rollback, upgrade tests) (default: auto)
  --membership-thread T     worker: heartbeats run on their own thread, unaffected by a busy main thread;
                            main: on the main event loop, as before (default: worker)
  --main-loop-bound MS      with the worker: once the main thread (ARP replies, elections) has not turned
                            its event loop for MS, heartbeats stop so peers take over (default: 1500)
  --membership-thread-priority P
                            with the worker: off: its thread (heartbeats, ARP/NDP replies) runs as
                            started; nice: at nice -10; realtime: at SCHED_RR priority 1, else at
                            nice -10 (only where one speaker has the node's CPUs: see the docs);
                            deadline: SCHED_DEADLINE with the budget below, which the kernel
                            enforces, else as started (the host's deadline bandwidth is full).
                            All need CAP_SYS_NICE; without it the speaker runs on and logs why
                            (default: off)
  --membership-thread-deadline-runtime US
                            with deadline: CPU time the thread may use per period, µs (default: ${DEFAULT_DEADLINE_BUDGET.runtimeUs})
  --membership-thread-deadline-period US
                            with deadline: the period (and deadline), µs (default: ${DEFAULT_DEADLINE_BUDGET.periodUs})
`;

const positiveInt = (name: string, text: string | undefined, min = 1): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, not "${text}"`);
  return n;
};

export function readSpeakerConfig(argv: string[], env: NodeJS.ProcessEnv): SpeakerConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'node-name': { type: 'string' },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'lb-class': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'metrics-address': { type: 'string' },
      'health-address': { type: 'string', default: '127.0.0.1:7473' },
      'heartbeat-port': { type: 'string', default: '7947' },
      'heartbeat-address': { type: 'string' },
      'heartbeat-interval': { type: 'string', default: '100' },
      'dead-after': { type: 'string', default: '5' },
      'secret-key-file': { type: 'string', default: '/etc/herald/memberlist/secretkey' },
      'garp-refresh': { type: 'string', default: '0' },
      'handover-timeout': { type: 'string', default: '2000' },
      'service-account': { type: 'string', default: 'herald-speaker' },
      'exclude-interfaces': { type: 'string' },
      'key-grace': { type: 'string', default: '120000' },
      'key-poll': { type: 'string', default: '1000' },
      'link-debounce': { type: 'string', default: '10' },
      'membership-protocol': { type: 'string', default: 'auto' },
      'membership-thread': { type: 'string', default: 'worker' },
      'main-loop-bound': { type: 'string', default: '1500' },
      'membership-thread-priority': { type: 'string', default: 'off' },
      'membership-thread-deadline-runtime': { type: 'string', default: String(DEFAULT_DEADLINE_BUDGET.runtimeUs) },
      'membership-thread-deadline-period': { type: 'string', default: String(DEFAULT_DEADLINE_BUDGET.periodUs) },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const node = values['node-name'] ?? env.NODE_NAME;
  if (!node) throw new Error('--node-name (or $NODE_NAME) is required: the speaker must know which node it runs on');
  try {
    if (values['exclude-interfaces'] !== undefined) parseInterfacePatterns(values['exclude-interfaces']);
  } catch (e) {
    throw new Error(`--exclude-interfaces: ${(e as Error).message}`, { cause: e });
  }
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(values['log-level'] as string)) throw new Error(`--log-level must be trace, debug, info, warn or error`);
  const membershipProtocol = values['membership-protocol'] as string;
  if (!(MEMBERSHIP_PROTOCOL_SETTINGS as readonly string[]).includes(membershipProtocol)) throw new Error(`--membership-protocol must be ${MEMBERSHIP_PROTOCOL_SETTINGS.join(' or ')}, not "${membershipProtocol}"`);
  const membershipThread = values['membership-thread'] as string;
  if (membershipThread !== 'worker' && membershipThread !== 'main') throw new Error(`--membership-thread must be worker or main, not "${membershipThread}"`);
  const membershipThreadPriority = values['membership-thread-priority'] as string;
  if (!(MEMBERSHIP_THREAD_PRIORITIES as readonly string[]).includes(membershipThreadPriority)) throw new Error(`--membership-thread-priority must be ${MEMBERSHIP_THREAD_PRIORITIES.join(', ')}, not "${membershipThreadPriority}"`);
  // The kernel takes runtime >= 1024 ns and runtime <= period; its period limits are sysctls
  // (kernel.sched_deadline_period_min_us / max_us), left to it: a refusal is logged as such.
  const deadlineRuntimeUs = positiveInt('membership-thread-deadline-runtime', values['membership-thread-deadline-runtime'], 2);
  const deadlinePeriodUs = positiveInt('membership-thread-deadline-period', values['membership-thread-deadline-period'], 1);
  if (deadlineRuntimeUs > deadlinePeriodUs) throw new Error(`--membership-thread-deadline-runtime (${deadlineRuntimeUs}) must not exceed --membership-thread-deadline-period (${deadlinePeriodUs})`);
  return Object.freeze({
    node,
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    namespace: values.namespace ?? env.POD_NAMESPACE ?? 'herald-system',
    lbClass: values['lb-class'] || undefined,
    logLevel: values['log-level'] as string,
    metricsAddress: checkListenAddress({ flag: 'metrics-address', address: values['metrics-address'] ?? defaultListenAddress({ env, port: 7472 }) }),
    healthAddress: values['health-address'] as string,
    heartbeatPort: positiveInt('heartbeat-port', values['heartbeat-port']),
    heartbeatAddress: values['heartbeat-address'] || env.HERALD_HEARTBEAT_ADDRESS || undefined,
    heartbeatIntervalMs: positiveInt('heartbeat-interval', values['heartbeat-interval'], 10),
    deadAfter: positiveInt('dead-after', values['dead-after'], 2),
    secretKeyFile: values['secret-key-file'] as string,
    garpRefreshMs: positiveInt('garp-refresh', values['garp-refresh'], 0),
    handoverTimeoutMs: positiveInt('handover-timeout', values['handover-timeout'], 0),
    serviceAccount: values['service-account'] as string,
    excludeInterfaces: Object.freeze(values['exclude-interfaces'] === undefined ? [...DEFAULT_INTERFACE_EXCLUDES] : parseInterfacePatterns(values['exclude-interfaces'])),
    keyGraceMs: positiveInt('key-grace', values['key-grace'], 0),
    keyPollMs: positiveInt('key-poll', values['key-poll'], 100),
    linkDebounceMs: positiveInt('link-debounce', values['link-debounce'], 0),
    membershipProtocol: membershipProtocol as MembershipProtocolSetting,
    membershipThread,
    mainLoopBoundMs: positiveInt('main-loop-bound', values['main-loop-bound'], 100),
    membershipThreadPriority: membershipThreadPriority as MembershipThreadPriority,
    membershipThreadDeadline: Object.freeze({ runtimeUs: deadlineRuntimeUs, periodUs: deadlinePeriodUs }),
  });
}
